// SPDX-License-Identifier: Apache-2.0
// resolve_in_rootfs() and create_mountpoint() against a scratch rootfs full of
// hostile symlinks: nothing may ever resolve to, or be created on, the host.
#include "rootfs_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "error.hpp"

namespace fs = std::filesystem;

namespace {

class RootfsPath : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ccr-rootfs-test-XXXXXX";
		ASSERT_NE(::mkdtemp(tmpl), nullptr);
		root_ = tmpl;
		fs::create_directories(root_ + "/real/dir");
		fs::create_directories(root_ + "/etc");
		std::ofstream(root_ + "/real/file") << "x";
	}
	void TearDown() override
	{
		// remove_all() does not follow symlinks, so the hostile links
		// below cannot take the host's files with them.
		std::error_code ec;
		fs::remove_all(root_, ec);
	}

	void link(const std::string &target, const std::string &name)
	{
		ASSERT_EQ(::symlink(target.c_str(), (root_ + name).c_str()), 0) << name;
	}

	std::string resolve(const std::string &path) { return ccr::resolve_in_rootfs(root_, path); }

	// A name no host directory has, so "it was not created on the host"
	// is a meaningful check.
	static std::string unique_name()
	{
		std::random_device rd;
		return "ccr-mountpoint-test-" + std::to_string(rd()) + std::to_string(::getpid());
	}

	static mode_t mode_of(const std::string &path)
	{
		struct stat st {};
		EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
		return st.st_mode;
	}

	std::string root_;
};

ccr::Code code_of(const std::function<void()> &fn)
{
	try {
		fn();
	} catch (const ccr::Error &e) {
		return e.code();
	}
	return CCR_OK;
}

TEST_F(RootfsPath, PlainPathsAreCleaned)
{
	EXPECT_EQ(resolve("/"), "/");
	EXPECT_EQ(resolve(""), "/");
	EXPECT_EQ(resolve("/real/dir"), "/real/dir");
	EXPECT_EQ(resolve("//real/./dir/"), "/real/dir");
	EXPECT_EQ(resolve("real/dir"), "/real/dir"); // relative: from "/"
	EXPECT_EQ(resolve("/real/file"), "/real/file");
}

TEST_F(RootfsPath, DotDotClampsAtRoot)
{
	EXPECT_EQ(resolve(".."), "/");
	EXPECT_EQ(resolve("/../../.."), "/");
	EXPECT_EQ(resolve("../../etc"), "/etc");
	EXPECT_EQ(resolve("/real/../../../real/dir/.."), "/real");
}

TEST_F(RootfsPath, AbsoluteSymlinkIsResolvedInsideRoot)
{
	link("/real", "/abs");
	EXPECT_EQ(resolve("/abs"), "/real");
	EXPECT_EQ(resolve("/abs/dir"), "/real/dir");
	EXPECT_EQ(resolve("/abs/dir/../file"), "/real/file");
}

TEST_F(RootfsPath, RelativeSymlinkCannotEscape)
{
	link("../../../../../../../real", "/real/dir/esc");
	EXPECT_EQ(resolve("/real/dir/esc"), "/real");
	link("../../../../../../..", "/up");
	EXPECT_EQ(resolve("/up"), "/");
	EXPECT_EQ(resolve("/up/etc"), "/etc");
}

TEST_F(RootfsPath, SymlinkToEtcMeansTheContainersEtc)
{
	link("/etc", "/cfg");
	EXPECT_EQ(resolve("/cfg"), "/etc");
	// Prove it is the rootfs's /etc that was walked: a symlink only the
	// rootfs has is followed.
	link("/real/file", "/etc/passwd");
	EXPECT_EQ(resolve("/cfg/passwd"), "/real/file");
	// A file only the host has is not found, so the tail stays lexical.
	EXPECT_EQ(resolve("/cfg/hostname/x"), "/etc/hostname/x");
}

TEST_F(RootfsPath, SymlinkLoopIsUnsafe)
{
	link("/loop2", "/loop1");
	link("loop1", "/loop2");
	EXPECT_EQ(code_of([&] { resolve("/loop1"); }), CCR_ERR_UNSAFE_PATH);
	EXPECT_EQ(code_of([&] { resolve("/loop2/x"); }), CCR_ERR_UNSAFE_PATH);
	link("self", "/self");
	EXPECT_EQ(code_of([&] { resolve("/self"); }), CCR_ERR_UNSAFE_PATH);
	// A loop the kernel cannot see because it runs through a missing
	// directory: we follow dangling links ourselves and must stop too.
	link("missing/../sneaky", "/sneaky");
	EXPECT_EQ(code_of([&] { resolve("/sneaky"); }), CCR_ERR_UNSAFE_PATH);
}

