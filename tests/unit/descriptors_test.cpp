// SPDX-License-Identifier: Apache-2.0
// descriptors.json: the round trip, the file's safety checks, and reading a
// live process's stdio.
#include "descriptors.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "error.hpp"
#include "unique_fd.hpp"

namespace fs = std::filesystem;

namespace {

class Descriptors : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ccr-descriptors-test-XXXXXX";
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

	void put(const std::string &content) { std::ofstream(dir_ + "/descriptors.json", std::ios::trunc) << content; }

	std::string dir_;
	ccr::UniqueFd dirfd_;
};

ccr::Error error_of(const std::function<void()> &fn)
{
	try {
		fn();
	} catch (const ccr::Error &e) {
		return e;
	}
	return ccr::Error(CCR_OK, "");
}

std::string link_of(const std::string &path)
{
	char buf[PATH_MAX + 1];
	ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
	return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

TEST_F(Descriptors, RoundTrip)
{
	std::vector<std::string> fds = {"pipe:[12345]", "/dev/null", "/dev/pts/0"};
	ccr::write_descriptors(dirfd_.get(), fds);
	EXPECT_EQ(ccr::read_descriptors(dirfd_.get()), fds);

	std::ifstream in(dir_ + "/descriptors.json");
	std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	EXPECT_EQ(text, R"(["pipe:[12345]","/dev/null","/dev/pts/0"])");

	// A shorter rewrite leaves nothing of the old content behind.
	std::vector<std::string> shorter = {"", "", ""};
	ccr::write_descriptors(dirfd_.get(), shorter);
	EXPECT_EQ(ccr::read_descriptors(dirfd_.get()), shorter);
}

TEST_F(Descriptors, FileIsMode0600)
{
	mode_t old = ::umask(0);
	put("[]");
	::chmod((dir_ + "/descriptors.json").c_str(), 0666);
	ccr::write_descriptors(dirfd_.get(), {"a", "b", "c"});
	::umask(old);
	struct stat st {};
	ASSERT_EQ(::stat((dir_ + "/descriptors.json").c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(Descriptors, MissingFileIsEmpty)
{
	EXPECT_TRUE(ccr::read_descriptors(dirfd_.get()).empty());
}

TEST_F(Descriptors, GarbageIsAnImageError)
{
	for (const char *text : {"", "not json", "{\"0\": \"x\"}", "\"pipe:[1]\"", "[1, 2, 3]", "[\"a\", null, \"c\"]",
				 "[\"a\"", "[\"\xff\"]"}) {
		put(text);
		auto e = error_of([&] { ccr::read_descriptors(dirfd_.get()); });
		EXPECT_EQ(e.code(), CCR_ERR_IMAGE) << text;
		EXPECT_NE(e.message().find("descriptors.json"), std::string::npos) << e.message();
	}
	put("[\"a\", 7]");
	EXPECT_NE(error_of([&] { ccr::read_descriptors(dirfd_.get()); }).message().find("element 1"),
		  std::string::npos);
}

TEST_F(Descriptors, OversizedFileIsAnImageError)
{
	put("[" + std::string(1 << 20, ' ') + "]"); // valid JSON, but too big
	auto e = error_of([&] { ccr::read_descriptors(dirfd_.get()); });
	EXPECT_EQ(e.code(), CCR_ERR_IMAGE);
	EXPECT_NE(e.message().find("1 MiB"), std::string::npos) << e.message();
}

TEST_F(Descriptors, SymlinkRefused)
{
	std::string target = dir_ + "/target";
	std::ofstream(target) << R"(["x","y","z"])";
	ASSERT_EQ(::symlink(target.c_str(), (dir_ + "/descriptors.json").c_str()), 0);
	EXPECT_EQ(error_of([&] { ccr::read_descriptors(dirfd_.get()); }).code(), CCR_ERR_UNSAFE_PATH);
	EXPECT_EQ(error_of([&] { ccr::write_descriptors(dirfd_.get(), {"a", "b", "c"}); }).code(), CCR_ERR_UNSAFE_PATH);
	std::ifstream in(target);
	std::string text;
	in >> text;
	EXPECT_EQ(text, R"(["x","y","z"])"); // untouched
}

TEST_F(Descriptors, FifoDoesNotHang)
{
	ASSERT_EQ(::mkfifo((dir_ + "/descriptors.json").c_str(), 0600), 0);
	EXPECT_EQ(error_of([&] { ccr::read_descriptors(dirfd_.get()); }).code(), CCR_ERR_IMAGE);
	EXPECT_NE(error_of([&] { ccr::write_descriptors(dirfd_.get(), {"a"}); }).code(), CCR_OK);
}

TEST_F(Descriptors, OwnProcessStdio)
{
	std::vector<std::string> fds = ccr::read_process_stdio(::getpid());
	ASSERT_EQ(fds.size(), 3u);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(fds[i], link_of("/proc/self/fd/" + std::to_string(i))) << i;
}

TEST_F(Descriptors, ChildWithPipeAndClosedFd)
{
	int to_child[2], ready[2];
	ASSERT_EQ(::pipe2(to_child, O_CLOEXEC), 0);
	ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
	pid_t pid = ::fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		::dup2(to_child[0], 0);
		::close(2);
		char c = 'r';
		if (::write(ready[1], &c, 1) != 1)
			::_exit(1);
		::pause();
		::_exit(0);
	}
	char c;
	ASSERT_EQ(::read(ready[0], &c, 1), 1);
	std::vector<std::string> fds = ccr::read_process_stdio(pid);
	std::string pipe_name = link_of("/proc/self/fd/" + std::to_string(to_child[0]));
	::kill(pid, SIGKILL);
	::waitpid(pid, nullptr, 0);
	for (int fd : {to_child[0], to_child[1], ready[0], ready[1]})
		::close(fd);

	ASSERT_EQ(fds.size(), 3u);
	EXPECT_EQ(fds[0], pipe_name);
	EXPECT_EQ(fds[0].rfind("pipe:[", 0), 0u) << fds[0];
	EXPECT_EQ(fds[2], "");
}

TEST_F(Descriptors, MissingProcess)
{
	// Above the largest pid_max Linux allows, so never a live process.
	int pid = (1 << 22) + 1;
	auto e = error_of([&] { ccr::read_process_stdio(pid); });
	EXPECT_EQ(e.code(), CCR_ERR_NOT_FOUND);
	EXPECT_NE(e.message().find(std::to_string(pid)), std::string::npos) << e.message();
	EXPECT_EQ(error_of([&] { ccr::read_process_stdio(-1); }).code(), CCR_ERR_INVALID_ARGUMENT);
}

} // namespace
