// SPDX-License-Identifier: Apache-2.0
// What ccr decides about the host's cgroup mounts without touching them: the
// layout ccr check reports, the names CRIU looks for in ccr's cgroup yard,
// the cgroup2 superblock options the guard keeps, and the yard reaching the
// CRIU request.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cgroup2_options.hpp"
#include "cgroup_yard.hpp"
#include "cgroups.hpp"
#include "mountinfo.hpp"
#include "request_builder.hpp"

namespace {

const char kHybrid[] =
	"25 22 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
	"26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 "
	"rw,nsdelegate,memory_recursiveprot\n"
	"32 25 0:29 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup "
	"rw,freezer\n";
const char kV2[] = "25 22 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
		   "rw,nsdelegate\n";
const char kV1NoFreezer[] = "33 25 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n";

TEST(HostCgroups, LayoutAndFreezer)
{
	auto hybrid = ccr::host_cgroups(ccr::parse_cgroup_mounts(kHybrid));
	EXPECT_EQ(hybrid.layout, CCR_CGROUP_LAYOUT_HYBRID);
	EXPECT_EQ(hybrid.freezer, CCR_FREEZER_V1);
	auto v2 = ccr::host_cgroups(ccr::parse_cgroup_mounts(kV2));
	EXPECT_EQ(v2.layout, CCR_CGROUP_LAYOUT_V2);
	EXPECT_EQ(v2.freezer, CCR_FREEZER_V2);
	auto v1 = ccr::host_cgroups(ccr::parse_cgroup_mounts(kV1NoFreezer));
	EXPECT_EQ(v1.layout, CCR_CGROUP_LAYOUT_V1);
	EXPECT_EQ(v1.freezer, CCR_FREEZER_NONE);
	auto none = ccr::host_cgroups({});
	EXPECT_EQ(none.layout, CCR_CGROUP_LAYOUT_NONE);
	EXPECT_EQ(none.freezer, CCR_FREEZER_NONE);
}

TEST(CgroupYard, EntryNamesAreTheOnesCriuLooksFor)
{
	EXPECT_EQ(ccr::CgroupYard::entry_name(""), "unified");
	EXPECT_EQ(ccr::CgroupYard::entry_name("name=systemd"), "systemd");
	EXPECT_EQ(ccr::CgroupYard::entry_name("cpu,cpuacct"), "cpu,cpuacct");
	EXPECT_EQ(ccr::CgroupYard::entry_name("freezer"), "freezer");
}

TEST(CgroupYard, NoYardWhenCgroup2IsNotMountedFromItsRoot)
{
	// Only a subtree of the v2 hierarchy is visible: a bind of it would show
	// CRIU the wrong paths, so there is no yard (and nothing is created).
	const std::string mi = "26 25 0:23 /sub /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n";
	ccr::CgroupYard yard("/nonexistent/ccr-yard-test", ccr::parse_cgroup_mounts(mi),
			     ccr::parse_proc_cgroup("0::/sub/x\n"));
	EXPECT_EQ(yard.path(), "");
	EXPECT_NE(yard.why_not().find("cgroup2"), std::string::npos) << yard.why_not();
}

TEST(Cgroup2Options, SuperblockOptionsWithoutRwOrRo)
{
	std::string at;
	auto opts = ccr::cgroup2_superblock_options(ccr::parse_mountinfo(kHybrid), &at);
	EXPECT_EQ(at, "/sys/fs/cgroup/unified");
	EXPECT_EQ(opts, (std::vector<std::string>{"nsdelegate", "memory_recursiveprot"}));
	opts = ccr::cgroup2_superblock_options(ccr::parse_mountinfo(kV1NoFreezer), &at);
	EXPECT_EQ(at, "");
	EXPECT_TRUE(opts.empty());
}

TEST(CgroupYardRequest, DumpAndRestoreCarryTheYardAndTheCallersWins)
{
	ccr::Options opts;
	ccr::DumpPlan dump;
	dump.cgroup_yard = "/run/ccr/x/cgroup-yard";
	EXPECT_EQ(ccr::build_dump_request(opts, dump).opts().cgroup_yard(), "/run/ccr/x/cgroup-yard");
	ccr::RestorePlan rst;
	rst.cgroup_yard = "/run/ccr/y/cgroup-yard";
	EXPECT_EQ(ccr::build_restore_request(opts, rst).opts().cgroup_yard(), "/run/ccr/y/cgroup-yard");
	opts.cgroup_yard = "/callers/yard";
	EXPECT_EQ(ccr::build_restore_request(opts, rst).opts().cgroup_yard(), "/callers/yard");
	EXPECT_FALSE(ccr::build_dump_request(opts, ccr::DumpPlan{}).opts().has_cgroup_yard());
}

} // namespace

namespace {

TEST(CgroupMounts, YardsOfOtherOperationsAreNotTheHostsHierarchies)
{
	// A v2 host while another operation's yards exist: ccr's (a tmpfs with
	// v1 hierarchies mounted in it) and CRIU's own. Only /sys/fs/cgroup
	// counts.
	const std::string mi = "90 80 0:50 / /run/ccr/web2-abc/cgroup-yard rw - tmpfs ccr-cgroup-yard rw,mode=700\n"
			       "91 90 0:29 / /run/ccr/web2-abc/cgroup-yard/freezer rw - cgroup cgroup rw,freezer\n"
			       "92 90 0:23 / /run/ccr/web2-abc/cgroup-yard/unified rw - cgroup2 cgroup2 rw\n"
			       "25 22 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
			       "93 80 0:51 / /var/lib/x/.criu.cgyard.Q1w2e3 rw - tmpfs none rw\n"
			       "94 93 0:30 / /var/lib/x/.criu.cgyard.Q1w2e3/memory rw - cgroup cgroup rw,memory\n";
	auto hs = ccr::parse_cgroup_mounts(mi);
	ASSERT_EQ(hs.size(), 1u);
	EXPECT_EQ(hs[0].mountpoint, "/sys/fs/cgroup");
	EXPECT_TRUE(hs[0].v2);
	EXPECT_EQ(ccr::host_cgroups(hs).freezer, CCR_FREEZER_V2);
}

} // namespace
