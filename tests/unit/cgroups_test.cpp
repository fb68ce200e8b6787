// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/cgroup and the host's cgroup mounts, parsed from sample text:
// a hybrid (v1 + unified sidecar) host like older systemd distributions, and
// a v2-only host. The controller keys must match between the two files,
// since the freezer and the restore placement look hierarchies up by them.
#include "cgroups.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

const char kHybridProcCgroup[] = "12:freezer:/ccr/web1\n"
				 "11:cpu,cpuacct:/ccr/web1\n"
				 "10:net_cls,net_prio:/\n"
				 "3:memory:/ccr/web1\n"
				 "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
				 "0::/user.slice/user-1000.slice/session-2.scope\n";

const char kHybridMountinfo[] =
	"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
	"25 22 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
	"26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 "
	"rw,nsdelegate\n"
	"27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup "
	"rw,xattr,name=systemd\n"
	"30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup "
	"rw,cpuacct,cpu\n"
	"31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup "
	"rw,net_cls,net_prio\n"
	"32 25 0:29 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup "
	"rw,freezer\n"
	"33 25 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup "
	"rw,memory,clone_children\n"
	// The same freezer hierarchy mounted a second time (a bind elsewhere).
	"40 22 0:29 /ccr /mnt/freezer\\040copy rw,relatime shared:16 - cgroup cgroup rw,freezer\n"
	"41 22 0:45 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw\n";

const char kV2ProcCgroup[] = "0::/system.slice/ccr-web1.scope\n";

const char kV2Mountinfo[] = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
			    "25 22 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
			    "rw,nsdelegate,memory_recursiveprot\n";

const ccr::CgroupHierarchy *find(const std::vector<ccr::CgroupHierarchy> &hs, const std::string &key, bool v2 = false)
{
	for (const auto &h : hs)
		if (h.v2 == v2 && h.controller_key() == key)
			return &h;
	return nullptr;
}

TEST(ProcCgroup, HybridHost)
{
	auto m = ccr::parse_proc_cgroup(kHybridProcCgroup);
	ASSERT_EQ(m.size(), 6u);
	EXPECT_EQ(m[0].hierarchy, 12);
	EXPECT_EQ(m[0].controllers, "freezer");
	EXPECT_EQ(m[0].path, "/ccr/web1");
	EXPECT_EQ(m[1].hierarchy, 11);
	EXPECT_EQ(m[1].controllers, "cpu,cpuacct");
	EXPECT_EQ(m[2].path, "/");
	EXPECT_EQ(m[4].hierarchy, 1);
	EXPECT_EQ(m[4].controllers, "name=systemd");
	EXPECT_EQ(m[4].path, "/user.slice/user-1000.slice/session-2.scope");
	// The unified sidecar: hierarchy 0, no controllers.
	EXPECT_EQ(m[5].hierarchy, 0);
	EXPECT_EQ(m[5].controllers, "");
	EXPECT_EQ(m[5].path, "/user.slice/user-1000.slice/session-2.scope");
}

TEST(ProcCgroup, V2Host)
{
	auto m = ccr::parse_proc_cgroup(kV2ProcCgroup);
	ASSERT_EQ(m.size(), 1u);
	EXPECT_EQ(m[0].hierarchy, 0);
	EXPECT_EQ(m[0].controllers, "");
	EXPECT_EQ(m[0].path, "/system.slice/ccr-web1.scope");
}

TEST(ProcCgroup, PathsWithColonsAndJunkLines)
{
	// Only the first two colons separate fields; a path may hold more.
	auto m = ccr::parse_proc_cgroup("garbage\nx:y:/z\n0::/a:b:c\n\n");
	ASSERT_EQ(m.size(), 1u);
	EXPECT_EQ(m[0].path, "/a:b:c");
	EXPECT_TRUE(ccr::parse_proc_cgroup("").empty());
}

