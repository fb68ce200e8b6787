// SPDX-License-Identifier: Apache-2.0
// Excerpts of CRIU logs: which lines, how groups merge, how the size limit
// keeps the first error, and reading the log file safely.
#include "criu_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "unique_fd.hpp"

namespace fs = std::filesystem;

namespace {

// A log of `n` lines "(00.0000NN) line NN", with "Error" in the listed ones.
std::string make_log(int n, const std::vector<int> &errors)
{
	std::string log;
	for (int i = 0; i < n; i++) {
		bool error = std::find(errors.begin(), errors.end(), i) != errors.end();
		log += "(00.0000" + std::to_string(i) + ") " + (error ? "Error (criu/x.c:1): " : "") + "line " +
		       std::to_string(i) + "\n";
	}
	return log;
}

// The line numbers in an excerpt of make_log(), with -1 for "...".
std::vector<int> numbers(const std::string &excerpt)
{
	std::vector<int> out;
	size_t pos = 0;
	while (pos <= excerpt.size()) {
		size_t nl = excerpt.find('\n', pos);
		std::string line = excerpt.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
		if (line == "...")
			out.push_back(-1);
		else
			out.push_back(std::stoi(line.substr(line.rfind(' ') + 1)));
		if (nl == std::string::npos)
			break;
		pos = nl + 1;
	}
	return out;
}

TEST(CriuLog, NoErrorGivesNothing)
{
	EXPECT_EQ(ccr::criu_log_excerpt(""), "");
	EXPECT_EQ(ccr::criu_log_excerpt(make_log(20, {})), "");
	EXPECT_EQ(ccr::criu_log_excerpt("(00.1) Warn (x): error, lower case\n"), "");
}

TEST(CriuLog, ContextBeforeEachError)
{
	EXPECT_EQ(numbers(ccr::criu_log_excerpt(make_log(20, {10}))), (std::vector<int>{5, 6, 7, 8, 9, 10}));
	EXPECT_EQ(numbers(ccr::criu_log_excerpt(make_log(20, {2}))), (std::vector<int>{0, 1, 2}));
	EXPECT_EQ(numbers(ccr::criu_log_excerpt(make_log(20, {10}), 0)), (std::vector<int>{10}));
	EXPECT_EQ(numbers(ccr::criu_log_excerpt(make_log(20, {10}), 2)), (std::vector<int>{8, 9, 10}));
	// The last line needs no newline to count.
	std::string log = make_log(20, {19});
	log.pop_back();
	EXPECT_EQ(numbers(ccr::criu_log_excerpt(log, 1)), (std::vector<int>{18, 19}));
}

TEST(CriuLog, ExactText)
{
	std::string log = "(00.000001) a\n"
			  "(00.000002) b\n"
			  "(00.000003) Error (criu/cr-dump.c:1234): Can't freeze\n"
			  "(00.000004) c\n";
	EXPECT_EQ(ccr::criu_log_excerpt(log, 1),
		  "(00.000002) b\n(00.000003) Error (criu/cr-dump.c:1234): Can't freeze");
}

TEST(CriuLog, GroupsMergeOrAreSeparated)
{
	// Far apart: two groups with "..." between.
	EXPECT_EQ(numbers(ccr::criu_log_excerpt(make_log(40, {8, 30}), 2)),
		  (std::vector<int>{6, 7, 8, -1, 28, 29, 30}));
	// Overlapping: one group.
	EXPECT_EQ(numbers(ccr::criu_log_excerpt(make_log(40, {8, 10}), 3)), (std::vector<int>{5, 6, 7, 8, 9, 10}));
	// Touching: nothing left out between them, so no "...".
	EXPECT_EQ(numbers(ccr::criu_log_excerpt(make_log(40, {8, 11}), 2)), (std::vector<int>{6, 7, 8, 9, 10, 11}));
	// Consecutive errors.
	EXPECT_EQ(numbers(ccr::criu_log_excerpt(make_log(40, {8, 9, 10}), 1)), (std::vector<int>{7, 8, 9, 10}));
}

TEST(CriuLog, TruncationKeepsFirstErrors)
{
	std::vector<int> errors;
	for (int i = 10; i < 2000; i += 10)
		errors.push_back(i);
	std::string log = make_log(2000, errors);
	std::string full = ccr::criu_log_excerpt(log, 2, 1 << 30);
	std::string cut = ccr::criu_log_excerpt(log, 2, 300);
	EXPECT_LE(cut.size(), 300u);
	ASSERT_LT(cut.size(), full.size());
	std::vector<int> n = numbers(cut);
	ASSERT_GE(n.size(), 4u);
	EXPECT_EQ((std::vector<int>(n.begin(), n.begin() + 3)), (std::vector<int>{8, 9, 10}));
	EXPECT_EQ(n.back(), -1); // the cut is marked
	// Everything before the marker is the start of the full excerpt.
	EXPECT_EQ(full.rfind(cut.substr(0, cut.size() - 4), 0), 0u);
}

TEST(CriuLog, ContextGivesWayToTheFirstError)
{
	std::string log = std::string(500, 'a') + "\n" + std::string(500, 'b') +
			  "\n(00.1) Error (x.c:1): the cause\n(00.2) Error (x.c:2): later\n";
	std::string cut = ccr::criu_log_excerpt(log, 5, 600);
	EXPECT_LE(cut.size(), 600u);
	EXPECT_EQ(cut.rfind(std::string(500, 'b') + "\n(00.1) Error (x.c:1): the cause", 0), 0u) << cut;

	// An error line longer than the whole budget is cut, not dropped.
	std::string huge = "(00.1) Error (x.c:1): " + std::string(10000, 'z') + "\n";
	std::string one = ccr::criu_log_excerpt(huge, 5, 100);
	EXPECT_EQ(one.size(), 100u);
	EXPECT_EQ(one.rfind("(00.1) Error (x.c:1): zzz", 0), 0u);
	EXPECT_EQ(ccr::criu_log_excerpt(huge, 5, 0), "");
}

TEST(CriuLog, FailureCauseIsTheFirstErrorLine)
{
	std::string log = "(00.000001) fine\n"
			  "(00.012345) Error (criu/cr-dump.c:1234): Can't dump\n"
			  "(00.012346) Error (criu/cr-dump.c:99): second\n";
	EXPECT_EQ(ccr::failure_cause(log), "Error (criu/cr-dump.c:1234): Can't dump");
	EXPECT_EQ(ccr::failure_cause("(00.1)      1: Error (criu/files.c:7): no file  \n"),
		  "1: Error (criu/files.c:7): no file");
	EXPECT_EQ(ccr::failure_cause("Error without a timestamp"), "Error without a timestamp");
	EXPECT_EQ(ccr::failure_cause("(pid 4) Error here"), "(pid 4) Error here");
	EXPECT_EQ(ccr::failure_cause(make_log(10, {})), "");
	EXPECT_EQ(ccr::failure_cause(""), "");
}

class CriuLogFile : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ccr-criu-log-test-XXXXXX";
		ASSERT_NE(::mkdtemp(tmpl), nullptr);
		dir_ = tmpl;
		dirfd_.reset(::open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		ASSERT_TRUE(dirfd_);
	}
	void TearDown() override
	{
		std::error_code ec;
		fs::remove_all(dir_, ec);
	}
	std::string dir_;
	ccr::UniqueFd dirfd_;
};

