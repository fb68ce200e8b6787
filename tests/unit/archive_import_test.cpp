// SPDX-License-Identifier: Apache-2.0
// import_archive() against hostile archives built here with libarchive (and
// by hand where libarchive will not write the header): each is refused with
// CCR_ERR_IMAGE naming the entry, the destination is gone afterwards, and a
// canary directory beside it is exactly as it was.
#include "archive_import.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ccr.h"
#include "error.hpp"

namespace fs = std::filesystem;

namespace {

struct Entry {
	std::string name;
	mode_t type = AE_IFREG;
	std::string data;
	std::string symlink;  // AE_IFLNK target
	std::string hardlink; // set: a hard link to this name
	dev_t rdev = 0;
	mode_t perm = 0644;
};

Entry file(std::string name, std::string data = "x")
{
	return {std::move(name), AE_IFREG, std::move(data)};
}
Entry dir(std::string name)
{
	return {std::move(name), AE_IFDIR};
}

// What every acceptable checkpoint archive holds, for tests that add one
// hostile entry after (or before) it.
std::vector<Entry> minimal_checkpoint()
{
	return {dir("checkpoint/"), file("checkpoint/inventory.img", "inv"), file("config.dump", "{}"),
		file("spec.dump", "{}")};
}

void write_tar(const std::string &path, const std::vector<Entry> &entries,
	       int (*filter)(struct archive *) = archive_write_add_filter_none)
{
	struct archive *a = archive_write_new();
	ASSERT_NE(a, nullptr);
	ASSERT_EQ(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	ASSERT_EQ(filter(a), ARCHIVE_OK);
	ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK) << archive_error_string(a);
	for (const Entry &en : entries) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_copy_pathname(e, en.name.c_str());
		archive_entry_set_filetype(e, en.type);
		archive_entry_set_perm(e, en.perm);
		archive_entry_set_size(e, en.type == AE_IFREG && en.hardlink.empty() ? en.data.size() : 0);
		if (en.type == AE_IFLNK)
			archive_entry_copy_symlink(e, en.symlink.c_str());
		if (!en.hardlink.empty())
			archive_entry_copy_hardlink(e, en.hardlink.c_str());
		if (en.type == AE_IFCHR || en.type == AE_IFBLK)
			archive_entry_set_rdev(e, en.rdev);
		ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << en.name << ": " << archive_error_string(a);
		if (en.type == AE_IFREG && en.hardlink.empty() && !en.data.empty())
			ASSERT_EQ(archive_write_data(a, en.data.data(), en.data.size()),
				  static_cast<la_ssize_t>(en.data.size()));
		archive_entry_free(e);
	}
	ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

// One 512-byte ustar header, built by hand: libarchive's writer pads an
// entry to its declared size, which for a header claiming terabytes would
// mean writing them. `size` goes into the size field in base-256 when it
// does not fit in 11 octal digits, as GNU tar and Go write large sizes.
std::string ustar_header(const std::string &name, uint64_t size, char type = '0')
{
	std::string h(512, '\0');
	std::memcpy(&h[0], name.data(), std::min<size_t>(name.size(), 100));
	std::memcpy(&h[100], "0000644", 7);
	std::memcpy(&h[108], "0000000", 7);
	std::memcpy(&h[116], "0000000", 7);
	if (size < (1ull << 33)) {
		char buf[16];
		std::snprintf(buf, sizeof buf, "%011llo", static_cast<unsigned long long>(size));
		std::memcpy(&h[124], buf, 11);
	} else {
		h[124] = static_cast<char>(0x80);
		for (int i = 0; i < 8; i++)
			h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
	}
	std::memcpy(&h[136], "00000000000", 11);
	h[156] = type;
	std::memcpy(&h[257], "ustar", 6);
	std::memcpy(&h[263], "00", 2);
	std::memset(&h[148], ' ', 8);
	unsigned sum = 0;
	for (unsigned char c : h)
		sum += c;
	char chk[8];
	std::snprintf(chk, sizeof chk, "%06o", sum);
	std::memcpy(&h[148], chk, 7);
	return h;
}

std::string read_file(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

void write_file(const std::string &path, const std::string &text)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out << text;
}

// Every path under `root` with its type and content, symlinks not followed.
std::map<std::string, std::string> snapshot(const std::string &root)
{
	std::map<std::string, std::string> out;
	if (!fs::exists(fs::symlink_status(root)))
		return out;
	for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
		std::string rel = fs::relative(it->path(), root).string();
		auto st = it->symlink_status();
		if (fs::is_symlink(st))
			out[rel] = "symlink:" + fs::read_symlink(it->path()).string();
		else if (fs::is_directory(st))
			out[rel] = "dir";
		else
			out[rel] = "file:" + read_file(it->path().string());
	}
	return out;
}

