// SPDX-License-Identifier: Apache-2.0
// The C ABI as a C caller sees it: only functions from ccr.h. Wrong arguments
// must come back as CCR_ERR_INVALID_ARGUMENT error objects, never as a crash,
// an abort or an exception crossing into C.
#include "ccr.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace {

// Owns an error for the length of one check.
struct Err {
	ccr_error *e;
	explicit Err(ccr_error *e) : e(e) {}
	Err(const Err &) = delete;
	~Err() { ccr_error_free(e); }
	ccr_error_code code() const { return ccr_error_code_of(e); }
	std::string message() const
	{
		const char *m = ccr_error_message(e);
		return m ? m : "(null)";
	}
};

#define EXPECT_INVALID(call)                                                                                           \
	do {                                                                                                           \
		Err err_(call);                                                                                        \
		EXPECT_EQ(err_.code(), CCR_ERR_INVALID_ARGUMENT) << #call << ": " << err_.message();                   \
		if (err_.e) {                                                                                          \
			EXPECT_NE(ccr_error_message(err_.e), nullptr);                                                 \
		}                                                                                                      \
	} while (0)

#define EXPECT_OK(call)                                                                                                \
	do {                                                                                                           \
		Err err_(call);                                                                                        \
		EXPECT_EQ(err_.code(), CCR_OK) << #call << ": " << err_.message();                                     \
	} while (0)

class Capi : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_EQ(ccr_options_new(&opts_), nullptr);
		ASSERT_EQ(ccr_container_new(&ctr_, "web1"), nullptr);
	}
	void TearDown() override
	{
		ccr_options_free(opts_);
		ccr_container_free(ctr_);
	}
	ccr_options *opts_ = nullptr;
	ccr_container *ctr_ = nullptr;
};

// ---- NULL handles ------------------------------------------------------------