TEST_F(CriuLogFile, ReadsTheFile)
{
	std::string log = make_log(30, {12});
	std::ofstream(dir_ + "/dump.log") << log;
	EXPECT_EQ(ccr::read_log_excerpt(dirfd_.get(), "dump.log"), ccr::criu_log_excerpt(log));
	EXPECT_EQ(ccr::read_log_excerpt(dirfd_.get(), "missing.log"), "");
}

TEST_F(CriuLogFile, SymlinkAndFifoGiveNothing)
{
	std::ofstream(dir_ + "/real.log") << make_log(30, {12});
	ASSERT_EQ(::symlink((dir_ + "/real.log").c_str(), (dir_ + "/link.log").c_str()), 0);
	EXPECT_EQ(ccr::read_log_excerpt(dirfd_.get(), "link.log"), "");
	ASSERT_EQ(::mkfifo((dir_ + "/fifo.log").c_str(), 0600), 0);
	EXPECT_EQ(ccr::read_log_excerpt(dirfd_.get(), "fifo.log"), "");
}

TEST_F(CriuLogFile, OnlyTheLast4MiBAreRead)
{
	const size_t window = 4 << 20;
	std::string head = "(00.1) Error (early.c:1): beyond the window\n";
	while (head.size() < (1 << 20))
		head += "(00.2) filler line\n";
	// The window starts 50 bytes into this line, before its "Error": the
	// partial line must be dropped, not reported.
	std::string straddling = std::string(100, 'a') + " Error (partial.c:1): x\n";
	std::string tail = "(00.3) Error (late.c:1): in the window\n";
	std::string middle(window - (straddling.size() - 50) - tail.size(), 'f');
	for (size_t i = 79; i < middle.size(); i += 80)
		middle[i] = '\n';
	middle.back() = '\n';
	std::string log = head + straddling + middle + tail;
	ASSERT_EQ(log.size() - window, head.size() + 50);

	std::ofstream(dir_ + "/restore.log") << log;
	std::string excerpt = ccr::read_log_excerpt(dirfd_.get(), "restore.log");
	EXPECT_NE(excerpt.find("late.c"), std::string::npos) << excerpt.substr(0, 200);
	EXPECT_EQ(excerpt.find("partial.c"), std::string::npos) << excerpt.substr(0, 200);
	EXPECT_EQ(excerpt.find("early.c"), std::string::npos);
}

} // namespace

