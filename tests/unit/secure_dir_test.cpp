// SPDX-License-Identifier: Apache-2.0
// open_private_dir(), make_private_tempdir() and TempDir: the checks that keep
// other users out of ccr's directories, and removal that never leaves them.
#include "secure_dir.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "error.hpp"

namespace fs = std::filesystem;

namespace {

class SecureDir : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ccr-secure-dir-test-XXXXXX";
		ASSERT_NE(::mkdtemp(tmpl), nullptr);
		base_ = tmpl;
	}
	void TearDown() override
	{
		std::error_code ec;
		fs::remove_all(base_, ec);
	}

	static mode_t mode_of(const std::string &path)
	{
		struct stat st {};
		EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
		return st.st_mode & 07777;
	}

	std::string base_;
};

// The error a call throws, or a CCR_OK one when it does not throw.
ccr::Error error_of(const std::function<void()> &fn)
{
	try {
		fn();
	} catch (const ccr::Error &e) {
		return e;
	}
	return ccr::Error(CCR_OK, "");
}

bool same_file(int fd, const std::string &path)
{
	struct stat a {
	}, b{};
	return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

TEST_F(SecureDir, CreatesMissingDirectoryPrivate)
{
	std::string path = base_ + "/a/b/images";
	ccr::UniqueFd fd = ccr::open_private_dir(path, true, "images directory");
	ASSERT_TRUE(fd);
	EXPECT_TRUE(same_file(fd.get(), path));
	EXPECT_EQ(mode_of(path), 0700u);
	EXPECT_EQ(mode_of(base_ + "/a/b") & 022, 0u);

	// Opening it again, with or without create, is fine.
	EXPECT_TRUE(ccr::open_private_dir(path, true, "images directory"));
	EXPECT_TRUE(ccr::open_private_dir(path, false, "images directory"));
}

TEST_F(SecureDir, NewDirectoryIs0700WhateverTheUmask)
{
	mode_t old = ::umask(0277);
	ccr::UniqueFd fd = ccr::open_private_dir(base_ + "/d", true, "work directory");
	::umask(old);
	EXPECT_EQ(mode_of(base_ + "/d"), 0700u);
}

TEST_F(SecureDir, MissingWithoutCreate)
{
	auto e = error_of([&] { ccr::open_private_dir(base_ + "/nope", false, "images directory"); });
	EXPECT_EQ(e.code(), CCR_ERR_NOT_FOUND);
	EXPECT_NE(e.message().find("images directory " + base_ + "/nope"), std::string::npos);
}

TEST_F(SecureDir, EmptyPath)
{
	EXPECT_EQ(error_of([&] { ccr::open_private_dir("", true, "images directory"); }).code(),
		  CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(error_of([&] { ccr::make_private_tempdir("", "x", nullptr); }).code(), CCR_ERR_INVALID_ARGUMENT);
}

TEST_F(SecureDir, SymlinkRefused)
{
	fs::create_directory(base_ + "/real");
	::chmod((base_ + "/real").c_str(), 0700);
	ASSERT_EQ(::symlink((base_ + "/real").c_str(), (base_ + "/link").c_str()), 0);
	for (bool create : {false, true}) {
		auto e = error_of([&] { ccr::open_private_dir(base_ + "/link", create, "images directory"); });
		EXPECT_EQ(e.code(), CCR_ERR_UNSAFE_PATH);
		EXPECT_NE(e.message().find("images directory " + base_ + "/link is a symlink"), std::string::npos)
			<< e.message();
	}
	// A dangling symlink must not be "created" through either.
	ASSERT_EQ(::symlink((base_ + "/elsewhere").c_str(), (base_ + "/dangling").c_str()), 0);
	EXPECT_EQ(error_of([&] { ccr::open_private_dir(base_ + "/dangling", true, "x"); }).code(), CCR_ERR_UNSAFE_PATH);
	EXPECT_FALSE(fs::exists(base_ + "/elsewhere"));
}

TEST_F(SecureDir, WritableByOthersRefused)
{
	std::string path = base_ + "/open";
	fs::create_directory(path);
	for (mode_t mode : {0777, 0770, 0702, 01777}) {
		ASSERT_EQ(::chmod(path.c_str(), mode), 0);
		auto e = error_of([&] { ccr::open_private_dir(path, false, "images directory"); });
		EXPECT_EQ(e.code(), CCR_ERR_UNSAFE_PATH);
		EXPECT_NE(e.message().find("writable by group or others"), std::string::npos);
		EXPECT_NE(e.message().find("chmod 700"), std::string::npos);
	}
	ASSERT_EQ(::chmod(path.c_str(), 0777), 0);
	auto e = error_of([&] { ccr::open_private_dir(path, true, "images directory"); });
	EXPECT_NE(e.message().find("(mode 0777)"), std::string::npos) << e.message();
	// Readable by others is fine; only writing matters.
	ASSERT_EQ(::chmod(path.c_str(), 0755), 0);
	EXPECT_TRUE(ccr::open_private_dir(path, false, "images directory"));
}

TEST_F(SecureDir, NotADirectory)
{
	std::ofstream(base_ + "/file") << "x";
	EXPECT_EQ(error_of([&] { ccr::open_private_dir(base_ + "/file", false, "x"); }).code(), CCR_ERR_UNSAFE_PATH);
	EXPECT_EQ(error_of([&] { ccr::open_private_dir(base_ + "/file", true, "x"); }).code(), CCR_ERR_UNSAFE_PATH);
}

TEST_F(SecureDir, OwnedBySomeoneElseRefused)
{
	std::string path = base_ + "/theirs";
	fs::create_directory(path);
	::chmod(path.c_str(), 0700);
	if (::chown(path.c_str(), ::geteuid() + 1, static_cast<gid_t>(-1)) < 0)
		GTEST_SKIP() << "needs CAP_CHOWN";
	auto e = error_of([&] { ccr::open_private_dir(path, false, "state directory"); });
	EXPECT_EQ(e.code(), CCR_ERR_UNSAFE_PATH);
	EXPECT_NE(e.message().find("owned by uid"), std::string::npos) << e.message();
}

TEST_F(SecureDir, PrivateTempdir)
{
	std::string parent = base_ + "/run/ccr";
	std::string path;
	ccr::UniqueFd fd = ccr::make_private_tempdir(parent, "restore-", &path);
	ASSERT_TRUE(fd);
	EXPECT_EQ(mode_of(parent), 0700u);
	EXPECT_EQ(path.rfind(parent + "/restore-", 0), 0u) << path;
	EXPECT_EQ(path.size(), parent.size() + 1 + 8 + 6);
	EXPECT_EQ(mode_of(path), 0700u);
	EXPECT_TRUE(same_file(fd.get(), path));

	std::string second;
	ccr::make_private_tempdir(parent + "/", "restore-", &second);
	EXPECT_NE(second, path);
	EXPECT_EQ(second.rfind(parent + "/restore-", 0), 0u) << second;

	EXPECT_EQ(error_of([&] { ccr::make_private_tempdir(parent, "a/b", nullptr); }).code(),
		  CCR_ERR_INVALID_ARGUMENT);
}

TEST_F(SecureDir, TempDirRemovesEmptyDirectory)
{
	std::string path;
	{
		ccr::TempDir dir = ccr::TempDir::create(base_, "t-");
		path = dir.path();
		EXPECT_TRUE(fs::is_directory(path));
	}
	EXPECT_FALSE(fs::exists(path));
}

TEST_F(SecureDir, TempDirRemovesTreeWithoutFollowingSymlinks)
{
	// Something outside that symlinks inside point at: it must survive.
	fs::create_directories(base_ + "/outside/sub");
	std::ofstream(base_ + "/outside/keep") << "x";
	std::ofstream(base_ + "/outside/sub/keep") << "x";

	std::string path;
	{
		ccr::TempDir dir = ccr::TempDir::create(base_, "t-");
		path = dir.path();
		fs::create_directories(path + "/a/b/c");
		std::ofstream(path + "/a/b/c/file") << "data";
		std::ofstream(path + "/top") << "data";
		fs::create_directory_symlink(base_ + "/outside", path + "/a/link");
		fs::create_symlink(base_ + "/outside/keep", path + "/filelink");
		fs::create_directory_symlink(base_ + "/outside/sub", path + "/a/b/sublink");
	}
	EXPECT_FALSE(fs::exists(path));
	EXPECT_TRUE(fs::exists(base_ + "/outside/keep"));
	EXPECT_TRUE(fs::exists(base_ + "/outside/sub/keep"));
}

TEST_F(SecureDir, TempDirReleaseKeeps)
{
	std::string path;
	{
		ccr::TempDir dir = ccr::TempDir::create(base_, "t-");
		std::ofstream(dir.path() + "/f") << "x";
		path = dir.release();
		EXPECT_TRUE(dir.path().empty());
	}
	EXPECT_TRUE(fs::exists(path + "/f"));
}

TEST_F(SecureDir, TempDirMoveTransfersOwnership)
{
	std::string path;
	{
		ccr::TempDir outer;
		{
			ccr::TempDir inner = ccr::TempDir::create(base_, "t-");
			path = inner.path();
			outer = std::move(inner);
		}
		EXPECT_TRUE(fs::exists(path));
		EXPECT_EQ(outer.path(), path);
	}
	EXPECT_FALSE(fs::exists(path));
}

TEST_F(SecureDir, TempDirLeavesAReplacedPathAlone)
{
	ccr::TempDir dir = ccr::TempDir::create(base_, "t-");
	std::string path = dir.path();
	ASSERT_EQ(::rename(path.c_str(), (base_ + "/moved").c_str()), 0);
	fs::create_directory(path);
	std::ofstream(path + "/someone-elses") << "x";
	dir.remove();
	EXPECT_TRUE(fs::exists(path + "/someone-elses"));
}

TEST_F(SecureDir, TempDirDoesNotCrossMounts)
{
	fs::create_directories(base_ + "/rootfs/etc");
	std::ofstream(base_ + "/rootfs/etc/precious") << "x";
	ccr::TempDir dir = ccr::TempDir::create(base_, "t-");
	std::string mnt = dir.path() + "/root";
	fs::create_directory(mnt);
	if (::mount((base_ + "/rootfs").c_str(), mnt.c_str(), nullptr, MS_BIND, nullptr) < 0)
		GTEST_SKIP() << "needs CAP_SYS_ADMIN to bind-mount";
	std::ofstream(dir.path() + "/other") << "x";
	dir.remove();
	EXPECT_TRUE(fs::exists(base_ + "/rootfs/etc/precious"));
	// The mountpoint (and so the directory) stays; the rest is gone.
	EXPECT_TRUE(fs::exists(mnt + "/etc/precious"));
	EXPECT_FALSE(fs::exists(mnt + "/../other"));
	::umount2(mnt.c_str(), MNT_DETACH);
}

} // namespace