TEST_F(Capi, EveryOptionsSetterRefusesANullHandle)
{
	EXPECT_INVALID(ccr_options_new(nullptr));
	EXPECT_INVALID(ccr_options_set_criu_path(nullptr, "criu"));
	EXPECT_INVALID(ccr_options_set_images_dir(nullptr, "/tmp/img"));
	EXPECT_INVALID(ccr_options_set_work_dir(nullptr, "/tmp/work"));
	EXPECT_INVALID(ccr_options_set_parent_path(nullptr, "../pre"));
	EXPECT_INVALID(ccr_options_set_pre_dump(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_leave_running(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_tcp_established(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_ext_unix_sk(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_shell_job(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_file_locks(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_auto_dedup(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_empty_ns(nullptr, 0));
	EXPECT_INVALID(ccr_options_set_cgroup_mode(nullptr, CCR_CGROUP_SOFT));
	EXPECT_INVALID(ccr_options_set_log_level(nullptr, 2));
	EXPECT_INVALID(ccr_options_set_log_file(nullptr, "x.log"));
	EXPECT_INVALID(ccr_options_set_criu_config_file(nullptr, "/etc/criu/x.conf"));
	EXPECT_INVALID(ccr_options_set_notify(nullptr, nullptr, nullptr, nullptr));
	EXPECT_INVALID(ccr_options_set_timeout_ms(nullptr, 10));
	EXPECT_INVALID(ccr_options_set_leave_stopped(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_lsm_profile(nullptr, "p"));
	EXPECT_INVALID(ccr_options_set_lsm_mount_context(nullptr, "c"));
	ccr_options_free(nullptr);
}

TEST_F(Capi, EveryContainerSetterRefusesANullHandle)
{
	EXPECT_INVALID(ccr_container_new(nullptr, "web1"));
	EXPECT_INVALID(ccr_container_set_pid(nullptr, 1));
	EXPECT_INVALID(ccr_container_set_bundle(nullptr, "/b"));
	EXPECT_INVALID(ccr_container_set_config_path(nullptr, "/b/config.json"));
	EXPECT_INVALID(ccr_container_set_config_json(nullptr, "{}"));
	EXPECT_INVALID(ccr_container_set_rootfs(nullptr, "/r"));
	EXPECT_INVALID(ccr_container_set_state_dir(nullptr, "/s"));
	EXPECT_INVALID(ccr_container_set_cgroup_path(nullptr, nullptr, "/ccr/web1"));
	EXPECT_INVALID(ccr_container_set_stdio(nullptr, -1, -1, -1));
	ccr_container_free(nullptr);
}

TEST_F(Capi, OperationsRefuseNullHandles)
{
	ccr_result *res = nullptr;
	EXPECT_INVALID(ccr_checkpoint(&res, nullptr, opts_));
	EXPECT_INVALID(ccr_checkpoint(&res, ctr_, nullptr));
	EXPECT_INVALID(ccr_restore(&res, nullptr, opts_));
	EXPECT_INVALID(ccr_restore(&res, ctr_, nullptr));
	EXPECT_EQ(res, nullptr);
	ccr_result_free(nullptr);
	EXPECT_EQ(ccr_result_pid(nullptr), 0);
}

// A NULL out must be refused before anything happens. With a CRIU that
// cannot start, any other order shows: the answer would be CCR_ERR_CRIU_START.
TEST_F(Capi, QueriesRefuseANullOutBeforeStartingCriu)
{
	EXPECT_OK(ccr_options_set_criu_path(opts_, "/nonexistent/criu"));
	EXPECT_INVALID(ccr_criu_version(nullptr, opts_));
	EXPECT_INVALID(ccr_criu_features(nullptr, opts_));
}

TEST_F(Capi, NotifyAccessorsOnNull)
{
	ASSERT_NE(ccr_notify_script(nullptr), nullptr);
	EXPECT_STREQ(ccr_notify_script(nullptr), "");
	EXPECT_EQ(ccr_notify_pid(nullptr), 0);
	EXPECT_EQ(ccr_notify_fd(nullptr), -1);
}

// ---- NULL strings and bad values --------------------------------------------------

TEST_F(Capi, OptionsSettersRefuseNullStrings)
{
	EXPECT_INVALID(ccr_options_set_criu_path(opts_, nullptr));
	EXPECT_INVALID(ccr_options_set_images_dir(opts_, nullptr));
	EXPECT_INVALID(ccr_options_set_work_dir(opts_, nullptr));
	EXPECT_INVALID(ccr_options_set_parent_path(opts_, nullptr));
	EXPECT_INVALID(ccr_options_set_log_file(opts_, nullptr));
	EXPECT_INVALID(ccr_options_set_criu_config_file(opts_, nullptr));
	EXPECT_INVALID(ccr_options_set_lsm_profile(opts_, nullptr));
	EXPECT_INVALID(ccr_options_set_lsm_mount_context(opts_, nullptr));
}

TEST_F(Capi, OptionsSettersRefuseBadValues)
{
	EXPECT_INVALID(ccr_options_set_criu_path(opts_, ""));
	for (const char *p : {"", "relative/images", "./img"}) {
		EXPECT_INVALID(ccr_options_set_images_dir(opts_, p));
		EXPECT_INVALID(ccr_options_set_work_dir(opts_, p));
	}
	EXPECT_INVALID(ccr_options_set_parent_path(opts_, "/abs/parent"));
	EXPECT_INVALID(ccr_options_set_empty_ns(opts_, 0x20000000)); // CLONE_NEWUTS
	EXPECT_INVALID(ccr_options_set_empty_ns(opts_, 0x40000000 | 0x00020000));
	volatile int too_big = 7, negative = -1;
	EXPECT_INVALID(ccr_options_set_cgroup_mode(opts_, static_cast<ccr_cgroup_mode>(too_big)));
	EXPECT_INVALID(ccr_options_set_cgroup_mode(opts_, static_cast<ccr_cgroup_mode>(negative)));
	for (int level : {-1, 5, INT_MAX, INT_MIN})
		EXPECT_INVALID(ccr_options_set_log_level(opts_, level));
	for (const char *name : {"", ".", "..", "logs/dump.log", "/tmp/dump.log"})
		EXPECT_INVALID(ccr_options_set_log_file(opts_, name));
}

TEST_F(Capi, OptionsSettersAcceptGoodValues)
{
	// The counterpart of the refusals: the checks are not "refuse all".
	EXPECT_OK(ccr_options_set_criu_path(opts_, "/usr/local/sbin/criu"));
	EXPECT_OK(ccr_options_set_images_dir(opts_, "/tmp/img"));
	EXPECT_OK(ccr_options_set_work_dir(opts_, "/tmp/work"));
	EXPECT_OK(ccr_options_set_parent_path(opts_, "../pre1"));
	EXPECT_OK(ccr_options_set_empty_ns(opts_, 0x40000000));
	EXPECT_OK(ccr_options_set_empty_ns(opts_, 0));
	for (int m = CCR_CGROUP_DEFAULT; m <= CCR_CGROUP_PROPS; m++)
		EXPECT_OK(ccr_options_set_cgroup_mode(opts_, static_cast<ccr_cgroup_mode>(m)));
	for (int level = 0; level <= 4; level++)
		EXPECT_OK(ccr_options_set_log_level(opts_, level));
	EXPECT_OK(ccr_options_set_log_file(opts_, "dump-1.log"));
	EXPECT_OK(ccr_options_set_criu_config_file(opts_, ""));
	EXPECT_OK(ccr_options_set_timeout_ms(opts_, 0));
	EXPECT_OK(ccr_options_set_lsm_profile(opts_, ""));
	EXPECT_OK(ccr_options_set_notify(opts_, nullptr, nullptr, nullptr));
}

TEST_F(Capi, ContainerSettersRefuseBadValues)
{
	ccr_container *c = reinterpret_cast<ccr_container *>(0x1);
	for (const char *id : {"", ".", "..", "a/b", "web 1", "x;rm"}) {
		EXPECT_INVALID(ccr_container_new(&c, id));
		EXPECT_EQ(c, reinterpret_cast<ccr_container *>(0x1)) << "*out was touched on failure";
	}
	EXPECT_INVALID(ccr_container_new(&c, nullptr));
	EXPECT_INVALID(ccr_container_new(&c, std::string(200, 'a').c_str()));

	for (int pid : {0, -1, INT_MIN})
		EXPECT_INVALID(ccr_container_set_pid(ctr_, pid));
	EXPECT_INVALID(ccr_container_set_bundle(ctr_, nullptr));
	EXPECT_INVALID(ccr_container_set_bundle(ctr_, "bundle"));
	EXPECT_INVALID(ccr_container_set_config_path(ctr_, nullptr));
	EXPECT_INVALID(ccr_container_set_config_path(ctr_, ""));
	EXPECT_INVALID(ccr_container_set_config_json(ctr_, nullptr));
	EXPECT_INVALID(ccr_container_set_rootfs(ctr_, nullptr));
	EXPECT_INVALID(ccr_container_set_rootfs(ctr_, "rootfs"));
	EXPECT_INVALID(ccr_container_set_state_dir(ctr_, nullptr));
	EXPECT_INVALID(ccr_container_set_state_dir(ctr_, "state"));
	EXPECT_INVALID(ccr_container_set_cgroup_path(ctr_, nullptr, nullptr));
	EXPECT_INVALID(ccr_container_set_cgroup_path(ctr_, "memory", "ccr/web1"));
	EXPECT_INVALID(ccr_container_set_cgroup_path(ctr_, nullptr, ""));
	EXPECT_INVALID(ccr_container_set_stdio(ctr_, -2, -1, -1));
	EXPECT_INVALID(ccr_container_set_stdio(ctr_, 0, 1, INT_MIN));
}

TEST_F(Capi, ContainerSettersAcceptGoodValues)
{
	ccr_container *c = nullptr;
	EXPECT_OK(ccr_container_new(&c, "a-B_9.x"));
	EXPECT_NE(c, nullptr);
	ccr_container_free(c);
	EXPECT_OK(ccr_container_set_pid(ctr_, 1));
	EXPECT_OK(ccr_container_set_bundle(ctr_, "/b"));
	EXPECT_OK(ccr_container_set_config_json(ctr_, "{\"ociVersion\": \"1.0.2\"}"));
	EXPECT_OK(ccr_container_set_cgroup_path(ctr_, "name=systemd", "/ccr/web1"));
	EXPECT_OK(ccr_container_set_stdio(ctr_, -1, 1, 2));
}

TEST_F(Capi, ConfigJsonThatIsNotAnObjectIsAConfigError)
{
	for (const char *json : {"", "{", "[1,2]", "42", "null"}) {
		Err e(ccr_container_set_config_json(ctr_, json));
		EXPECT_EQ(e.code(), CCR_ERR_CONFIG) << json;
	}
}

// ---- errors ------------------------------------------------------------------

TEST(CapiErrors, AccessorsOnNull)
{
	EXPECT_EQ(ccr_error_code_of(nullptr), CCR_OK);
	EXPECT_EQ(ccr_error_message(nullptr), nullptr);
	EXPECT_EQ(ccr_error_errno(nullptr), 0);
	EXPECT_EQ(ccr_error_criu_errno(nullptr), 0);
	EXPECT_EQ(ccr_error_criu_message(nullptr), nullptr);
	EXPECT_EQ(ccr_error_log_path(nullptr), nullptr);
	EXPECT_EQ(ccr_error_log_excerpt(nullptr), nullptr);
	ccr_error_free(nullptr);
}

TEST(CapiErrors, AccessorsOfAnInvalidArgumentError)
{
	Err e(ccr_options_set_log_level(nullptr, 1));
	ASSERT_NE(e.e, nullptr);
	EXPECT_NE(std::string(ccr_error_message(e.e)).find("options"), std::string::npos) << e.message();
	EXPECT_EQ(ccr_error_criu_errno(e.e), 0);
	EXPECT_EQ(ccr_error_criu_message(e.e), nullptr);
	EXPECT_EQ(ccr_error_log_path(e.e), nullptr);
	EXPECT_EQ(ccr_error_log_excerpt(e.e), nullptr);
}

TEST(CapiErrors, EveryCodeHasItsOwnName)
{
	std::set<std::string> names;
	for (int c = CCR_OK; c <= CCR_ERR_INTERNAL; c++) {
		const char *name = ccr_error_code_name(static_cast<ccr_error_code>(c));
		ASSERT_NE(name, nullptr) << c;
		EXPECT_STRNE(name, "unknown") << "code " << c;
		EXPECT_TRUE(names.insert(name).second) << "code " << c << " shares the name " << name;
	}
	EXPECT_STREQ(ccr_error_code_name(CCR_ERR_CRIU_FAILED), "criu-failed");
	volatile int unknown = 99;
	EXPECT_STREQ(ccr_error_code_name(static_cast<ccr_error_code>(unknown)), "unknown");
}

TEST(CapiVersion, MatchesTheHeader)
{
	EXPECT_EQ(ccr_version(), unsigned(CCR_VERSION_NUMBER));
	EXPECT_STREQ(ccr_version_string(), CCR_VERSION_STRING);
	EXPECT_EQ(std::to_string(CCR_VERSION_MAJOR) + "." + std::to_string(CCR_VERSION_MINOR) + "." +
			  std::to_string(CCR_VERSION_PATCH),
		  ccr_version_string());
}

// ---- the notify payload's finalizer -------------------------------------------------

struct Payload {
	int finalized = 0;
};

void finalize(void *p)
{
	static_cast<Payload *>(p)->finalized++;
}
int callback(const ccr_notify *, void *)
{
	return 0;
}

TEST(CapiNotify, FinalizerRunsOnceOnFree)
{
	Payload p;
	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	EXPECT_OK(ccr_options_set_notify(o, callback, &p, finalize));
	EXPECT_EQ(p.finalized, 0) << "finalized while still in use";
	ccr_options_free(o);
	EXPECT_EQ(p.finalized, 1);
}

TEST(CapiNotify, FinalizerRunsOnceWhenReplaced)
{
	Payload first, second;
	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	EXPECT_OK(ccr_options_set_notify(o, callback, &first, finalize));
	EXPECT_OK(ccr_options_set_notify(o, callback, &second, finalize));
	EXPECT_EQ(first.finalized, 1);
	EXPECT_EQ(second.finalized, 0);
	// Clearing the callback replaces it too.
	EXPECT_OK(ccr_options_set_notify(o, nullptr, nullptr, nullptr));
	EXPECT_EQ(second.finalized, 1);
	ccr_options_free(o);
	EXPECT_EQ(first.finalized, 1);
	EXPECT_EQ(second.finalized, 1);
}

TEST(CapiNotify, NoFinalizerNoCall)
{
	Payload p;
	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	EXPECT_OK(ccr_options_set_notify(o, callback, &p, nullptr));
	ccr_options_free(o);
	EXPECT_EQ(p.finalized, 0);
}

// ---- operations that fail before CRIU starts -------------------------------------------

// A pid that surely belongs to no process: a child we reaped ourselves.
pid_t reaped_pid()
{
	pid_t pid = ::fork();
	if (pid == 0)
		::_exit(0);
	int status;
	::waitpid(pid, &status, 0);
	return pid;
}

TEST_F(Capi, CheckpointOfAMissingPidIsNotFound)
{
	pid_t pid = reaped_pid();
	ASSERT_GT(pid, 0);
	EXPECT_OK(ccr_container_set_pid(ctr_, pid));
	EXPECT_OK(ccr_options_set_images_dir(opts_, "/nonexistent/ccr-images"));
	ccr_result *res = nullptr;
	Err e(ccr_checkpoint(&res, ctr_, opts_));
	EXPECT_EQ(e.code(), CCR_ERR_NOT_FOUND) << e.message();
	EXPECT_NE(e.message().find(std::to_string(pid)), std::string::npos) << e.message();
	EXPECT_EQ(res, nullptr);
}

TEST_F(Capi, CheckpointWithoutPidIsInvalid)
{
	Err e(ccr_checkpoint(nullptr, ctr_, opts_));
	EXPECT_EQ(e.code(), CCR_ERR_INVALID_ARGUMENT) << e.message();
}

TEST_F(Capi, CriuVersionWithMissingBinaryIsCriuStart)
{
	EXPECT_OK(ccr_options_set_criu_path(opts_, "/nonexistent/criu"));
	unsigned v = 12345;
	Err e(ccr_criu_version(&v, opts_));
	EXPECT_EQ(e.code(), CCR_ERR_CRIU_START) << e.message();
	EXPECT_NE(e.message().find("/nonexistent/criu"), std::string::npos) << e.message();
	EXPECT_EQ(v, 12345u) << "*out was touched on failure";
}

TEST_F(Capi, CriuFeaturesWithMissingBinaryIsCriuStart)
{
	EXPECT_OK(ccr_options_set_criu_path(opts_, "/nonexistent/criu"));
	unsigned v = 12345;
	Err e(ccr_criu_features(&v, opts_));
	EXPECT_EQ(e.code(), CCR_ERR_CRIU_START) << e.message();
	EXPECT_NE(e.message().find("/nonexistent/criu"), std::string::npos) << e.message();
	EXPECT_EQ(v, 12345u);
}

TEST_F(Capi, CriuNotInPathIsCriuStart)
{
	EXPECT_OK(ccr_options_set_criu_path(opts_, "ccr-test-no-such-criu"));
	unsigned v = 0;
	Err e(ccr_criu_version(&v, opts_));
	EXPECT_EQ(e.code(), CCR_ERR_CRIU_START) << e.message();
	EXPECT_NE(e.message().find("ccr-test-no-such-criu"), std::string::npos) << e.message();
}

// ---- the setters beyond the basics: NULL handles, bad enums, bad fds, empty strings ----

// A descriptor number that is surely closed: one we just closed ourselves.
int closed_fd()
{
	int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
	::close(fd);
	return fd;
}

bool is_open(int fd)
{
	return ::fcntl(fd, F_GETFD) >= 0;
}

class CapiFds : public Capi {
protected:
	void SetUp() override
	{
		Capi::SetUp();
		ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock_), 0);
		ASSERT_EQ(::pipe2(pipe_, O_CLOEXEC), 0);
	}
	void TearDown() override
	{
		Capi::TearDown();
		for (int fd : {sock_[0], sock_[1], pipe_[0], pipe_[1]})
			if (fd >= 0)
				::close(fd);
	}
	int sock_[2] = {-1, -1};
	int pipe_[2] = {-1, -1};
};

TEST_F(Capi, EveryFurtherOptionsSetterRefusesANullHandle)
{
	EXPECT_INVALID(ccr_options_cancel(nullptr));
	EXPECT_INVALID(ccr_options_set_track_mem(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_pre_dump_mode(nullptr, CCR_PRE_DUMP_READ));
	EXPECT_INVALID(ccr_options_set_page_server(nullptr, "10.0.0.2", 1234));
	EXPECT_INVALID(ccr_options_set_page_server_fd(nullptr, 0));
	EXPECT_INVALID(ccr_options_set_lazy_pages(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_status_fd(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_tls(nullptr, 1, nullptr, nullptr, nullptr, nullptr, 0));
	EXPECT_INVALID(ccr_options_set_console_socket(nullptr, "/run/console.sock"));
	EXPECT_INVALID(ccr_options_set_tcp_close(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_tcp_skip_in_flight(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_network_lock(nullptr, CCR_NETWORK_LOCK_NFTABLES));
	EXPECT_INVALID(ccr_options_add_veth_pair(nullptr, "eth0", "veth0"));
	EXPECT_INVALID(ccr_options_set_link_remap(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_ghost_limit(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_force_irmap(nullptr, 1));
	EXPECT_INVALID(ccr_options_add_irmap_scan_path(nullptr, "/var"));
	EXPECT_INVALID(ccr_options_set_skip_file_rwx_check(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_evasive_devices(nullptr, 1));
	EXPECT_INVALID(ccr_options_add_ext_mount(nullptr, "/data", "vol"));
	EXPECT_INVALID(ccr_options_set_auto_ext_mnt(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_ext_sharing(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_ext_masters(nullptr, 1));
	EXPECT_INVALID(ccr_options_add_skip_mount(nullptr, "/mnt"));
	EXPECT_INVALID(ccr_options_add_enable_fs(nullptr, "fuse"));
	EXPECT_INVALID(ccr_options_set_mntns_compat_mode(nullptr, 1));
	EXPECT_INVALID(ccr_options_add_external(nullptr, "dev[8/1]:disk"));
	EXPECT_INVALID(ccr_options_add_unix_sk_inode(nullptr, 1));
	EXPECT_INVALID(ccr_options_add_inherit_fd(nullptr, "file[1f:2]", 0));
	EXPECT_INVALID(ccr_options_add_join_ns(nullptr, "ipc", "/proc/1/ns/ipc", nullptr));
	EXPECT_INVALID(ccr_options_set_weak_sysctls(nullptr, 1));
	EXPECT_INVALID(ccr_options_add_cgroup_root(nullptr, nullptr, "/ccr"));
	EXPECT_INVALID(ccr_options_set_cgroup_props(nullptr, "x"));
	EXPECT_INVALID(ccr_options_set_cgroup_props_file(nullptr, "/etc/criu/props.yaml"));
	EXPECT_INVALID(ccr_options_add_cgroup_dump_controller(nullptr, "memory"));
	EXPECT_INVALID(ccr_options_set_cgroup_yard(nullptr, "/run/yard"));
	EXPECT_INVALID(ccr_options_set_freeze_cgroup(nullptr, ""));
	EXPECT_INVALID(ccr_options_set_criu_timeout(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_cpu_cap(nullptr, 0));
	EXPECT_INVALID(ccr_options_set_unprivileged(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_pidfd_store_fd(nullptr, 0));
	EXPECT_INVALID(ccr_options_set_display_stats(nullptr, 1));
	EXPECT_INVALID(ccr_options_set_log_to_stderr(nullptr, 1));
	EXPECT_INVALID(ccr_options_add_exec_cmd(nullptr, "/bin/true"));
}

TEST_F(Capi, EnumSettersRefuseValuesOutsideTheirEnum)
{
	volatile int bad_modes[] = {0, 3, -1, INT_MAX, INT_MIN};
	for (int m : bad_modes)
		EXPECT_INVALID(ccr_options_set_pre_dump_mode(opts_, static_cast<ccr_pre_dump_mode>(m)));
	volatile int bad_locks[] = {-1, 4, INT_MAX, INT_MIN};
	for (int l : bad_locks)
		EXPECT_INVALID(ccr_options_set_network_lock(opts_, static_cast<ccr_network_lock>(l)));
	// Every declared value is accepted.
	EXPECT_OK(ccr_options_set_pre_dump_mode(opts_, CCR_PRE_DUMP_SPLICE));
	EXPECT_OK(ccr_options_set_pre_dump_mode(opts_, CCR_PRE_DUMP_READ));
	for (int l = CCR_NETWORK_LOCK_DEFAULT; l <= CCR_NETWORK_LOCK_SKIP; l++)
		EXPECT_OK(ccr_options_set_network_lock(opts_, static_cast<ccr_network_lock>(l)));
}

TEST_F(CapiFds, DescriptorSettersRefuseNegativeAndClosedDescriptors)
{
	for (int fd : {-1, -2, INT_MIN, INT_MAX, closed_fd()}) {
		SCOPED_TRACE("fd " + std::to_string(fd));
		EXPECT_INVALID(ccr_options_set_page_server_fd(opts_, fd));
		EXPECT_INVALID(ccr_options_set_pidfd_store_fd(opts_, fd));
		EXPECT_INVALID(ccr_options_add_inherit_fd(opts_, "file[1f:2]", fd));
		// -1 is the status descriptor's "none".
		if (fd != -1) {
			EXPECT_INVALID(ccr_options_set_status_fd(opts_, fd));
		}
	}
	EXPECT_OK(ccr_options_set_status_fd(opts_, -1));
}

TEST_F(CapiFds, StatusFdMustBeWritable)
{
	EXPECT_INVALID(ccr_options_set_status_fd(opts_, pipe_[0]));
	int ro = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(ro, 0);
	EXPECT_INVALID(ccr_options_set_status_fd(opts_, ro));
	EXPECT_TRUE(is_open(ro)) << "a refused descriptor stays the caller's";
	::close(ro);
	// Accepted descriptors become ccr's: hand over copies.
	EXPECT_OK(ccr_options_set_status_fd(opts_, ::dup(pipe_[1])));
	EXPECT_OK(ccr_options_set_status_fd(opts_, ::dup(sock_[0]))); // read-write
}

TEST_F(CapiFds, StatusFdBelongsToTheOptionsOnceSet)
{
	char c;
	// Freed options close it: the reader sees end of file.
	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	EXPECT_OK(ccr_options_set_status_fd(o, pipe_[1]));
	ccr_options_free(o);
	EXPECT_EQ(::read(pipe_[0], &c, 1), 0) << "the status descriptor outlived its options";
	pipe_[1] = -1; // not ours to close any more

	// Replacing it closes the one replaced; setting the same one again
	// does not; -1 hands it back to the caller without closing it.
	int p[2], q[2];
	ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
	ASSERT_EQ(::pipe2(q, O_CLOEXEC), 0);
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	EXPECT_OK(ccr_options_set_status_fd(o, p[1]));
	EXPECT_OK(ccr_options_set_status_fd(o, p[1]));
	EXPECT_TRUE(is_open(p[1]));
	EXPECT_OK(ccr_options_set_status_fd(o, q[1]));
	EXPECT_EQ(::read(p[0], &c, 1), 0) << "the replaced status descriptor was left open";
	EXPECT_OK(ccr_options_set_status_fd(o, -1));
	ccr_options_free(o);
	EXPECT_TRUE(is_open(q[1])) << "-1 must give the descriptor back, not close it";
	for (int fd : {p[0], q[0], q[1]})
		::close(fd);
}

TEST_F(CapiFds, DescriptorSettersAcceptOpenDescriptorsAndNeverCloseThem)
{
	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	EXPECT_OK(ccr_options_set_page_server_fd(o, sock_[0]));
	EXPECT_OK(ccr_options_set_pidfd_store_fd(o, sock_[1]));
	EXPECT_OK(ccr_options_add_inherit_fd(o, "pipe:[1234]", pipe_[0]));
	EXPECT_OK(ccr_options_add_inherit_fd(o, "pipe:[1235]", pipe_[1]));
	// Replacing a descriptor does not close the old one either.
	EXPECT_OK(ccr_options_set_page_server_fd(o, sock_[1]));
	EXPECT_OK(ccr_options_set_page_server(o, "10.0.0.2", 1234));
	ccr_options_free(o);
	for (int fd : {sock_[0], sock_[1], pipe_[0], pipe_[1]})
		EXPECT_TRUE(is_open(fd)) << fd << " was closed by setting or freeing the options";
}

TEST_F(CapiFds, StringSettersRefuseNullAndEmptyStrings)
{
	// Page server address and port.
	EXPECT_INVALID(ccr_options_set_page_server(opts_, nullptr, 1234));
	EXPECT_INVALID(ccr_options_set_page_server(opts_, "", 1234));
	for (int port : {0, -1, 65536, INT_MAX, INT_MIN})
		EXPECT_INVALID(ccr_options_set_page_server(opts_, "10.0.0.2", port));
	// Console socket: an absolute path.
	for (const char *p : {static_cast<const char *>(nullptr), "", "console.sock", "./console.sock"})
		EXPECT_INVALID(ccr_options_set_console_socket(opts_, p));
	// Pairs: both sides required.
	EXPECT_INVALID(ccr_options_add_veth_pair(opts_, nullptr, "veth0"));
	EXPECT_INVALID(ccr_options_add_veth_pair(opts_, "eth0", nullptr));
	EXPECT_INVALID(ccr_options_add_veth_pair(opts_, "", "veth0"));
	EXPECT_INVALID(ccr_options_add_veth_pair(opts_, "eth0", ""));
	EXPECT_INVALID(ccr_options_add_ext_mount(opts_, nullptr, "vol"));
	EXPECT_INVALID(ccr_options_add_ext_mount(opts_, "/data", nullptr));
	EXPECT_INVALID(ccr_options_add_ext_mount(opts_, "", "vol"));
	EXPECT_INVALID(ccr_options_add_ext_mount(opts_, "/data", ""));
	EXPECT_INVALID(ccr_options_add_inherit_fd(opts_, nullptr, sock_[0]));
	EXPECT_INVALID(ccr_options_add_inherit_fd(opts_, "", sock_[0]));
	EXPECT_INVALID(ccr_options_add_join_ns(opts_, nullptr, "/proc/1/ns/ipc", nullptr));
	EXPECT_INVALID(ccr_options_add_join_ns(opts_, "", "/proc/1/ns/ipc", nullptr));
	EXPECT_INVALID(ccr_options_add_join_ns(opts_, "ipc", nullptr, nullptr));
	EXPECT_INVALID(ccr_options_add_join_ns(opts_, "ipc", "", nullptr));
	// One-string list entries.
	for (const char *s : {static_cast<const char *>(nullptr), ""}) {
		EXPECT_INVALID(ccr_options_add_irmap_scan_path(opts_, s));
		EXPECT_INVALID(ccr_options_add_skip_mount(opts_, s));
		EXPECT_INVALID(ccr_options_add_enable_fs(opts_, s));
		EXPECT_INVALID(ccr_options_add_external(opts_, s));
		EXPECT_INVALID(ccr_options_add_cgroup_dump_controller(opts_, s));
		EXPECT_INVALID(ccr_options_add_exec_cmd(opts_, s));
	}
	// cgroups: roots start with '/', files and yards are absolute paths.
	for (const char *p : {static_cast<const char *>(nullptr), "", "ccr/web1"}) {
		EXPECT_INVALID(ccr_options_add_cgroup_root(opts_, nullptr, p));
		EXPECT_INVALID(ccr_options_add_cgroup_root(opts_, "cpu", p));
		EXPECT_INVALID(ccr_options_set_cgroup_props_file(opts_, p));
		EXPECT_INVALID(ccr_options_set_cgroup_yard(opts_, p));
	}
	EXPECT_INVALID(ccr_options_set_cgroup_props(opts_, nullptr));
	// The freezer: absolute, or "" for none; never NULL or relative.
	EXPECT_INVALID(ccr_options_set_freeze_cgroup(opts_, nullptr));
	EXPECT_INVALID(ccr_options_set_freeze_cgroup(opts_, "freezer/ccr"));
}

TEST_F(CapiFds, FurtherSettersAcceptGoodValues)
{
	EXPECT_OK(ccr_options_set_track_mem(opts_, 1));
	EXPECT_OK(ccr_options_set_page_server(opts_, "10.0.0.2", 1));
	EXPECT_OK(ccr_options_set_page_server(opts_, "ps.example", 65535));
	EXPECT_OK(ccr_options_set_page_server_fd(opts_, sock_[0]));
	EXPECT_OK(ccr_options_set_lazy_pages(opts_, 1));
	EXPECT_OK(ccr_options_set_tls(opts_, 1, nullptr, nullptr, nullptr, nullptr, 0));
	EXPECT_OK(ccr_options_set_tls(opts_, 1, "/ca.pem", "/crl.pem", "/cert.pem", "/key.pem", 1));
	EXPECT_OK(ccr_options_set_tls(opts_, 0, nullptr, nullptr, nullptr, nullptr, 0));
	EXPECT_OK(ccr_options_set_console_socket(opts_, "/run/ccr/console.sock"));
	EXPECT_OK(ccr_options_set_tcp_close(opts_, 1));
	EXPECT_OK(ccr_options_set_tcp_skip_in_flight(opts_, 1));
	EXPECT_OK(ccr_options_add_veth_pair(opts_, "eth0", "veth-web1"));
	EXPECT_OK(ccr_options_set_link_remap(opts_, 1));
	for (uint32_t v : {0u, 1u, UINT32_MAX}) {
		EXPECT_OK(ccr_options_set_ghost_limit(opts_, v));
		EXPECT_OK(ccr_options_set_criu_timeout(opts_, v));
		EXPECT_OK(ccr_options_set_cpu_cap(opts_, v));
		EXPECT_OK(ccr_options_add_unix_sk_inode(opts_, v));
	}
	EXPECT_OK(ccr_options_set_force_irmap(opts_, 1));
	EXPECT_OK(ccr_options_add_irmap_scan_path(opts_, "/var/lib"));
	EXPECT_OK(ccr_options_set_skip_file_rwx_check(opts_, 1));
	EXPECT_OK(ccr_options_set_evasive_devices(opts_, 0));
	EXPECT_OK(ccr_options_add_ext_mount(opts_, "/data", "vol-data"));
	EXPECT_OK(ccr_options_set_auto_ext_mnt(opts_, 1));
	EXPECT_OK(ccr_options_set_ext_sharing(opts_, 1));
	EXPECT_OK(ccr_options_set_ext_masters(opts_, 1));
	EXPECT_OK(ccr_options_add_skip_mount(opts_, "/proc/sys/fs/binfmt_misc"));
	EXPECT_OK(ccr_options_add_enable_fs(opts_, "fuse"));
	EXPECT_OK(ccr_options_set_mntns_compat_mode(opts_, 1));
	EXPECT_OK(ccr_options_add_external(opts_, "dev[8/1]:disk"));
	EXPECT_OK(ccr_options_add_inherit_fd(opts_, "file[1f:2]", sock_[1]));
	EXPECT_OK(ccr_options_add_join_ns(opts_, "ipc", "/proc/1/ns/ipc", nullptr));
	EXPECT_OK(ccr_options_add_join_ns(opts_, "user", "/proc/1/ns/user", "0,0"));
	EXPECT_OK(ccr_options_set_weak_sysctls(opts_, 1));
	EXPECT_OK(ccr_options_add_cgroup_root(opts_, nullptr, "/"));
	EXPECT_OK(ccr_options_add_cgroup_root(opts_, "name=systemd", "/ccr/web1"));
	EXPECT_OK(ccr_options_set_cgroup_props(opts_, "\"cpu\":\n - \"strategy\": \"merge\"\n"));
	EXPECT_OK(ccr_options_set_cgroup_props(opts_, "")); // back to CRIU's own list
	EXPECT_OK(ccr_options_set_cgroup_props_file(opts_, "/etc/criu/props.yaml"));
	EXPECT_OK(ccr_options_add_cgroup_dump_controller(opts_, "memory"));
	EXPECT_OK(ccr_options_set_cgroup_yard(opts_, "/run/ccr/yard"));
	EXPECT_OK(ccr_options_set_freeze_cgroup(opts_, "/sys/fs/cgroup/freezer/ccr"));
	EXPECT_OK(ccr_options_set_freeze_cgroup(opts_, ""));
	EXPECT_OK(ccr_options_set_unprivileged(opts_, 1));
	EXPECT_OK(ccr_options_set_pidfd_store_fd(opts_, sock_[1]));
	EXPECT_OK(ccr_options_set_display_stats(opts_, 1));
	EXPECT_OK(ccr_options_set_log_to_stderr(opts_, 1));
	EXPECT_OK(ccr_options_add_exec_cmd(opts_, "/bin/true"));
	EXPECT_OK(ccr_options_cancel(opts_));
}

} // namespace