TEST(CriuLog, FailureCausePassesOverIncidentalErrors)
{
	const char *log = "(00.049989) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self: "
			  "Operation not permitted\n"
			  "(00.057941) Error (criu/mem.c:666): fault: Dump VMA pages failure!\n"
			  "(00.220611) Error (criu/cr-dump.c:2111): Dumping FAILED.\n";
	EXPECT_EQ(ccr::failure_cause(log), "Error (criu/mem.c:666): fault: Dump VMA pages failure!");
	EXPECT_TRUE(ccr::is_incidental_criu_error("Error (criu/cr-dump.c:2111): Dumping FAILED."));
	EXPECT_FALSE(ccr::is_incidental_criu_error("Error (criu/mem.c:666): fault: Dump VMA pages failure!"));
	// Only incidental errors: there is no cause to name.
	EXPECT_EQ(ccr::failure_cause("(00.1) Error (criu/util.c:1): rlimit: Can't setup RLIMIT_NOFILE\n"), "");
}

// swrk logs the process's run id and then the request's; the second names
// the nftables lock.
TEST_F(CriuLogFile, RunIdIsTheLastOneLogged)
{
	std::ofstream(dir_ + "/dump.log") << "(00.000000) CRIU run id = c57663bc-6b17-4656-9492-2720f5fba84d\n"
					     "(00.000000) CRIU run id = 8395d963-c11e-4f48-8ab4-75be42f1a6b0\n"
					     "(00.000010) Version: 4.1.1\n";
	EXPECT_EQ(ccr::read_criu_run_id(dirfd_.get(), "dump.log"), "8395d963-c11e-4f48-8ab4-75be42f1a6b0");
	EXPECT_EQ(ccr::read_criu_run_id(dirfd_.get(), "missing.log"), "");
}

TEST_F(CriuLogFile, RunIdThatIsNoUuidIsIgnored)
{
	std::ofstream(dir_ + "/short.log") << "(00.0) CRIU run id = 8395d963\n";
	EXPECT_EQ(ccr::read_criu_run_id(dirfd_.get(), "short.log"), "");
	// A run id could only name a table to delete: nothing else may pass.
	std::ofstream(dir_ + "/odd.log") << "(00.0) CRIU run id = 8395d963-c11e-4f48-8ab4-75be42f1a6b0; nft flush\n"
					    "(00.0) CRIU run id = ../../etc/passwd-aaaaaaaaaaaaaaaaaaaaaaaaaa\n";
	EXPECT_EQ(ccr::read_criu_run_id(dirfd_.get(), "odd.log"), "");
}

