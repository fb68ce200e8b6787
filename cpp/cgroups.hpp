// SPDX-License-Identifier: Apache-2.0
// Reading and placing processes in cgroups (v1, v2 and hybrid hierarchies):
// the freezer that CRIU freezes the container with on checkpoint, and the
// container's cgroups that CRIU is started in on restore.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ccr.h"

namespace ccr {

// One line of /proc/<pid>/cgroup: "5:cpu,cpuacct:/ccr/web1".
struct CgroupMembership {
	int hierarchy = 0;
	std::string controllers; // "" for the v2 hierarchy
	std::string path;
};
std::vector<CgroupMembership> parse_proc_cgroup(std::string_view text);
std::vector<CgroupMembership> read_proc_cgroup(int pid);

// A mounted cgroup hierarchy on the host.
struct CgroupHierarchy {
	std::string mountpoint;
	std::vector<std::string> controllers; // v1: "cpu", "cpuacct", "name=systemd"; v2: empty
	std::string root;                     // the mount's root inside the hierarchy
	bool v2 = false;
	// The controllers as /proc/<pid>/cgroup spells them: "cpu,cpuacct".
	std::string controller_key() const;
};
// The host's hierarchies, leaving out the mounts inside cgroup yards (ccr's
// tmpfs named kCgroupYardSource, CRIU's ".criu.cgyard.*"): a yard of another
// operation running at the same time is no place to freeze or create cgroups.
std::vector<CgroupHierarchy> parse_cgroup_mounts(std::string_view mountinfo);
// The source name of the tmpfs under ccr's cgroup yards (cgroup_yard.hpp).
inline constexpr const char *kCgroupYardSource = "ccr-cgroup-yard";
std::vector<CgroupHierarchy> host_cgroup_hierarchies();

// The freezer of a process: its v1 freezer cgroup directory, or its v2
// cgroup directory on a unified host. Empty when there is none.
struct Freezer {
	std::string dir;
	bool v2 = false;
	explicit operator bool() const { return !dir.empty(); }
	bool frozen() const;
	void thaw() const;   // best effort, never throws
	void freeze() const; // best effort, never throws
};
Freezer freezer_of(int pid, const std::vector<CgroupHierarchy> &hierarchies);

// The host's cgroup layout and the kind of freezer freezer_of() picks on it.
struct HostCgroups {
	ccr_cgroup_layout layout = CCR_CGROUP_LAYOUT_NONE;
	ccr_freezer_kind freezer = CCR_FREEZER_NONE;
};
HostCgroups host_cgroups(const std::vector<CgroupHierarchy> &hierarchies);

// Puts a process into the container's cgroups, creating the directories it
// needs, and takes away what it created unless commit() is called.
class CgroupPlacement {
public:
	// `paths` maps a hierarchy's controller key (or "" for all) to the
	// container's path in it.
	CgroupPlacement(std::vector<CgroupHierarchy> hierarchies,
			std::vector<std::pair<std::string, std::string>> paths);
	CgroupPlacement(const CgroupPlacement &) = delete;
	CgroupPlacement &operator=(const CgroupPlacement &) = delete;
	~CgroupPlacement();

	void join(int pid);
	// Kills every process left in the directories this placement made, and
	// every process that entered a directory it joined but found existing
	// (one that was there before join() is someone else's), then removes
	// the directories it created.
	void rollback() noexcept;
	void commit() { committed_ = true; }

	// The cgroup roots CRIU should restore into, as (controllers, path).
	std::vector<std::pair<std::string, std::string>> roots_of(int pid) const;

	// The host directory of the container's cgroup in `h`.
	std::string dir_for(const CgroupHierarchy &h) const;
	// The directories join() put a process into, one per hierarchy.
	const std::vector<std::string> &joined_dirs() const { return joined_dirs_; }

private:
	std::string path_for(const CgroupHierarchy &h) const;
	std::vector<CgroupHierarchy> hierarchies_;
	std::vector<std::pair<std::string, std::string>> paths_;
	std::vector<std::string> joined_dirs_;
	std::vector<std::string> created_dirs_; // in creation order
	// Joined directories that existed before, with the processes they held.
	std::vector<std::pair<std::string, std::vector<int>>> found_dirs_;
	bool committed_ = false;
};

} // namespace ccr