mode_t mode_of(const std::string &path)
{
	struct stat st {};
	EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
	return st.st_mode & 07777;
}

class ArchiveImport : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ccr-archive-import-test-XXXXXX";
		ASSERT_NE(::mkdtemp(tmpl), nullptr);
		base_ = tmpl;
		canary_ = base_ + "/canary";
		fs::create_directory(canary_);
		write_file(canary_ + "/keep", "precious\n");
		dest_ = base_ + "/work/dest";
		fs::create_directory(base_ + "/work");
		tar_ = base_ + "/in.tar";
		before_ = snapshot(base_);
	}
	void TearDown() override
	{
		std::error_code ec;
		fs::remove_all(base_, ec);
	}

	// Imports tar_ and expects a refusal whose message mentions every
	// string in `says`; then checks nothing was left or touched.
	void expect_refused(const std::vector<std::string> &says, const ccr::ImportLimits &limits = {},
			    ccr_error_code code = CCR_ERR_IMAGE)
	{
		auto after_tar = snapshot(base_);
		try {
			ccr::import_archive(tar_, dest_, limits);
			ADD_FAILURE() << "the archive was accepted";
		} catch (const ccr::Error &e) {
			EXPECT_EQ(e.code(), code) << e.message();
			for (const auto &s : says)
				EXPECT_NE(e.message().find(s), std::string::npos)
					<< "message lacks \"" << s << "\": " << e.message();
		}
		EXPECT_FALSE(fs::exists(fs::symlink_status(dest_))) << dest_ << " was left behind";
		EXPECT_EQ(snapshot(base_), after_tar) << "something outside the destination changed";
		EXPECT_EQ(read_file(canary_ + "/keep"), "precious\n");
	}

	std::string base_, canary_, dest_, tar_;
	std::map<std::string, std::string> before_;
};

TEST_F(ArchiveImport, GoodArchiveUnpacksPrivately)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("checkpoint/pages-1.img", std::string(3 << 20, 'p')));
	Entry suid = file("stats-dump", "stats");
	suid.perm = 06777;
	entries.push_back(suid);
	entries.push_back(file("deep/er/file", "implicit parents"));
	write_tar(tar_, entries);

	ccr::import_archive(tar_, dest_);
	EXPECT_EQ(mode_of(dest_), 0700u);
	EXPECT_EQ(mode_of(dest_ + "/checkpoint"), 0700u);
	EXPECT_EQ(mode_of(dest_ + "/deep/er"), 0700u);
	EXPECT_EQ(mode_of(dest_ + "/stats-dump"), 0600u) << "the archive's setuid mode must not be applied";
	EXPECT_EQ(mode_of(dest_ + "/checkpoint/inventory.img"), 0600u);
	EXPECT_EQ(read_file(dest_ + "/checkpoint/inventory.img"), "inv");
	EXPECT_EQ(read_file(dest_ + "/checkpoint/pages-1.img"), std::string(3 << 20, 'p'));
	EXPECT_EQ(read_file(dest_ + "/deep/er/file"), "implicit parents");
	EXPECT_EQ(read_file(canary_ + "/keep"), "precious\n");
}