// A restore whose rootfs lacks the binary, as CRIU 4.1.1 logs it on this
// kernel: `ip addr restore` prints its complaint (in every restore here)
// long before the real cause, and CRIU's clean-up adds errors after its
// closing line.
TEST(CriuLog, FailureCauseIsCriusOwnErrorNotAToolsOutputNorTheCleanUp)
{
	const char *log =
		"(00.104381) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self: "
		"Operation not permitted\n"
		"(00.079840)      1: net: \tRunning ip addr restore  \n"
		"Error: ipv4: Address already assigned.\n"
		"Error: ipv6: address already assigned.\n"
		"(00.302865)      1: Error (criu/files-reg.c:2353): Can't open file bin/busybox on restore: No "
		"such file or directory\n"
		"(00.302868)      1: Error (criu/mem.c:911): Can't fixup VMA's fd\n"
		"(00.304164) Error (criu/cr-restore.c:2320): Restoring FAILED.\n"
		"(00.305276) Error (criu/cgroup.c:1998): cg: cgroupd: recv req error: No such file or directory\n";
	EXPECT_EQ(
		ccr::failure_cause(log),
		"1: Error (criu/files-reg.c:2353): Can't open file bin/busybox on restore: No such file or directory");

	// A tool's complaint right before the end names the cause, when the
	// caller accepts tool output; one CRIU carried on after does not.
	const char *at_the_end = "(00.1) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self\n"
				 "Error: ipv4: Address already assigned.\n";
	EXPECT_EQ(ccr::failure_cause(at_the_end), "Error: ipv4: Address already assigned.");
	EXPECT_EQ(ccr::failure_cause(at_the_end, false), "");
	const char *carried_on = "Error: ipv4: Address already assigned.\n"
				 "(00.2)      1: net: Running ip route restore\n"
				 "(00.3) Error (criu/cr-restore.c:2320): Restoring FAILED.\n";
	EXPECT_EQ(ccr::failure_cause(carried_on), "");
	const char *failed_right_after = "(00.2) Running iptables-restore\n"
					 "iptables-restore v1.8.9: Error: line 3 failed\n"
					 "(00.3) Error (criu/cr-dump.c:2111): Dumping FAILED.\n";
	EXPECT_EQ(ccr::failure_cause(failed_right_after), "iptables-restore v1.8.9: Error: line 3 failed");

	// After the closing line only clean-up follows.
	EXPECT_EQ(ccr::failure_cause("(00.3) Error (criu/cr-restore.c:2320): Restoring FAILED.\n"
				     "(00.4) Error (criu/cgroup.c:1998): cg: cgroupd: recv req error\n"),
		  "");
	// Not CRIU's format: "(file:line)" must hold a line number.
	EXPECT_EQ(ccr::failure_cause("(00.5) Error (see below): x\n", false), "");
}

// A line of CRIU's own that only mentions the word (a path named after it)
// is neither quoted as an error nor taken for the cause.
TEST(CriuLog, AWordInAPathIsNoError)
{
	const char *log = "(00.1) Opening /tmp/TestErrorPath/images/inventory.img\n"
			  "(00.2) Error (criu/files-reg.c:2353): Can't open file bin/x: No such file or directory\n";
	EXPECT_EQ(ccr::failure_cause(log),
		  "Error (criu/files-reg.c:2353): Can't open file bin/x: No such file or directory");
	EXPECT_EQ(ccr::criu_log_excerpt(log, 0),
		  "(00.2) Error (criu/files-reg.c:2353): Can't open file bin/x: No such file or directory");
	EXPECT_EQ(ccr::failure_cause("(00.1) Opening /tmp/TestErrorPath/x\n"), "");
}
