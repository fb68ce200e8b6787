// SPDX-License-Identifier: Apache-2.0
// Namespaces the container shares with the host side (a path in the config):
// named as external on dump, handed back to CRIU on restore.
#pragma once

#include <string>
#include <vector>

#include "oci_config.hpp"
#include "request_builder.hpp"
#include "unique_fd.hpp"

namespace ccr {

// "net[<inode>]:extRootNetNS" and "pid[<inode>]:extRootPidNS" for network and
// pid namespaces given by path (runc's keys, so images stay interchangeable).
// Also when the network namespace is in the empty set (runc's --empty-ns
// network): CRIU then dumps nothing of it either way, and only the external
// record makes the restore join the named namespace instead of a new one.
std::vector<std::string> dump_external_namespaces(const OciConfig &config);

struct RestoreNamespaces {
	std::vector<UniqueFd> fds;                            // to pass to CRIU, in order
	std::vector<std::pair<std::string, int>> inherit_fds; // key -> fd in CRIU
	std::vector<JoinNs> join_ns;
};
// `first_fd` is the descriptor number the first opened namespace gets in CRIU.
RestoreNamespaces restore_namespaces(const OciConfig &config, int first_fd);

} // namespace ccr