// GNU tar stores a file with holes as a sparse entry: only its data is in
// the archive, and the import must put each piece at its offset and give
// the file its whole length, a hole at the end included.
TEST_F(ArchiveImport, SparseEntryKeepsItsDataAndLength)
{
	const std::string src = base_ + "/src";
	fs::create_directories(src + "/checkpoint");
	write_file(src + "/checkpoint/inventory.img", "inv");
	const std::string pages = src + "/checkpoint/pages-1.img";
	const off_t length = 8 << 20;
	{
		int fd = ::open(pages.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(::pwrite(fd, "head", 4, 0), 4);
		ASSERT_EQ(::pwrite(fd, "middle", 6, 3 << 20), 6);
		ASSERT_EQ(::ftruncate(fd, length), 0);
		::close(fd);
	}
	const std::string cmd = "tar --sparse --format=gnu -C " + src + " -cf " + tar_ + " checkpoint";
	ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
	fs::remove_all(src);

	ccr::import_archive(tar_, dest_);
	const std::string got = read_file(dest_ + "/checkpoint/pages-1.img");
	ASSERT_EQ(got.size(), static_cast<size_t>(length));
	EXPECT_EQ(got.substr(0, 4), "head");
	EXPECT_EQ(got.substr(3 << 20, 6), "middle");
	EXPECT_EQ(got.find_first_not_of('\0', 3 << 20 | 6), std::string::npos) << "the trailing hole holds data";
	EXPECT_EQ(read_file(dest_ + "/checkpoint/inventory.img"), "inv");
}

TEST_F(ArchiveImport, LeadingDotSlashAndRootEntryAreFine)
{
	write_tar(tar_, {dir("./"), dir("./checkpoint/"), file("./checkpoint/inventory.img", "inv"),
			 file(".//config.dump", "{}")});
	ccr::import_archive(tar_, dest_);
	EXPECT_EQ(read_file(dest_ + "/checkpoint/inventory.img"), "inv");
	EXPECT_EQ(read_file(dest_ + "/config.dump"), "{}");
}

TEST_F(ArchiveImport, CompressedArchivesAreAccepted)
{
	write_tar(tar_, minimal_checkpoint(), archive_write_add_filter_gzip);
	ccr::import_archive(tar_, dest_);
	EXPECT_EQ(read_file(dest_ + "/checkpoint/inventory.img"), "inv");

	fs::remove_all(dest_);
	write_tar(tar_, minimal_checkpoint(), archive_write_add_filter_zstd);
	ccr::import_archive(tar_, dest_);
	EXPECT_EQ(read_file(dest_ + "/checkpoint/inventory.img"), "inv");
}

TEST_F(ArchiveImport, PathTraversalIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("../canary/pwned"));
	write_tar(tar_, entries);
	expect_refused({"../canary/pwned", "\"..\""});
}

TEST_F(ArchiveImport, DotDotInTheMiddleIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("checkpoint/../../canary/keep", "overwritten"));
	write_tar(tar_, entries);
	expect_refused({"checkpoint/../../canary/keep", "\"..\""});
}

TEST_F(ArchiveImport, AbsolutePathIsRefused)
{
	const std::string target = canary_ + "/abs";
	auto entries = minimal_checkpoint();
	entries.push_back(file(target));
	write_tar(tar_, entries);
	expect_refused({target, "absolute"});
	EXPECT_FALSE(fs::exists(target));
}

TEST_F(ArchiveImport, AbsoluteEtcPathIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("/etc/ccr-archive-import-test-must-not-exist"));
	write_tar(tar_, entries);
	expect_refused({"/etc/ccr-archive-import-test-must-not-exist", "absolute"});
	EXPECT_FALSE(fs::exists("/etc/ccr-archive-import-test-must-not-exist"));
}

TEST_F(ArchiveImport, SymlinkEntryIsRefused)
{
	// The classic: a symlink out, then a file through it.
	auto entries = minimal_checkpoint();
	entries.push_back({"checkpoint/out", AE_IFLNK, "", canary_});
	entries.push_back(file("checkpoint/out/pwned"));
	write_tar(tar_, entries);
	expect_refused({"checkpoint/out", "symlink"});
	EXPECT_FALSE(fs::exists(canary_ + "/pwned"));
}

