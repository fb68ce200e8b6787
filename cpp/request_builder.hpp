// SPDX-License-Identifier: Apache-2.0
// Turns options plus what ccr worked out about the container (a plan) into
// the CRIU request. Pure: no system calls, so every field is unit-testable.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "options.hpp"
#include "rpc.pb.h"

namespace ccr {

struct ExtMount {
	std::string key;
	std::string val;
	bool operator==(const ExtMount &) const = default;
};

struct JoinNs {
	std::string ns;   // "ipc", "uts", "time", ...
	std::string file; // the namespace file to join
};

struct DumpPlan {
	int pid = 0;
	int images_dir_fd = -1;
	int work_dir_fd = -1;
	std::string root;          // the container's rootfs on the host
	std::string freeze_cgroup; // empty: CRIU seizes with ptrace
	std::string cgroup_yard;   // ccr's yard (cgroup_yard.hpp); empty: CRIU mounts its own
	std::vector<ExtMount> ext_mounts;
	std::vector<std::string> external; // "net[4026532]:extRootNetNS", ...
	std::optional<std::string> config_file;
	int page_server_fd = -1; // in CRIU's table
	int pidfd_store_fd = -1; // in CRIU's table
	// Unset: the options' (network_lock_choice.hpp).
	std::optional<criu::criu_network_lock_method> network_lock;
};

struct RestorePlan {
	int images_dir_fd = -1;
	int work_dir_fd = -1;
	std::string root; // the restore root (a bind of the rootfs)
	std::vector<ExtMount> ext_mounts;
	std::vector<std::pair<std::string, int>> inherit_fds; // key -> fd in CRIU
	std::vector<std::pair<std::string, std::string>> cgroup_roots;
	std::string cgroup_yard; // ccr's yard, when the caller named none
	std::vector<JoinNs> join_ns;
	std::optional<std::string> config_file;
};

// The caller's inherit-fd entries, their descriptors placed for CRIU by
// `place` (which returns the number each gets in CRIU's table).
std::vector<std::pair<std::string, int>> caller_inherit_fds(const Options &opts, const std::function<int(int)> &place);

criu::criu_req build_dump_request(const Options &opts, const DumpPlan &plan);
criu::criu_req build_restore_request(const Options &opts, const RestorePlan &plan);

} // namespace ccr
