// SPDX-License-Identifier: Apache-2.0
// Processes in a container's freezer cgroup that a dump would lose. CRIU
// dumps the process tree of the container's init; a process in the
// container's cgroup whose parent is outside that tree (one started with
// `runc exec`, whose parent is runc or the shim) is only logged by CRIU as
// "Unexpected process" and is missing after a restore.
#pragma once

#include <string>
#include <vector>

namespace ccr {

struct OutsideProcess {
	int pid = 0;
	int parent = 0;
	std::string command; // its command line, shortened; its comm when unreadable
};

// Every process in `freezer_dir` and the cgroups below it that does not
// descend from `init_pid`. Processes that exit while they are looked at
// are skipped.
std::vector<OutsideProcess> processes_outside_tree(int init_pid, const std::string &freezer_dir);

// The processes in cgroup directory `dir` and the cgroups below it (none
// when it is gone).
std::vector<int> processes_in_cgroup_tree(const std::string &dir);

// "1234 (sleep 1000), 1240 (top)".
std::string describe(const std::vector<OutsideProcess> &processes);

} // namespace ccr