TEST_F(ArchiveImport, RelativeSymlinkIsRefusedToo)
{
	auto entries = minimal_checkpoint();
	entries.push_back({"checkpoint/core-1.img", AE_IFLNK, "", "inventory.img"});
	write_tar(tar_, entries);
	expect_refused({"checkpoint/core-1.img", "symlink"});
}

TEST_F(ArchiveImport, HardlinkEntryIsRefused)
{
	auto entries = minimal_checkpoint();
	Entry hl = file("checkpoint/hl", "");
	hl.hardlink = canary_ + "/keep";
	entries.push_back(hl);
	write_tar(tar_, entries);
	expect_refused({"checkpoint/hl", "hard link"});
}

TEST_F(ArchiveImport, HardlinkToAnEarlierEntryIsRefused)
{
	auto entries = minimal_checkpoint();
	Entry hl = file("checkpoint/again", "");
	hl.hardlink = "checkpoint/inventory.img";
	entries.push_back(hl);
	write_tar(tar_, entries);
	expect_refused({"checkpoint/again", "hard link"});
}

TEST_F(ArchiveImport, CharacterDeviceIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back({"checkpoint/mem", AE_IFCHR, "", "", "", makedev(1, 1)});
	write_tar(tar_, entries);
	expect_refused({"checkpoint/mem", "character device"});
}

TEST_F(ArchiveImport, BlockDeviceIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back({"sda", AE_IFBLK, "", "", "", makedev(8, 0)});
	write_tar(tar_, entries);
	expect_refused({"sda", "block device"});
}

TEST_F(ArchiveImport, FifoIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back({"checkpoint/fifo", AE_IFIFO});
	write_tar(tar_, entries);
	expect_refused({"checkpoint/fifo", "fifo"});
}

TEST_F(ArchiveImport, HostileEntryFirstIsRefusedBeforeAnythingIsMade)
{
	auto entries = minimal_checkpoint();
	entries.insert(entries.begin(), file("../pwned"));
	write_tar(tar_, entries);
	expect_refused({"../pwned"});
	EXPECT_FALSE(fs::exists(base_ + "/work/pwned"));
}

TEST_F(ArchiveImport, OversizedEntryHeaderIsRefusedWithoutReadingIt)
{
	// 100 GiB declared, no data: refused on the header alone, so nothing
	// waits for (or writes) terabytes.
	std::string tar;
	tar += ustar_header("checkpoint/", 0, '5');
	tar += ustar_header("checkpoint/pages-1.img", 100ull << 30);
	tar += std::string(1024, '\0');
	write_file(tar_, tar);
	expect_refused({"checkpoint/pages-1.img", "107374182400 bytes", "limit"});
}

TEST_F(ArchiveImport, EntryLimitIsConfigurable)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("checkpoint/pages-1.img", std::string(2000, 'p')));
	write_tar(tar_, entries);
	ccr::ImportLimits limits;
	limits.max_entry_bytes = 1000;
	expect_refused({"checkpoint/pages-1.img", "2000 bytes", "1000 bytes per entry"}, limits);
}

TEST_F(ArchiveImport, TotalLimitCountsEveryEntry)
{
	auto entries = minimal_checkpoint();
	for (int i = 0; i < 3; i++)
		entries.push_back(file("checkpoint/pages-" + std::to_string(i) + ".img", std::string(600, 'p')));
	write_tar(tar_, entries);
	ccr::ImportLimits limits;
	limits.max_entry_bytes = 1000;
	limits.max_total_bytes = 1500;
	expect_refused({"checkpoint/pages-2.img", "1500 bytes in all"}, limits);
}

TEST_F(ArchiveImport, EntryCountIsLimited)
{
	auto entries = minimal_checkpoint();
	for (int i = 0; i < 10; i++)
		entries.push_back(file("checkpoint/f" + std::to_string(i), ""));
	write_tar(tar_, entries);
	ccr::ImportLimits limits;
	limits.max_entries = 8;
	expect_refused({"more than 8 entries"}, limits);
}

TEST_F(ArchiveImport, DeepPathIsRefused)
{
	std::string deep;
	for (int i = 0; i < 40; i++)
		deep += "d/";
	auto entries = minimal_checkpoint();
	entries.push_back(file(deep + "f"));
	write_tar(tar_, entries);
	expect_refused({"levels deep"});
}

