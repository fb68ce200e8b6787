// SPDX-License-Identifier: Apache-2.0
// Value types for what an operation is asked to do: the C ABI's ccr_options
// handle wraps one Options.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cancellation.hpp"
#include "ccr.h"

namespace spdlog {
class logger;
}

namespace ccr {

// What ccr_options_set_archive_*() set: the engine whose files the archive
// imitates, the container's name, the image its rootfs came from, and when
// it was created and checkpointed (Unix time in nanoseconds; unset: ccr's own
// guess, see export_archive()).
struct ArchiveInfo {
	std::string engine = "containerd"; // or "cri-o"
	std::string container_name;
	std::string image_name;
	std::string image_ref;
	std::optional<int64_t> created_ns;
	std::optional<int64_t> checkpointed_ns;
};

// One notification from CRIU as the callback sees it.
struct NotifyEvent {
	std::string script;
	int pid = 0;
	int fd = -1;           // owned by the session; valid during the callback only
	std::string container; // a pod operation's member; "" otherwise
};

// The caller's callback. Returns 0 to go on; anything else aborts.
using NotifyCallback = std::function<int(const NotifyEvent &)>;

struct PageServer {
	std::string address;
	int port = 0;
	int fd = -1; // the caller's connected socket, or -1
	bool set() const { return fd >= 0 || !address.empty() || port != 0; }
};

struct Tls {
	bool enable = false;
	std::string cacert, cacrl, cert, key;
	bool no_cn_verify = false;
};

struct Options {
	std::string criu_path = "criu";
	std::string images_dir;
	std::string work_dir; // empty: the images directory
	std::string parent_path;
	bool pre_dump = false;
	bool leave_running = false;
	bool allow_processes_outside_tree = false; // ccr's own: see processes_outside_tree.hpp
	bool tcp_established = false;
	bool ext_unix_sk = false;
	bool shell_job = false;
	bool file_locks = false;
	bool auto_dedup = false;
	bool leave_stopped = false;
	unsigned empty_ns = 0;
	ccr_cgroup_mode cgroup_mode = CCR_CGROUP_DEFAULT;
	int log_level = 4;
	std::string log_file; // empty: by operation
	std::optional<std::string> criu_config_file;
	std::string lsm_profile;
	std::string lsm_mount_context;
	std::chrono::milliseconds timeout{0};
	NotifyCallback notify;
	std::shared_ptr<spdlog::logger> log; // ccr's own log; null: none
	std::shared_ptr<Cancellation> cancellation = std::make_shared<Cancellation>();

	// Memory transfer.
	bool track_mem = false;
	std::optional<ccr_pre_dump_mode> pre_dump_mode; // unset: CRIU's default
	PageServer page_server;
	bool lazy_pages = false;
	// Handed over by the caller; the next checkpoint takes it out (leaving -1)
	// and closes it when done, so options never hold a stale number.
	std::shared_ptr<std::atomic<int>> status_fd = std::make_shared<std::atomic<int>>(-1);
	Tls tls;
	// Terminal.
	std::string console_socket;
	// Network.
	bool tcp_close = false;
	bool tcp_skip_in_flight = false;
	ccr_network_lock network_lock = CCR_NETWORK_LOCK_DEFAULT;
	std::vector<std::pair<std::string, std::string>> veth_pairs;
	// Files and mounts.
	bool link_remap = false;
	std::optional<uint32_t> ghost_limit;
	bool force_irmap = false;
	std::vector<std::string> irmap_scan_paths;
	bool skip_file_rwx_check = false;
	bool evasive_devices = true;
	std::vector<std::pair<std::string, std::string>> ext_mounts;
	bool auto_ext_mnt = false;
	bool ext_sharing = false;
	bool ext_masters = false;
	std::vector<std::string> skip_mounts;
	std::vector<std::string> enable_fs;
	bool mntns_compat_mode = false;
	std::vector<std::string> externals;
	std::vector<uint32_t> unix_sk_inodes;
	std::vector<std::pair<std::string, int>> inherit_fds; // key -> caller's fd
	// Namespaces.
	std::vector<std::array<std::string, 3>> join_ns; // ns, file, extra
	bool weak_sysctls = false;
	// cgroups.
	std::vector<std::pair<std::string, std::string>> cgroup_roots;
	std::string cgroup_props;
	std::string cgroup_props_file;
	std::vector<std::string> cgroup_dump_controllers;
	std::string cgroup_yard;
	std::optional<std::string> freeze_cgroup; // unset: the container's own
	// The CRIU process.
	uint32_t criu_timeout = 0;
	std::optional<uint32_t> cpu_cap;
	bool unprivileged = false;
	int pidfd_store_fd = -1;
	bool display_stats = false;
	bool log_to_stderr = false;
	std::vector<std::string> exec_cmd;
	// Archive import limits; 0 keeps ImportLimits' default.
	uint64_t import_max_entries = 0;
	uint64_t import_max_bytes = 0;
	uint32_t import_max_ratio = 0;
	// What an archive export records about the container, as the engines
	// that write the same layout do; empty or unset: unknown to ccr.
	ArchiveInfo archive;
};

} // namespace ccr
