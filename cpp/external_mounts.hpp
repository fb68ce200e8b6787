// SPDX-License-Identifier: Apache-2.0
// The container's mounts that CRIU must treat as external (runc's rules):
// bind mounts, v1 cgroup binds, masked files and device nodes. On dump each
// becomes a key recorded in the images; on restore each key is given the host
// path to mount there again.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cgroups.hpp"
#include "oci_config.hpp"
#include "request_builder.hpp"

namespace ccr {

// The devices runc adds to every container, on top of linux.devices.
const std::vector<std::string> &default_device_paths();

// v1 hierarchies become per-hierarchy binds under the config's cgroup mount,
// unless the container has a cgroup namespace or the host is v2-only.
bool cgroup_mounts_are_binds(const OciConfig &config, const std::vector<CgroupHierarchy> &hierarchies);

// `masked_file(path)` says whether a masked path is a file in the running
// container (directories are masked with a tmpfs CRIU dumps itself).
std::vector<ExtMount> dump_external_mounts(const OciConfig &config, const std::string &rootfs,
					   const std::vector<CgroupHierarchy> &hierarchies,
					   const std::function<bool(const std::string &)> &masked_file);

// `cgroup_dir(h)` is the host directory of the container's cgroup in h.
std::vector<ExtMount> restore_external_mounts(const OciConfig &config, const std::string &rootfs,
					      const std::vector<CgroupHierarchy> &hierarchies,
					      const std::function<std::string(const CgroupHierarchy &)> &cgroup_dir);

// Creates, inside the rootfs, the mountpoints of bind mounts that are
// missing there (a file for a file source, else a directory).
void create_missing_mountpoints(const OciConfig &config, const std::string &rootfs);

} // namespace ccr