TEST_F(ArchiveImport, DuplicateFileIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("checkpoint/inventory.img", "second"));
	write_tar(tar_, entries);
	expect_refused({"checkpoint/inventory.img", "twice", "first as a file"});
}

TEST_F(ArchiveImport, DuplicateDirectoryIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back(dir("./checkpoint"));
	write_tar(tar_, entries);
	expect_refused({"./checkpoint", "twice"});
}

TEST_F(ArchiveImport, FileWhereADirectoryIsIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back(dir("checkpoint/sub/"));
	entries.push_back(file("checkpoint/sub"));
	write_tar(tar_, entries);
	expect_refused({"checkpoint/sub", "twice", "first as a directory"});
}

TEST_F(ArchiveImport, FileWhereAnImplicitDirectoryIsIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("a/b"));
	entries.push_back(file("a"));
	write_tar(tar_, entries);
	expect_refused({"\"a\"", "directory of that name"});
}

TEST_F(ArchiveImport, DirectoryWhereAFileIsIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back(dir("config.dump/"));
	write_tar(tar_, entries);
	expect_refused({"config.dump/", "twice", "first as a file"});
}

TEST_F(ArchiveImport, EntryBelowAFileIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("spec.dump/x"));
	write_tar(tar_, entries);
	expect_refused({"spec.dump/x", "\"spec.dump\" is a file"});
}

TEST_F(ArchiveImport, ArchiveWithoutCheckpointIsRefused)
{
	write_tar(tar_, {file("config.dump", "{}"), file("spec.dump", "{}")});
	expect_refused({"checkpoint/inventory.img", "not a checkpoint archive"});
}

TEST_F(ArchiveImport, TruncatedArchiveIsRefused)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("checkpoint/pages-1.img", std::string(100000, 'p')));
	write_tar(tar_, entries);
	std::string bytes = read_file(tar_);
	write_file(tar_, bytes.substr(0, 4096));
	expect_refused({tar_});
}

TEST_F(ArchiveImport, NotATarIsRefused)
{
	write_file(tar_, std::string(4096, 'z') + "this is not a tar archive\n");
	expect_refused({tar_});
}

TEST_F(ArchiveImport, ControlCharactersInNamesAreEscaped)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("../\x1b[31mred\nline"));
	write_tar(tar_, entries);
	try {
		ccr::import_archive(tar_, dest_);
		ADD_FAILURE() << "accepted";
	} catch (const ccr::Error &e) {
		EXPECT_EQ(e.message().find('\n'), std::string::npos) << e.message();
		EXPECT_EQ(e.message().find('\x1b'), std::string::npos) << e.message();
		EXPECT_NE(e.message().find("\\x1b[31mred\\x0aline"), std::string::npos) << e.message();
	}
}

TEST_F(ArchiveImport, ExistingDestinationIsRefusedAndKept)
{
	write_tar(tar_, minimal_checkpoint());
	fs::create_directory(dest_);
	write_file(dest_ + "/mine", "mine");
	try {
		ccr::import_archive(tar_, dest_);
		ADD_FAILURE() << "accepted";
	} catch (const ccr::Error &e) {
		EXPECT_EQ(e.code(), CCR_ERR_INVALID_ARGUMENT) << e.message();
		EXPECT_NE(e.message().find("already exists"), std::string::npos) << e.message();
	}
	EXPECT_EQ(read_file(dest_ + "/mine"), "mine");
	EXPECT_FALSE(fs::exists(dest_ + "/checkpoint"));
}

TEST_F(ArchiveImport, DestinationThatIsASymlinkIsRefused)
{
	write_tar(tar_, minimal_checkpoint());
	fs::create_directory_symlink(canary_, dest_);
	try {
		ccr::import_archive(tar_, dest_);
		ADD_FAILURE() << "accepted";
	} catch (const ccr::Error &e) {
		EXPECT_EQ(e.code(), CCR_ERR_INVALID_ARGUMENT) << e.message();
	}
	EXPECT_TRUE(fs::is_symlink(dest_));
	EXPECT_FALSE(fs::exists(canary_ + "/checkpoint"));
}

