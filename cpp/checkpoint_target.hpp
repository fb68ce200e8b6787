// SPDX-License-Identifier: Apache-2.0
// What ccr agrees to checkpoint. CRIU dumps whatever tree it is given and,
// without leave_running, kills it; it freezes whatever cgroup it is told to.
// A wrong pid (a host process, pid 1, a wrapped-around number) or a freezer
// shared with others (the hierarchy's root, the caller's own cgroup) turns a
// checkpoint into killing or freezing what is not the container, or into a
// caller frozen by its own request that never returns.
#pragma once

#include <vector>

#include "cgroups.hpp"
#include "container_spec.hpp"

namespace ccr {

// The pid must be the init of a pid namespace of its own (the last entry of
// NSpid in /proc/<pid>/status is 1, and it is not the caller's namespace's
// init), unless spec.process_tree says the caller means a plain process tree.
// Throws CCR_ERR_INVALID_ARGUMENT naming the pid and what it is instead.
// `joined_pid_ns`: the pid namespace the container's config joins by path
// (a pod's shared one, say), "" when the container has its own. The pid must
// then be in that namespace rather than its init.
void require_container_init(const ContainerSpec &spec, const std::string &joined_pid_ns);

// The freezer CRIU will freeze must hold the container alone: not the root
// of its hierarchy (every process on the host), and neither the caller's
// cgroup nor one of its ancestors (the caller would freeze itself, and with
// it its own time limit). An empty freezer (ptrace only) passes. Throws
// CCR_ERR_INVALID_ARGUMENT naming the cgroup.
void require_private_freezer(const ContainerSpec &spec, const Freezer &freezer,
			     const std::vector<CgroupHierarchy> &hierarchies);

} // namespace ccr