TEST_F(RootfsPath, NonExistingTailIsLexical)
{
	EXPECT_EQ(resolve("/real/new/deeper"), "/real/new/deeper");
	EXPECT_EQ(resolve("/real/new/../other"), "/real/other");
	EXPECT_EQ(resolve("/missing/../../../real/dir"), "/real/dir");
	link("/real", "/abs");
	EXPECT_EQ(resolve("/abs/new/x/"), "/real/new/x");
	// Below a file: nothing can exist, the tail is kept as given.
	EXPECT_EQ(resolve("/real/file/x"), "/real/file/x");
}

TEST_F(RootfsPath, DanglingSymlinkIsFollowedInsideRoot)
{
	link("/new/place", "/dangling");
	EXPECT_EQ(resolve("/dangling"), "/new/place");
	EXPECT_EQ(resolve("/dangling/x"), "/new/place/x");
	link("../../../../nowhere", "/real/dir/dangling");
	EXPECT_EQ(resolve("/real/dir/dangling"), "/nowhere");
}

TEST_F(RootfsPath, RootfsGivenThroughASymlink)
{
	std::string alias = root_ + "-alias";
	ASSERT_EQ(::symlink(root_.c_str(), alias.c_str()), 0);
	link("/real", "/abs");
	EXPECT_EQ(ccr::resolve_in_rootfs(alias, "/abs/dir"), "/real/dir");
	::unlink(alias.c_str());
}

TEST_F(RootfsPath, MissingRootfs)
{
	EXPECT_EQ(code_of([&] { ccr::resolve_in_rootfs(root_ + "/nope", "/"); }), CCR_ERR_NOT_FOUND);
	EXPECT_EQ(code_of([&] { ccr::resolve_in_rootfs("", "/"); }), CCR_ERR_INVALID_ARGUMENT);
}

TEST_F(RootfsPath, MountpointThroughSymlinkToHostRootStaysInside)
{
	link("/", "/hostroot");
	std::string name = unique_name();
	ccr::create_mountpoint(root_, "/hostroot/" + name + "/sub", true);
	EXPECT_TRUE(fs::is_directory(root_ + "/" + name + "/sub"));
	EXPECT_FALSE(fs::exists("/" + name));

	link("../../../../../../../../tmp", "/up");
	ccr::create_mountpoint(root_, "/up/" + name, false);
	EXPECT_TRUE(fs::is_regular_file(root_ + "/tmp/" + name));
	EXPECT_FALSE(fs::exists("/tmp/" + name));
}

TEST_F(RootfsPath, MountpointThroughDanglingSymlink)
{
	link("/target/dir/f", "/dangling");
	ccr::create_mountpoint(root_, "/dangling", false);
	EXPECT_TRUE(fs::is_regular_file(root_ + "/target/dir/f"));
	EXPECT_TRUE(fs::is_symlink(root_ + "/dangling"));
}

TEST_F(RootfsPath, DirectoryAndFileMountpoints)
{
	// Modes are exact whatever the umask.
	mode_t old = ::umask(077);
	ccr::create_mountpoint(root_, "/mnt/a/dir", true);
	ccr::create_mountpoint(root_, "/mnt/b/file", false);
	::umask(old);

	EXPECT_TRUE(S_ISDIR(mode_of(root_ + "/mnt/a/dir")));
	EXPECT_EQ(mode_of(root_ + "/mnt/a/dir") & 07777, 0755u);
	EXPECT_EQ(mode_of(root_ + "/mnt") & 07777, 0755u);
	EXPECT_EQ(mode_of(root_ + "/mnt/a") & 07777, 0755u);

	EXPECT_TRUE(S_ISREG(mode_of(root_ + "/mnt/b/file")));
	EXPECT_EQ(mode_of(root_ + "/mnt/b/file") & 07777, 0644u);
	EXPECT_EQ(mode_of(root_ + "/mnt/b") & 07777, 0755u);
	EXPECT_EQ(fs::file_size(root_ + "/mnt/b/file"), 0u);
}

TEST_F(RootfsPath, ExistingMountpointIsLeftAlone)
{
	ccr::create_mountpoint(root_, "/real/file", false);
	std::ifstream in(root_ + "/real/file");
	std::string content;
	in >> content;
	EXPECT_EQ(content, "x");

	ccr::create_mountpoint(root_, "/real/dir", false); // a directory stays one
	EXPECT_TRUE(fs::is_directory(root_ + "/real/dir"));
	ccr::create_mountpoint(root_, "/", true);
}

TEST_F(RootfsPath, MountpointErrors)
{
	link("/loop2", "/loop1");
	link("/loop1", "/loop2");
	EXPECT_EQ(code_of([&] { ccr::create_mountpoint(root_, "/loop1/x", true); }), CCR_ERR_UNSAFE_PATH);
	// A file where a parent directory must be.
	EXPECT_EQ(code_of([&] { ccr::create_mountpoint(root_, "/real/file/x", true); }), CCR_ERR_SYSTEM);
}

} // namespace
