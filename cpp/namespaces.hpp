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
std::vector<std::string> dump_external_namespaces(const OciConfig &config, unsigned empty_ns);

struct RestoreNamespaces {
	std::vector<UniqueFd> fds;                            // to pass to CRIU, in order
	std::vector<std::pair<std::string, int>> inherit_fds; // key -> fd in CRIU
	std::vector<JoinNs> join_ns;
};
// `first_fd` is the descriptor number the first opened namespace gets in CRIU.
RestoreNamespaces restore_namespaces(const OciConfig &config, unsigned empty_ns, int first_fd);

} // namespace ccr
