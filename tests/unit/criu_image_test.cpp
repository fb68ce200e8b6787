// SPDX-License-Identifier: Apache-2.0
// The CRIU image reader against well-formed, truncated, oversized and
// mislabelled images, and a stats image written the way CRIU writes one.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "criu_image.hpp"
#include "criu_stats.hpp"
#include "error.hpp"
#include "stats.pb.h"
#include "unique_fd.hpp"

namespace {

std::string le32(uint32_t v)
{
	std::string s(4, '\0');
	for (int i = 0; i < 4; i++)
		s[i] = char((v >> (8 * i)) & 0xff);
	return s;
}

std::string entry(const std::string &payload)
{
	return le32(uint32_t(payload.size())) + payload;
}

ccr_error_code code_of(const std::function<void()> &f)
{
	try {
		f();
	} catch (const ccr::Error &e) {
		return e.code();
	}
	return CCR_OK;
}

std::string error_of(const std::function<void()> &f)
{
	try {
		f();
	} catch (const ccr::Error &e) {
		return e.message();
	}
	return "";
}

std::string stats_image()
{
	ccr::criu::stats_entry e;
	auto *d = e.mutable_dump();
	d->set_freezing_time(11);
	d->set_frozen_time(2200);
	d->set_memdump_time(330);
	d->set_memwrite_time(44);
	d->set_pages_scanned(500);
	d->set_pages_skipped_parent(6);
	d->set_pages_written(70);
	d->set_pages_lazy(0);
	return le32(ccr::kImgServiceMagic) + le32(ccr::kStatsMagic) + entry(e.SerializeAsString());
}

class TempDirFd {
public:
	TempDirFd()
	{
		char tmpl[] = "/tmp/ccr-image-test.XXXXXX";
		path_ = ::mkdtemp(tmpl);
		fd_.reset(::open(path_.c_str(), O_DIRECTORY | O_CLOEXEC));
	}
	~TempDirFd() { std::system(("rm -rf " + path_).c_str()); }
	void write(const std::string &name, const std::string &bytes)
	{
		ccr::UniqueFd f(::openat(fd_.get(), name.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600));
		ASSERT_TRUE(f);
		ASSERT_EQ(::write(f.get(), bytes.data(), bytes.size()), ssize_t(bytes.size()));
	}
	int fd() const { return fd_.get(); }
	const std::string &path() const { return path_; }

private:
	std::string path_;
	ccr::UniqueFd fd_;
};

} // namespace

TEST(CriuImage, ParsesServiceMagicAndEntries)
{
	std::string bytes =
		le32(ccr::kImgServiceMagic) + le32(ccr::kStatsMagic) + entry("ab") + entry("") + entry("xyz");
	auto img = ccr::parse_criu_image(bytes, ccr::kStatsMagic, "stats-dump");
	EXPECT_EQ(img.magic, ccr::kStatsMagic);
	ASSERT_EQ(img.entries.size(), 3u);
	EXPECT_EQ(img.entries[0], "ab");
	EXPECT_EQ(img.entries[1], "");
	EXPECT_EQ(img.entries[2], "xyz");
}

TEST(CriuImage, InventoryHasNoCommonMagic)
{
	std::string bytes = le32(ccr::kInventoryMagic) + entry("k");
	auto img = ccr::parse_criu_image(bytes, ccr::kInventoryMagic, "inventory.img");
	ASSERT_EQ(img.entries.size(), 1u);
}

TEST(CriuImage, WrongMagicNamesBoth)
{
	std::string bytes = le32(ccr::kImgCommonMagic) + le32(0x12345678) + entry("a");
	auto msg = error_of([&] { ccr::parse_criu_image(bytes, ccr::kStatsMagic, "stats-dump"); });
	EXPECT_NE(msg.find("stats-dump"), std::string::npos) << msg;
	EXPECT_NE(msg.find("0x12345678"), std::string::npos) << msg;
	EXPECT_NE(msg.find("0x57093306"), std::string::npos) << msg;
}

TEST(CriuImage, TruncationIsAnImageError)
{
	std::string good = le32(ccr::kImgServiceMagic) + le32(ccr::kStatsMagic) + entry("abcdef");
	for (size_t cut = 0; cut < good.size(); cut++) {
		if (cut == 8)
			continue; // magic words alone: a valid image with no entries
		EXPECT_EQ(code_of([&] { ccr::parse_criu_image(good.substr(0, cut), ccr::kStatsMagic, "s"); }),
			  CCR_ERR_IMAGE)
			<< "cut at " << cut;
	}
	auto msg = error_of([&] { ccr::parse_criu_image(good.substr(0, good.size() - 2), ccr::kStatsMagic, "s"); });
	EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(CriuImage, OversizedEntryIsRefusedBeforeAllocation)
{
	std::string bytes = le32(ccr::kImgServiceMagic) + le32(ccr::kStatsMagic) + le32(0xfffffff0u) + "x";
	auto msg = error_of([&] { ccr::parse_criu_image(bytes, ccr::kStatsMagic, "stats-dump"); });
	EXPECT_NE(msg.find("claims"), std::string::npos) << msg;
}

TEST(CriuImage, ReadsFromDirectoryAndRefusesSymlinks)
{
	TempDirFd dir;
	dir.write("stats-dump", stats_image());
	auto img = ccr::read_criu_image(dir.fd(), "stats-dump", ccr::kStatsMagic);
	EXPECT_EQ(img.entries.size(), 1u);

	ASSERT_EQ(::symlinkat("/etc/passwd", dir.fd(), "evil"), 0);
	EXPECT_EQ(code_of([&] { ccr::read_criu_image(dir.fd(), "evil", ccr::kStatsMagic); }), CCR_ERR_IMAGE);
	EXPECT_EQ(code_of([&] { ccr::read_criu_image(dir.fd(), "missing", ccr::kStatsMagic); }), CCR_ERR_NOT_FOUND);
	ASSERT_EQ(::mkfifoat(dir.fd(), "fifo", 0600), 0);
	EXPECT_EQ(code_of([&] { ccr::read_criu_image(dir.fd(), "fifo", ccr::kStatsMagic); }), CCR_ERR_IMAGE);
}

TEST(CriuStats, DumpStatsFillEveryReportedField)
{
	TempDirFd dir;
	dir.write("stats-dump", stats_image());
	ccr::OperationStats s;
	ccr::read_dump_stats(dir.fd(), s);
	EXPECT_EQ(s.freezing_time_us, 11u);
	EXPECT_EQ(s.frozen_time_us, 2200u);
	EXPECT_EQ(s.memdump_time_us, 330u);
	EXPECT_EQ(s.memwrite_time_us, 44u);
	EXPECT_EQ(s.pages_scanned, 500u);
	EXPECT_EQ(s.pages_skipped_parent, 6u);
	EXPECT_EQ(s.pages_written, 70u);
	EXPECT_EQ(s.pages_lazy, 0u);
	EXPECT_FALSE(s.page_pipes.has_value()); // optional and not written
	EXPECT_FALSE(s.restore_time_us.has_value());
}

TEST(CriuStats, MissingStatsLeaveFieldsUnset)
{
	TempDirFd dir;
	ccr::OperationStats s;
	ccr::read_restore_stats(dir.fd(), s);
	EXPECT_FALSE(s.restore_time_us.has_value());
	dir.write("stats-restore", "garbage!");
	EXPECT_EQ(code_of([&] { ccr::read_restore_stats(dir.fd(), s); }), CCR_ERR_IMAGE);
}
