// Untrusted images and wrong targets (issue 19): a success after CRIU is a
// success, a pid that is not a container is refused, special files never
// hang ccr, CRIU's own files are checked before it runs, and a failed
// restore takes every cgroup it made with it.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ccr.h"
#include "harness.hpp"

using namespace e2e;

namespace {

std::vector<std::string> warnings_of(const ResultPtr &r)
{
	std::vector<std::string> out;
	for (size_t i = 0; i < ccr_result_warning_count(r.get()); i++)
		out.emplace_back(ccr_result_warning(r.get(), i));
	return out;
}

ccr_error_code code_of(const ErrorPtr &e)
{
	return ccr_error_code_of(e.get());
}

std::string message_of(const ErrorPtr &e)
{
	return e ? ccr_error_message(e.get()) : "(no error)";
}

} // namespace

// CRIU dumped the container, then its statistics cannot be read (a
// directory where stats-dump goes): the checkpoint succeeded, with a warning.
// Reported as a failure, a caller would retry a container that is gone.
TEST(Untrusted, ADumpWhoseStatisticsCannotBeReadIsASuccessWithAWarning)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	std::string images = c.dir() / "images";
	ASSERT_EQ(::mkdir(images.c_str(), 0700), 0);
	ASSERT_EQ(::mkdir((images + "/stats-dump").c_str(), 0700), 0);

	OptionsPtr o = make_options(images);
	ContainerPtr h = c.handle();
	ccr_result *raw = nullptr;
	ErrorPtr err(ccr_checkpoint(&raw, h.get(), o.get()));
	ResultPtr r(raw);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_TRUE(r);
	auto warnings = warnings_of(r);
	ASSERT_EQ(warnings.size(), 1u);
	EXPECT_NE(warnings[0].find("stats-dump"), std::string::npos) << warnings[0];
	EXPECT_NE(warnings[0].find("not a regular file"), std::string::npos) << warnings[0];
	EXPECT_EQ(ccr_result_warning(r.get(), 1), nullptr);
	EXPECT_TRUE(wait_gone(c.pid())) << "the container was dumped: it is gone";
}

// CRIU restored the container, then its statistics cannot be read (an
// imported archive can carry a checkpoint/stats-restore directory): the
// restore succeeded and the caller gets the pid, so it can manage what runs.
TEST(Untrusted, ARestoreWhoseStatisticsCannotBeReadGivesThePid)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	std::string images = c.dir() / "images";
	ASSERT_FALSE(checkpoint(c, images));
	ASSERT_TRUE(wait_gone(c.pid()));
	c.delete_runc_container();
	ASSERT_EQ(::mkdir((images + "/stats-restore").c_str(), 0700), 0);

	Pipes p = Pipes::make();
	ContainerPtr h = c.handle();
	ASSERT_CCR_OK(
		ccr_container_set_stdio(h.get(), p.container_stdin(), p.container_stdout(), p.container_stderr()));
	OptionsPtr o = make_options(images);
	ccr_result *raw = nullptr;
	ErrorPtr err(ccr_restore(&raw, h.get(), o.get()));
	ResultPtr r(raw);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_TRUE(r);
	pid_t pid = ccr_result_pid(r.get());
	ASSERT_GT(pid, 0);
	c.adopt_pid(pid);
	c.use_pipes(std::move(p));
	auto warnings = warnings_of(r);
	ASSERT_EQ(warnings.size(), 1u);
	EXPECT_NE(warnings[0].find("stats-restore"), std::string::npos) << warnings[0];
	EXPECT_EQ(c.ask("b"), "b 2");
	uint64_t v;
	EXPECT_EQ(ccr_result_stat(&v, r.get(), CCR_STAT_WALL_TIME_US), 1) << "ccr's own clock is still reported";
}

#ifdef CCR_CLI_PATH
// The tool's --json output carries the warnings, and the exit code is 0.
TEST(Untrusted, TheToolReportsWarningsAndSucceeds)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	std::string images = c.dir() / "images";
	ASSERT_EQ(::mkdir(images.c_str(), 0700), 0);
	ASSERT_EQ(::mkdir((images + "/stats-dump").c_str(), 0700), 0);
	CmdResult cp = run({CCR_CLI_PATH, "checkpoint", "--json", "--leave-running", "--id", c.id(), "--pid",
			    std::to_string(c.pid()), "--bundle", c.bundle(), "--images", images});
	ASSERT_TRUE(cp.ok()) << cp.output;
	auto doc = nlohmann::json::parse(cp.output, nullptr, false);
	ASSERT_FALSE(doc.is_discarded()) << cp.output;
	EXPECT_EQ(doc["ok"], true);
	ASSERT_TRUE(doc["warnings"].is_array()) << cp.output;
	ASSERT_EQ(doc["warnings"].size(), 1u) << cp.output;
	EXPECT_NE(doc["warnings"][0].get<std::string>().find("stats-dump"), std::string::npos) << cp.output;
	EXPECT_EQ(c.ask("b"), "b 2");
}
#endif