TEST_F(ArchiveImport, MissingArchiveAndParent)
{
	try {
		ccr::import_archive(base_ + "/nope.tar", dest_);
		ADD_FAILURE() << "accepted";
	} catch (const ccr::Error &e) {
		EXPECT_EQ(e.code(), CCR_ERR_NOT_FOUND) << e.message();
	}
	EXPECT_FALSE(fs::exists(dest_));
	write_tar(tar_, minimal_checkpoint());
	try {
		ccr::import_archive(tar_, base_ + "/missing/dest");
		ADD_FAILURE() << "accepted";
	} catch (const ccr::Error &e) {
		EXPECT_EQ(e.code(), CCR_ERR_NOT_FOUND) << e.message();
	}
	EXPECT_FALSE(fs::exists(base_ + "/missing"));
}

// Through the C ABI: the same refusal arrives as an error object.
TEST_F(ArchiveImport, CApiReportsRefusals)
{
	auto entries = minimal_checkpoint();
	entries.push_back({"checkpoint/link", AE_IFLNK, "", "/etc/passwd"});
	write_tar(tar_, entries);
	ccr_error *err = ccr_archive_import(tar_.c_str(), dest_.c_str());
	ASSERT_NE(err, nullptr);
	EXPECT_EQ(ccr_error_code_of(err), CCR_ERR_IMAGE);
	std::string msg = ccr_error_message(err);
	EXPECT_NE(msg.find("checkpoint/link"), std::string::npos) << msg;
	EXPECT_NE(msg.find("symlink"), std::string::npos) << msg;
	ccr_error_free(err);
	EXPECT_FALSE(fs::exists(dest_));

	err = ccr_archive_import(nullptr, dest_.c_str());
	EXPECT_EQ(ccr_error_code_of(err), CCR_ERR_INVALID_ARGUMENT);
	ccr_error_free(err);
	err = ccr_archive_import(tar_.c_str(), "");
	EXPECT_EQ(ccr_error_code_of(err), CCR_ERR_INVALID_ARGUMENT);
	ccr_error_free(err);

	write_tar(tar_, minimal_checkpoint());
	EXPECT_EQ(ccr_archive_import(tar_.c_str(), dest_.c_str()), nullptr);
	EXPECT_TRUE(fs::is_regular_file(dest_ + "/checkpoint/inventory.img"));
}