TEST(CgroupMounts, HybridHost)
{
	auto hs = ccr::parse_cgroup_mounts(kHybridMountinfo);
	// unified + systemd + cpu,cpuacct + net_cls,net_prio + freezer + memory;
	// the tmpfs, the second freezer mount and proc are not hierarchies.
	ASSERT_EQ(hs.size(), 6u);

	const auto *unified = find(hs, "", true);
	ASSERT_NE(unified, nullptr);
	EXPECT_EQ(unified->mountpoint, "/sys/fs/cgroup/unified");
	EXPECT_TRUE(unified->controllers.empty());

	const auto *systemd = find(hs, "name=systemd");
	ASSERT_NE(systemd, nullptr) << "xattr is a mount flag, not a controller";
	EXPECT_EQ(systemd->mountpoint, "/sys/fs/cgroup/systemd");
	EXPECT_EQ(systemd->controllers, (std::vector<std::string>{"name=systemd"}));

	// Mounted as "cpuacct,cpu": the key must still read as the kernel
	// writes it in /proc/<pid>/cgroup.
	const auto *cpu = find(hs, "cpu,cpuacct");
	ASSERT_NE(cpu, nullptr);
	EXPECT_EQ(cpu->mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
	EXPECT_EQ(cpu->root, "/");
	EXPECT_FALSE(cpu->v2);

	const auto *memory = find(hs, "memory");
	ASSERT_NE(memory, nullptr) << "clone_children is a flag, not a controller";

	// The first mount of a hierarchy wins over a later bind of it.
	const auto *freezer = find(hs, "freezer");
	ASSERT_NE(freezer, nullptr);
	EXPECT_EQ(freezer->mountpoint, "/sys/fs/cgroup/freezer");

	// Every v1 line of /proc/<pid>/cgroup finds its hierarchy by key.
	for (const auto &m : ccr::parse_proc_cgroup(kHybridProcCgroup)) {
		if (!m.controllers.empty()) {
			EXPECT_NE(find(hs, m.controllers), nullptr) << m.controllers;
		}
	}
}

TEST(CgroupMounts, V2Host)
{
	auto hs = ccr::parse_cgroup_mounts(kV2Mountinfo);
	ASSERT_EQ(hs.size(), 1u);
	EXPECT_TRUE(hs[0].v2);
	EXPECT_EQ(hs[0].mountpoint, "/sys/fs/cgroup");
	// nsdelegate and memory_recursiveprot are options, not v1 controllers.
	EXPECT_TRUE(hs[0].controllers.empty());
	EXPECT_EQ(hs[0].controller_key(), "");
}

TEST(CgroupMounts, EscapedMountpoint)
{
	auto hs = ccr::parse_cgroup_mounts(
		"50 1 0:60 / /srv/my\\040cgroups rw,relatime shared:30 - cgroup cgroup rw,pids\n");
	ASSERT_EQ(hs.size(), 1u);
	EXPECT_EQ(hs[0].mountpoint, "/srv/my cgroups");
	EXPECT_EQ(hs[0].controller_key(), "pids");
}

TEST(CgroupPlacementPaths, PerControllerAndDefault)
{
	auto hs = ccr::parse_cgroup_mounts(kHybridMountinfo);
	// Nothing is created or joined: dir_for() only computes, and the
	// destructor's rollback has nothing to undo.
	const auto *memory = find(hs, "memory"), *systemd = find(hs, "name=systemd"), *cpu = find(hs, "cpu,cpuacct"),
		   *freezer = find(hs, "freezer");
	ASSERT_TRUE(memory && systemd && cpu && freezer);
	ccr::CgroupPlacement p(hs, {{"memory", "/mem/web1"}, {"name=systemd", "/sd/web1"}, {"", "/ccr/web1"}});
	EXPECT_EQ(p.dir_for(*memory), "/sys/fs/cgroup/memory/mem/web1");
	EXPECT_EQ(p.dir_for(*systemd), "/sys/fs/cgroup/systemd/sd/web1");
	EXPECT_EQ(p.dir_for(*cpu), "/sys/fs/cgroup/cpu,cpuacct/ccr/web1");
	EXPECT_EQ(p.dir_for(*freezer), "/sys/fs/cgroup/freezer/ccr/web1");
	p.commit();
}

TEST(CgroupPlacementPaths, OneControllerOfACombinedHierarchy)
{
	auto hs = ccr::parse_cgroup_mounts(kHybridMountinfo);
	// "cpu" alone names the cpu,cpuacct hierarchy.
	const auto *cpu = find(hs, "cpu,cpuacct"), *memory = find(hs, "memory");
	ASSERT_TRUE(cpu && memory);
	ccr::CgroupPlacement p(hs, {{"cpu", "/cpu/web1"}});
	EXPECT_EQ(p.dir_for(*cpu), "/sys/fs/cgroup/cpu,cpuacct/cpu/web1");
	// No path for a hierarchy: its mountpoint (the root cgroup).
	EXPECT_EQ(p.dir_for(*memory), "/sys/fs/cgroup/memory");
	p.commit();
}

TEST(CgroupPlacementPaths, V2Host)
{
	auto hs = ccr::parse_cgroup_mounts(kV2Mountinfo);
	ASSERT_EQ(hs.size(), 1u);
	ccr::CgroupPlacement p(hs, {{"", "/ccr/web1"}});
	EXPECT_EQ(p.dir_for(hs[0]), "/sys/fs/cgroup/ccr/web1");
	p.commit();
}

} // namespace
