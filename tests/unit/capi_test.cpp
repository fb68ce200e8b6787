// The C ABI as a C caller sees it: only functions from ccr.h. Wrong arguments
// must come back as CCR_ERR_INVALID_ARGUMENT error objects, never as a crash,
// an abort or an exception crossing into C.
#include "ccr.h"

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

#define EXPECT_INVALID(call)                                                                         \
	do {                                                                                         \
		Err err_(call);                                                                      \
		EXPECT_EQ(err_.code(), CCR_ERR_INVALID_ARGUMENT) << #call << ": " << err_.message(); \
		if (err_.e) {                                                                        \
			EXPECT_NE(ccr_error_message(err_.e), nullptr);                               \
		}                                                                                    \
	} while (0)

#define EXPECT_OK(call)                                                                  \
	do {                                                                             \
		Err err_(call);                                                          \
		EXPECT_EQ(err_.code(), CCR_OK) << #call << ": " << err_.message();       \
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

void finalize(void *p) { static_cast<Payload *>(p)->finalized++; }
int callback(const ccr_notify *, void *) { return 0; }

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

} // namespace
