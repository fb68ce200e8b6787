// SPDX-License-Identifier: Apache-2.0
// The cgroup yard ccr hands CRIU (CRIU's cgroup_yard option): a private tmpfs
// holding a bind of every cgroup hierarchy the host already has mounted.
//
// Without a yard CRIU mounts each hierarchy afresh to read or create the
// container's cgroups. A fresh cgroup2 mount re-applies its (empty) mount
// options to the one cgroup2 superblock the whole host shares, so the host
// loses nsdelegate, memory_recursiveprot and the like (CRIU issue 3029).
// A bind mount leaves the superblock alone, so with this yard CRIU never
// mounts cgroup2 at all.
#pragma once

#include <string>
#include <vector>

#include "cgroups.hpp"

namespace ccr {

class CgroupYard {
public:
	CgroupYard() = default;
	// Builds the yard at `dir` (created here, removed on destruction) for
	// the hierarchies a process belongs to (`memberships`, as in
	// /proc/<pid>/cgroup). A v1 hierarchy the host has not mounted is
	// mounted in the yard as CRIU would; v1 mounts never change the
	// hierarchy's options. When the v2 hierarchy is needed but not mounted
	// from its root, no yard is made: path() is empty and CRIU mounts on
	// its own. Never throws: a yard is an improvement, not a requirement;
	// `why_not` says why none was made.
	CgroupYard(const std::string &dir, const std::vector<CgroupHierarchy> &hierarchies,
		   const std::vector<CgroupMembership> &memberships);
	CgroupYard(const CgroupYard &) = delete;
	CgroupYard &operator=(const CgroupYard &) = delete;
	CgroupYard(CgroupYard &&other) noexcept;
	CgroupYard &operator=(CgroupYard &&other) noexcept;
	~CgroupYard();

	// The yard's path for CRIU, or "" when there is none.
	const std::string &path() const { return path_; }
	const std::string &why_not() const { return why_not_; }

	// The name CRIU looks for in a yard for a hierarchy, from the
	// controller field of /proc/<pid>/cgroup: "unified" for v2, "systemd"
	// for "name=systemd", "cpu,cpuacct" as it is.
	static std::string entry_name(const std::string &controllers);

private:
	void tear_down() noexcept;
	std::string path_;
	std::string dir_;
	bool mounted_ = false;
	std::string why_not_;
};

} // namespace ccr
