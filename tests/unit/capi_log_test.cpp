// SPDX-License-Identifier: Apache-2.0
// ccr_options_set_log(): argument checks, the payload's lifetime, level
// filtering, and that an operation failing before CRIU starts still says
// what it was doing.
#include "ccr.h"

#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace {

struct Lines {
	std::vector<std::pair<ccr_log_level, std::string>> got;
	int finalized = 0;
};

void collect(ccr_log_level level, const char *message, void *payload)
{
	static_cast<Lines *>(payload)->got.emplace_back(level, message);
}

void finalize(void *payload)
{
	static_cast<Lines *>(payload)->finalized++;
}

ccr_error_code code_of(ccr_error *e)
{
	ccr_error_code c = ccr_error_code_of(e);
	ccr_error_free(e);
	return c;
}

class CapiLog : public ::testing::Test {
protected:
	void SetUp() override { ASSERT_EQ(ccr_options_new(&opts_), nullptr); }
	void TearDown() override { ccr_options_free(opts_); }
	ccr_options *opts_ = nullptr;
};

TEST_F(CapiLog, RefusesNullOptionsAndLevelsOutsideTheEnum)
{
	Lines lines;
	EXPECT_EQ(code_of(ccr_options_set_log(nullptr, CCR_LOG_DEBUG, collect, &lines, finalize)),
		  CCR_ERR_INVALID_ARGUMENT);
	volatile int bad[] = {0, 5, -1, INT_MAX, INT_MIN};
	for (int level : bad)
		EXPECT_EQ(code_of(ccr_options_set_log(opts_, static_cast<ccr_log_level>(level), collect, &lines,
						      finalize)),
			  CCR_ERR_INVALID_ARGUMENT)
			<< level;
	// A refused call has not taken the payload.
	EXPECT_EQ(lines.finalized, 0);
}

TEST_F(CapiLog, PayloadIsFinalizedOnceWhenReplacedOrFreed)
{
	Lines first, second;
	EXPECT_EQ(ccr_options_set_log(opts_, CCR_LOG_INFO, collect, &first, finalize), nullptr);
	EXPECT_EQ(ccr_options_set_log(opts_, CCR_LOG_DEBUG, collect, &first, finalize), nullptr);
	EXPECT_EQ(first.finalized, 0) << "the same payload set again was finalized";
	EXPECT_EQ(ccr_options_set_log(opts_, CCR_LOG_DEBUG, collect, &second, finalize), nullptr);
	EXPECT_EQ(first.finalized, 1);
	// The notify payload is a different one: setting it leaves the log's.
	EXPECT_EQ(ccr_options_set_notify(opts_, nullptr, nullptr, nullptr), nullptr);
	EXPECT_EQ(second.finalized, 0);
	ccr_options_free(opts_);
	opts_ = nullptr;
	EXPECT_EQ(first.finalized, 1);
	EXPECT_EQ(second.finalized, 1);
}

// A pid that no process has: a child we reaped.
pid_t reaped_pid()
{
	pid_t pid = ::fork();
	if (pid == 0)
		::_exit(0);
	::waitpid(pid, nullptr, 0);
	return pid;
}

// Checkpoints container "web1" with init `pid` into a directory that does
// not exist: it fails with CCR_ERR_NOT_FOUND before CRIU starts.
void checkpoint_missing_pid(ccr_options *opts, pid_t pid)
{
	ASSERT_EQ(ccr_options_set_images_dir(opts, "/nonexistent/ccr-images"), nullptr);
	ccr_container *c = nullptr;
	ASSERT_EQ(ccr_container_new(&c, "web1"), nullptr);
	ASSERT_EQ(ccr_container_set_pid(c, pid), nullptr);
	EXPECT_EQ(code_of(ccr_checkpoint(nullptr, c, opts)), CCR_ERR_NOT_FOUND);
	ccr_container_free(c);
}

TEST_F(CapiLog, AFailedCheckpointLogsWhatItWasDoing)
{
	Lines lines;
	ASSERT_EQ(ccr_options_set_log(opts_, CCR_LOG_INFO, collect, &lines, nullptr), nullptr);
	pid_t pid = reaped_pid();
	checkpoint_missing_pid(opts_, pid);
	ASSERT_EQ(lines.got.size(), 1u);
	EXPECT_EQ(lines.got[0].first, CCR_LOG_INFO);
	EXPECT_EQ(lines.got[0].second,
		  "checkpoint of container web1 (pid " + std::to_string(pid) + ") into /nonexistent/ccr-images");
}

TEST_F(CapiLog, LinesBelowTheLevelAreDropped)
{
	Lines lines;
	ASSERT_EQ(ccr_options_set_log(opts_, CCR_LOG_WARNING, collect, &lines, nullptr), nullptr);
	checkpoint_missing_pid(opts_, reaped_pid());
	EXPECT_TRUE(lines.got.empty()) << lines.got[0].second;
}

TEST_F(CapiLog, RemovedLogIsSilent)
{
	Lines lines;
	ASSERT_EQ(ccr_options_set_log(opts_, CCR_LOG_DEBUG, collect, &lines, finalize), nullptr);
	ASSERT_EQ(ccr_options_set_log(opts_, CCR_LOG_DEBUG, nullptr, nullptr, nullptr), nullptr);
	EXPECT_EQ(lines.finalized, 1);
	checkpoint_missing_pid(opts_, reaped_pid());
	EXPECT_TRUE(lines.got.empty());
}

} // namespace
