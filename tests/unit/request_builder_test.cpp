// SPDX-License-Identifier: Apache-2.0
// build_dump_request()/build_restore_request(): every option and every plan
// field must land in its own CRIU field. Each is checked on its own, set and
// unset, so a field wired to the wrong CRIU option (both are just numbers on
// the wire) cannot pass. And choose_criu_config_file()'s precedence rules.
#include "request_builder.hpp"

#include "criu_enums.hpp"
#include "criu_log.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "criu_config_file.hpp"
#include "oci_config.hpp"

namespace {

namespace criu = ccr::criu;

criu::criu_opts dump_opts(const ccr::Options &o, const ccr::DumpPlan &p = {})
{
	return ccr::build_dump_request(o, p).opts();
}

criu::criu_opts restore_opts(const ccr::Options &o, const ccr::RestorePlan &p = {})
{
	return ccr::build_restore_request(o, p).opts();
}

// Sets one boolean option and checks that exactly the expected CRIU field
// turned on, in dump and restore alike (the options say "both").
struct SharedFlag {
	const char *name;
	bool ccr::Options::*option;
	bool (criu::criu_opts::*field)() const;
	bool (criu::criu_opts::*has)() const;
};

const SharedFlag kSharedFlags[] = {
	{"tcp_established", &ccr::Options::tcp_established, &criu::criu_opts::tcp_established,
	 &criu::criu_opts::has_tcp_established},
	{"ext_unix_sk", &ccr::Options::ext_unix_sk, &criu::criu_opts::ext_unix_sk, &criu::criu_opts::has_ext_unix_sk},
	{"shell_job", &ccr::Options::shell_job, &criu::criu_opts::shell_job, &criu::criu_opts::has_shell_job},
	{"file_locks", &ccr::Options::file_locks, &criu::criu_opts::file_locks, &criu::criu_opts::has_file_locks},
	{"auto_dedup", &ccr::Options::auto_dedup, &criu::criu_opts::auto_dedup, &criu::criu_opts::has_auto_dedup},
};

TEST(RequestBuilder, SharedFlagsEachSetTheirOwnField)
{
	for (const auto &flag : kSharedFlags) {
		ccr::Options opts;
		for (const auto &build : {dump_opts({}, {}), restore_opts({}, {})}) {
			EXPECT_FALSE((build.*flag.field)()) << flag.name << " is on by default";
		}
		opts.*flag.option = true;
		for (const auto &o : {dump_opts(opts), restore_opts(opts)}) {
			EXPECT_TRUE((o.*flag.has)()) << flag.name;
			EXPECT_TRUE((o.*flag.field)()) << flag.name;
			// None of the other flags came along with it.
			for (const auto &other : kSharedFlags) {
				if (other.option != flag.option) {
					EXPECT_FALSE((o.*other.field)()) << flag.name << " also set " << other.name;
				}
			}
		}
	}
}

TEST(RequestBuilder, LeaveRunningIsADumpOption)
{
	ccr::Options opts;
	EXPECT_FALSE(dump_opts(opts).leave_running());
	opts.leave_running = true;
	EXPECT_TRUE(dump_opts(opts).leave_running());
	EXPECT_FALSE(dump_opts(opts).leave_stopped());
}

TEST(RequestBuilder, LeaveStoppedIsARestoreOption)
{
	ccr::Options opts;
	EXPECT_FALSE(restore_opts(opts).leave_stopped());
	opts.leave_stopped = true;
	EXPECT_TRUE(restore_opts(opts).leave_stopped());
	EXPECT_FALSE(restore_opts(opts).leave_running());
}

TEST(RequestBuilder, EmptyNs)
{
	ccr::Options opts;
	EXPECT_FALSE(dump_opts(opts).has_empty_ns());
	opts.empty_ns = 0x40000000; // CLONE_NEWNET
	EXPECT_EQ(dump_opts(opts).empty_ns(), 0x40000000u);
	EXPECT_EQ(restore_opts(opts).empty_ns(), 0x40000000u);
}

TEST(RequestBuilder, CgroupModeForEveryValue)
{
	const std::map<ccr_cgroup_mode, criu::criu_cg_mode> expected = {
		{CCR_CGROUP_SOFT, criu::SOFT},     {CCR_CGROUP_FULL, criu::FULL},    {CCR_CGROUP_STRICT, criu::STRICT},
		{CCR_CGROUP_IGNORE, criu::IGNORE}, {CCR_CGROUP_NONE, criu::CG_NONE}, {CCR_CGROUP_PROPS, criu::PROPS},
	};
	for (const auto &[mode, cg] : expected) {
		ccr::Options opts;
		opts.cgroup_mode = mode;
		for (const auto &o : {dump_opts(opts), restore_opts(opts)}) {
			EXPECT_TRUE(o.has_manage_cgroups_mode()) << mode;
			EXPECT_EQ(o.manage_cgroups_mode(), cg) << "ccr mode " << mode;
			EXPECT_TRUE(o.manage_cgroups());
		}
		EXPECT_EQ(ccr::to_criu_cg_mode(mode), cg);
	}
	// The default leaves the choice to CRIU (and its config file): the
	// field is not sent at all.
	ccr::Options opts;
	EXPECT_FALSE(dump_opts(opts).has_manage_cgroups_mode());
	EXPECT_FALSE(restore_opts(opts).has_manage_cgroups_mode());
	EXPECT_EQ(ccr::to_criu_cg_mode(CCR_CGROUP_DEFAULT), criu::DEFAULT);
}

// The C enums' numbers are not CRIU's, so each value maps through a table;
// the default sends nothing.
TEST(RequestBuilder, NetworkLockForEveryValue)
{
	const std::map<ccr_network_lock, criu::criu_network_lock_method> expected = {
		{CCR_NETWORK_LOCK_IPTABLES, criu::IPTABLES},
		{CCR_NETWORK_LOCK_NFTABLES, criu::NFTABLES},
		{CCR_NETWORK_LOCK_SKIP, criu::SKIP},
	};
	for (const auto &[method, criu_method] : expected) {
		ccr::Options opts;
		opts.network_lock = method;
		EXPECT_TRUE(dump_opts(opts).has_network_lock()) << method;
		EXPECT_EQ(dump_opts(opts).network_lock(), criu_method) << "ccr method " << method;
		// CRIU's restore takes the images' method and ignores the request's.
		EXPECT_FALSE(restore_opts(opts).has_network_lock()) << method;
	}
	ccr::Options opts;
	EXPECT_FALSE(dump_opts(opts).has_network_lock());
	EXPECT_FALSE(restore_opts(opts).has_network_lock());
	EXPECT_FALSE(ccr::to_criu_network_lock(CCR_NETWORK_LOCK_DEFAULT).has_value());
}

TEST(RequestBuilder, PreDumpModeForEveryValue)
{
	const std::map<ccr_pre_dump_mode, criu::criu_pre_dump_mode> expected = {
		{CCR_PRE_DUMP_SPLICE, criu::SPLICE},
		{CCR_PRE_DUMP_READ, criu::VM_READ},
	};
	for (const auto &[mode, criu_mode] : expected) {
		ccr::Options opts;
		opts.pre_dump = true;
		opts.pre_dump_mode = mode;
		auto o = dump_opts(opts);
		EXPECT_TRUE(o.has_pre_dump_mode()) << mode;
		EXPECT_EQ(o.pre_dump_mode(), criu_mode) << "ccr mode " << mode;
	}
	ccr::Options opts;
	opts.pre_dump = true;
	EXPECT_FALSE(dump_opts(opts).has_pre_dump_mode());
}

TEST(RequestBuilder, LogLevel)
{
	ccr::Options opts;
	EXPECT_EQ(dump_opts(opts).log_level(), 4);
	for (int level : {0, 1, 3}) {
		opts.log_level = level;
		EXPECT_TRUE(dump_opts(opts).has_log_level());
		EXPECT_EQ(dump_opts(opts).log_level(), level);
		EXPECT_EQ(restore_opts(opts).log_level(), level);
	}
}

TEST(RequestBuilder, LogFileDefaultsByOperation)
{
	ccr::Options opts;
	EXPECT_EQ(dump_opts(opts).log_file(), "dump.log");
	EXPECT_EQ(restore_opts(opts).log_file(), "restore.log");
	opts.pre_dump = true;
	EXPECT_EQ(dump_opts(opts).log_file(), "pre-dump.log");
	EXPECT_EQ(ccr::log_file_name(opts, false), "pre-dump.log");
	EXPECT_EQ(ccr::log_file_name(opts, true), "restore.log");

	opts.log_file = "mine.log";
	EXPECT_EQ(dump_opts(opts).log_file(), "mine.log");
	EXPECT_EQ(restore_opts(opts).log_file(), "mine.log");
	EXPECT_EQ(ccr::log_file_name(opts, true), "mine.log");
}

TEST(RequestBuilder, PreDumpIsPreDumpWithMemoryTracking)
{
	ccr::Options opts;
	criu::criu_req full = ccr::build_dump_request(opts, {});
	EXPECT_EQ(full.type(), criu::DUMP);
	EXPECT_FALSE(full.opts().track_mem());
	opts.pre_dump = true;
	criu::criu_req pre = ccr::build_dump_request(opts, {});
	EXPECT_EQ(pre.type(), criu::PRE_DUMP);
	EXPECT_TRUE(pre.opts().track_mem());
	EXPECT_FALSE(pre.opts().has_parent_img());
}

TEST(RequestBuilder, ParentPathIsParentImgWithMemoryTracking)
{
	ccr::Options opts;
	opts.parent_path = "../pre1";
	criu::criu_req req = ccr::build_dump_request(opts, {});
	EXPECT_EQ(req.type(), criu::DUMP);
	EXPECT_EQ(req.opts().parent_img(), "../pre1");
	EXPECT_TRUE(req.opts().track_mem());
	// Pre-dump on top of a pre-dump: both at once.
	opts.pre_dump = true;
	req = ccr::build_dump_request(opts, {});
	EXPECT_EQ(req.type(), criu::PRE_DUMP);
	EXPECT_EQ(req.opts().parent_img(), "../pre1");
}

TEST(RequestBuilder, LsmProfileAndMountContextAreRestoreOptions)
{
	ccr::Options opts;
	EXPECT_FALSE(restore_opts(opts).has_lsm_profile());
	EXPECT_FALSE(restore_opts(opts).has_lsm_mount_context());
	opts.lsm_profile = "apparmor:ccr-default";
	EXPECT_EQ(restore_opts(opts).lsm_profile(), "apparmor:ccr-default");
	EXPECT_FALSE(restore_opts(opts).has_lsm_mount_context());
	opts.lsm_mount_context = "system_u:object_r:container_file_t:s0:c1,c2";
	EXPECT_EQ(restore_opts(opts).lsm_mount_context(), "system_u:object_r:container_file_t:s0:c1,c2");
	EXPECT_EQ(restore_opts(opts).lsm_profile(), "apparmor:ccr-default");
}

TEST(RequestBuilder, RestoreAlwaysAsksForSiblingAndEvasiveDevices)
{
	criu::criu_opts o = restore_opts({});
	// The restored init must be our child so it outlives CRIU.
	EXPECT_TRUE(o.rst_sibling());
	EXPECT_TRUE(o.evasive_devices());
	EXPECT_FALSE(dump_opts({}).rst_sibling());
}

TEST(RequestBuilder, NotifyScriptsOrphanPtsAndCgroupsAlwaysOn)
{
	// The notify callback and the console socket depend on these; without
	// notify_scripts CRIU would never tell us the restored pid early.
	for (const auto &o : {dump_opts({}), restore_opts({})}) {
		EXPECT_TRUE(o.notify_scripts());
		EXPECT_TRUE(o.orphan_pts_master());
		EXPECT_TRUE(o.manage_cgroups());
	}
}

TEST(RequestBuilder, DumpPlanFields)
{
	ccr::DumpPlan plan;
	plan.pid = 4242;
	plan.images_dir_fd = 11;
	plan.work_dir_fd = 12;
	plan.root = "/var/lib/ccr/web1/rootfs";
	plan.freeze_cgroup = "/sys/fs/cgroup/freezer/ccr/web1";
	plan.ext_mounts = {{"/etc/hosts", "/etc/hosts"}, {"/proc/kcore", "/dev/null"}};
	plan.external = {"net[4026532008]:extRootNetNS", "pid[4026532010]:extRootPidNS"};
	plan.config_file = "/etc/criu/ccr.conf";
	plan.network_lock = criu::NFTABLES;
	criu::criu_opts o = dump_opts({}, plan);
	EXPECT_EQ(o.network_lock(), criu::NFTABLES);
	EXPECT_EQ(o.pid(), 4242);
	EXPECT_EQ(o.images_dir_fd(), 11);
	EXPECT_EQ(o.work_dir_fd(), 12);
	EXPECT_EQ(o.root(), "/var/lib/ccr/web1/rootfs");
	EXPECT_EQ(o.freeze_cgroup(), "/sys/fs/cgroup/freezer/ccr/web1");
	ASSERT_EQ(o.ext_mnt_size(), 2);
	EXPECT_EQ(o.ext_mnt(0).key(), "/etc/hosts");
	EXPECT_EQ(o.ext_mnt(0).val(), "/etc/hosts");
	EXPECT_EQ(o.ext_mnt(1).key(), "/proc/kcore");
	EXPECT_EQ(o.ext_mnt(1).val(), "/dev/null");
	ASSERT_EQ(o.external_size(), 2);
	EXPECT_EQ(o.external(0), "net[4026532008]:extRootNetNS");
	EXPECT_EQ(o.external(1), "pid[4026532010]:extRootPidNS");
	EXPECT_EQ(o.config_file(), "/etc/criu/ccr.conf");
}

TEST(RequestBuilder, DumpPlanEmptyFieldsAreNotSent)
{
	criu::criu_opts o = dump_opts({}, {});
	// No freezer: CRIU seizes the tree with ptrace instead.
	EXPECT_FALSE(o.has_freeze_cgroup());
	EXPECT_FALSE(o.has_config_file());
	EXPECT_FALSE(o.has_network_lock());
	EXPECT_EQ(o.ext_mnt_size(), 0);
	EXPECT_EQ(o.external_size(), 0);
	// A plan's config_file of "" is still a choice: sent as given.
	ccr::DumpPlan plan;
	plan.config_file = "";
	EXPECT_TRUE(dump_opts({}, plan).has_config_file());
}

TEST(RequestBuilder, RestorePlanFields)
{
	ccr::RestorePlan plan;
	plan.images_dir_fd = 21;
	plan.work_dir_fd = 22;
	plan.root = "/run/ccr/web1-x/root";
	plan.ext_mounts = {{"/etc/hosts", "/var/lib/web1/hosts"}};
	plan.inherit_fds = {{"pipe:[1234]", 1}, {"extRootNetNS", 4}};
	plan.cgroup_roots = {{"cpu", "/ccr/web1"}, {"", "/ccr/all"}};
	plan.join_ns = {{"ipc", "/proc/1/ns/ipc"}, {"uts", "/proc/1/ns/uts"}};
	plan.config_file = "/etc/criu/runc.conf";
	criu::criu_req req = ccr::build_restore_request({}, plan);
	EXPECT_EQ(req.type(), criu::RESTORE);
	const criu::criu_opts &o = req.opts();
	EXPECT_EQ(o.images_dir_fd(), 21);
	EXPECT_EQ(o.work_dir_fd(), 22);
	EXPECT_EQ(o.root(), "/run/ccr/web1-x/root");
	EXPECT_FALSE(o.has_pid());
	ASSERT_EQ(o.ext_mnt_size(), 1);
	EXPECT_EQ(o.ext_mnt(0).key(), "/etc/hosts");
	EXPECT_EQ(o.ext_mnt(0).val(), "/var/lib/web1/hosts");
	ASSERT_EQ(o.inherit_fd_size(), 2);
	EXPECT_EQ(o.inherit_fd(0).key(), "pipe:[1234]");
	EXPECT_EQ(o.inherit_fd(0).fd(), 1);
	EXPECT_EQ(o.inherit_fd(1).key(), "extRootNetNS");
	EXPECT_EQ(o.inherit_fd(1).fd(), 4);
	ASSERT_EQ(o.cg_root_size(), 2);
	// With a controller: only that hierarchy.
	EXPECT_TRUE(o.cg_root(0).has_ctrl());
	EXPECT_EQ(o.cg_root(0).ctrl(), "cpu");
	EXPECT_EQ(o.cg_root(0).path(), "/ccr/web1");
	// Without one: ctrl is left out, which CRIU reads as every hierarchy
	// (an empty ctrl would name no controller at all).
	EXPECT_FALSE(o.cg_root(1).has_ctrl());
	EXPECT_EQ(o.cg_root(1).path(), "/ccr/all");
	ASSERT_EQ(o.join_ns_size(), 2);
	EXPECT_EQ(o.join_ns(0).ns(), "ipc");
	EXPECT_EQ(o.join_ns(0).ns_file(), "/proc/1/ns/ipc");
	EXPECT_FALSE(o.join_ns(0).has_extra_opt());
	EXPECT_EQ(o.join_ns(1).ns(), "uts");
	EXPECT_EQ(o.join_ns(1).ns_file(), "/proc/1/ns/uts");
	EXPECT_EQ(o.config_file(), "/etc/criu/runc.conf");
}

TEST(RequestBuilder, RestorePlanEmptyFieldsAreNotSent)
{
	criu::criu_opts o = restore_opts({}, {});
	EXPECT_EQ(o.ext_mnt_size(), 0);
	EXPECT_EQ(o.inherit_fd_size(), 0);
	EXPECT_EQ(o.cg_root_size(), 0);
	EXPECT_EQ(o.join_ns_size(), 0);
	EXPECT_FALSE(o.has_config_file());
	EXPECT_FALSE(o.has_freeze_cgroup());
}

TEST(RequestBuilder, RequestsAreComplete)
{
	// criu_opts.images_dir_fd and criu_req.type are required: a request
	// missing one would not even serialize.
	EXPECT_TRUE(ccr::build_dump_request({}, {}).IsInitialized());
	EXPECT_TRUE(ccr::build_restore_request({}, {}).IsInitialized());
}

// ---- choose_criu_config_file --------------------------------------------------

// The injectable exists(): which of the well-known files "exist".
bool g_ccr_conf = false;
bool g_runc_conf = false;
std::vector<std::string> g_asked;

bool fake_exists(const std::string &path)
{
	g_asked.push_back(path);
	if (path == "/etc/criu/ccr.conf")
		return g_ccr_conf;
	if (path == "/etc/criu/runc.conf")
		return g_runc_conf;
	return false;
}

class ConfigFileChoice : public ::testing::Test {
protected:
	void SetUp() override
	{
		g_ccr_conf = g_runc_conf = false;
		g_asked.clear();
	}
	std::optional<std::string> choose() { return ccr::choose_criu_config_file(opts_, config_, fake_exists); }