// A fifo given as the archive: refused at once, not waited on (today's
// open() blocked until a writer came). Should the import hang anyway, the
// test opens the fifo's other end after 10 s so the thread returns, and fails.
TEST_F(ArchiveImport, AFifoIsRefusedWithoutBlocking)
{
	ASSERT_EQ(::mkfifo(tar_.c_str(), 0600), 0);
	auto import = std::async(std::launch::async, [&] {
		ccr_error *err = ccr_archive_import(tar_.c_str(), dest_.c_str());
		std::pair<ccr_error_code, std::string> out{ccr_error_code_of(err), err ? ccr_error_message(err) : ""};
		ccr_error_free(err);
		return out;
	});
	if (import.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
		ADD_FAILURE() << "import of a fifo did not return within 10 s";
		int w = ::open(tar_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (w >= 0)
			::close(w);
	}
	auto [code, message] = import.get();
	EXPECT_EQ(code, CCR_ERR_INVALID_ARGUMENT) << message;
	EXPECT_NE(message.find("is a fifo, not a regular file"), std::string::npos) << message;
	EXPECT_FALSE(fs::exists(fs::symlink_status(dest_)));
}

// A sparse entry declaring 1 GiB in an archive of a few KiB (a 131 KB zstd
// archive of zeros does the same): refused from its header by the expansion
// ratio, nothing written. Raising the ratio through the options lets it in.
TEST_F(ArchiveImport, ExpansionBeyondTheRatioIsRefusedUnlessRaised)
{
	const std::string src = base_ + "/src";
	fs::create_directories(src + "/checkpoint");
	write_file(src + "/checkpoint/inventory.img", "inv");
	{
		int fd = ::open((src + "/checkpoint/pages-1.img").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(::pwrite(fd, "data", 4, 0), 4);
		ASSERT_EQ(::ftruncate(fd, off_t(1) << 30), 0);
		::close(fd);
	}
	const std::string cmd = "tar --sparse --format=gnu -C " + src + " -cf " + tar_ + " checkpoint";
	ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
	fs::remove_all(src);
	ASSERT_LT(fs::file_size(tar_), 64u << 10);
	// Not expect_refused(): its snapshot would read a wrongly unpacked GiB.
	try {
		ccr::import_archive(tar_, dest_);
		ADD_FAILURE() << "the archive was accepted";
	} catch (const ccr::Error &e) {
		EXPECT_EQ(e.code(), CCR_ERR_IMAGE) << e.message();
		EXPECT_NE(e.message().find("checkpoint/pages-1.img"), std::string::npos) << e.message();
		EXPECT_NE(e.message().find("1000 times the archive's"), std::string::npos) << e.message();
	}
	EXPECT_FALSE(fs::exists(fs::symlink_status(dest_))) << dest_ << " was left behind";
	fs::remove_all(dest_);

	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	ASSERT_EQ(ccr_options_set_import_limits(o, 0, 0, 1000000), nullptr);
	ccr_error *err = ccr_archive_import_with_options(tar_.c_str(), dest_.c_str(), o);
	EXPECT_EQ(err, nullptr) << ccr_error_message(err);
	ccr_error_free(err);
	ccr_options_free(o);
	EXPECT_EQ(fs::file_size(dest_ + "/checkpoint/pages-1.img"), uintmax_t(1) << 30);
}

// The limits set through the C ABI apply: entries and bytes.
TEST_F(ArchiveImport, LimitsComeFromTheOptions)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("checkpoint/pages-1.img", std::string(5000, 'p')));
	write_tar(tar_, entries);
	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	ASSERT_EQ(ccr_options_set_import_limits(o, 3, 0, 0), nullptr);
	ccr_error *err = ccr_archive_import_with_options(tar_.c_str(), dest_.c_str(), o);
	EXPECT_EQ(ccr_error_code_of(err), CCR_ERR_IMAGE);
	EXPECT_NE(std::string(ccr_error_message(err)).find("more than 3 entries"), std::string::npos)
		<< ccr_error_message(err);
	ccr_error_free(err);
	ASSERT_EQ(ccr_options_set_import_limits(o, 0, 4096, 0), nullptr);
	err = ccr_archive_import_with_options(tar_.c_str(), dest_.c_str(), o);
	EXPECT_EQ(ccr_error_code_of(err), CCR_ERR_IMAGE);
	EXPECT_NE(std::string(ccr_error_message(err)).find("4096 bytes per entry"), std::string::npos)
		<< ccr_error_message(err);
	ccr_error_free(err);
	ccr_options_free(o);
	EXPECT_FALSE(fs::exists(fs::symlink_status(dest_)));
}

// ccr_options_cancel() and the time limit stop an import like an operation,
// and the destination goes with it.
TEST_F(ArchiveImport, ImportCanBeCanceledAndTimedOut)
{
	auto entries = minimal_checkpoint();
	write_tar(tar_, entries);
	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	ASSERT_EQ(ccr_options_cancel(o), nullptr);
	ccr_error *err = ccr_archive_import_with_options(tar_.c_str(), dest_.c_str(), o);
	EXPECT_EQ(ccr_error_code_of(err), CCR_ERR_CANCELED) << (err ? ccr_error_message(err) : "");
	ccr_error_free(err);
	ccr_options_free(o);
	EXPECT_FALSE(fs::exists(fs::symlink_status(dest_)));

	// 20000 files take far longer than 1 ms to make.
	for (int i = 0; i < 20000; i++)
		entries.push_back(file("checkpoint/f" + std::to_string(i), ""));
	write_tar(tar_, entries);
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	ASSERT_EQ(ccr_options_set_timeout_ms(o, 1), nullptr);
	err = ccr_archive_import_with_options(tar_.c_str(), dest_.c_str(), o);
	EXPECT_EQ(ccr_error_code_of(err), CCR_ERR_TIMEOUT) << (err ? ccr_error_message(err) : "");
	ccr_error_free(err);
	ccr_options_free(o);
	EXPECT_FALSE(fs::exists(fs::symlink_status(dest_)));
}