	ccr::Options opts_;
	ccr::OciConfig config_;
};

TEST_F(ConfigFileChoice, NothingAnywhereMeansNone)
{
	EXPECT_EQ(choose(), std::nullopt);
	EXPECT_EQ(g_asked, (std::vector<std::string>{"/etc/criu/ccr.conf", "/etc/criu/runc.conf"}));
}

TEST_F(ConfigFileChoice, CcrConfBeforeRuncConf)
{
	g_runc_conf = true;
	EXPECT_EQ(choose(), "/etc/criu/runc.conf");
	g_ccr_conf = true;
	EXPECT_EQ(choose(), "/etc/criu/ccr.conf");
}

TEST_F(ConfigFileChoice, AnnotationPathWinsOverDefaultFiles)
{
	g_ccr_conf = g_runc_conf = true;
	config_.annotations["org.criu.config"] = "/srv/criu/web1.conf";
	EXPECT_EQ(choose(), "/srv/criu/web1.conf");
	EXPECT_TRUE(g_asked.empty()) << "the default files need not even be looked at";
}

TEST_F(ConfigFileChoice, EmptyAnnotationMeansNoFile)
{
	g_ccr_conf = g_runc_conf = true;
	config_.annotations["org.criu.config"] = "";
	EXPECT_EQ(choose(), std::nullopt);
}

TEST_F(ConfigFileChoice, OtherAnnotationsAreIgnored)
{
	g_runc_conf = true;
	config_.annotations["org.criu.config.extra"] = "/nope.conf";
	EXPECT_EQ(choose(), "/etc/criu/runc.conf");
}

TEST_F(ConfigFileChoice, ExplicitOptionWinsOverEverything)
{
	g_ccr_conf = g_runc_conf = true;
	config_.annotations["org.criu.config"] = "/srv/criu/web1.conf";
	opts_.criu_config_file = "/opt/mine.conf";
	EXPECT_EQ(choose(), "/opt/mine.conf");
	// An explicit "" is an explicit "no file", whatever the annotation says.
	opts_.criu_config_file = "";
	EXPECT_EQ(choose(), std::nullopt);
}

} // namespace