// Directories an entry names twice are duplicates; a directory first made as
// a parent and then named by its own entry is not, and every directory ends
// 0700 (no mark left from the import).
TEST_F(ArchiveImport, ImplicitThenExplicitDirectoryIsFine)
{
	auto entries = minimal_checkpoint();
	entries.push_back(file("x/y/z"));
	entries.push_back(dir("x/y/"));
	entries.push_back(dir("x/"));
	write_tar(tar_, entries);
	ccr::import_archive(tar_, dest_);
	EXPECT_EQ(mode_of(dest_ + "/x"), 0700u);
	EXPECT_EQ(mode_of(dest_ + "/x/y"), 0700u);
	EXPECT_EQ(read_file(dest_ + "/x/y/z"), "x");
}

// A pod archive (ccr_pod_archive_import) unpacks under the same rules and
// must hold pod.json and every listed container's inventory.img; a
// container archive is not a pod archive, and a pod.json naming a path
// outside the tree is refused before anything is used.
std::string pod_json(const std::vector<std::string> &ids)
{
	std::string members;
	for (const auto &id : ids)
		members += std::string(members.empty() ? "" : ",") + R"({"id":")" + id + R"(","paused":false})";
	return R"({"ccrPod":1,"id":"p","cgroupParent":"/pods/p","networkNamespace":"/proc/1/ns/net","paused":false,)"
	       R"("containers":[)" +
	       members + "]}";
}

TEST_F(ArchiveImport, PodArchiveNeedsPodJsonAndEachContainersImages)
{
	write_tar(tar_, {file("pod.json", pod_json({"a", "b"})), dir("a/"), file("a/checkpoint/inventory.img", "inv"),
			 file("a/dump.log", "log"), file("b/checkpoint/inventory.img", "inv")});
	ccr_error *err = ccr_pod_archive_import(tar_.c_str(), dest_.c_str(), nullptr);
	ASSERT_EQ(err, nullptr) << ccr_error_message(err);
	EXPECT_EQ(mode_of(dest_ + "/pod.json"), 0600u);
	EXPECT_EQ(read_file(dest_ + "/b/checkpoint/inventory.img"), "inv");
	fs::remove_all(dest_);

	auto refused = [&](const std::vector<Entry> &entries, const std::string &says) {
		write_tar(tar_, entries);
		ccr_error *e = ccr_pod_archive_import(tar_.c_str(), dest_.c_str(), nullptr);
		EXPECT_EQ(ccr_error_code_of(e), CCR_ERR_IMAGE) << (e ? ccr_error_message(e) : "accepted");
		if (e)
			EXPECT_NE(std::string(ccr_error_message(e)).find(says), std::string::npos)
				<< ccr_error_message(e);
		ccr_error_free(e);
		EXPECT_FALSE(fs::exists(fs::symlink_status(dest_))) << dest_ << " was left behind";
		EXPECT_EQ(read_file(canary_ + "/keep"), "precious\n");
	};
	refused(minimal_checkpoint(), "pod.json");
	refused({file("pod.json", pod_json({"a", "b"})), file("a/checkpoint/inventory.img", "inv")},
		"b/checkpoint/inventory.img");
	refused({file("pod.json", pod_json({"../canary"})), file("a/checkpoint/inventory.img", "inv")},
		"bad or repeated container id");
	refused({file("pod.json", pod_json({})), file("a/checkpoint/inventory.img", "inv")}, "lists no container");
	refused({file("pod.json", "not json"), file("a/checkpoint/inventory.img", "inv")}, "pod.json");
	Entry link{"a/checkpoint/inventory.img", AE_IFLNK};
	link.symlink = "/etc/passwd";
	refused({file("pod.json", pod_json({"a"})), link}, "a/checkpoint/inventory.img");
}

} // namespace
