// SPDX-License-Identifier: Apache-2.0
// Device nodes in the images, checked against the devices the config gives
// the container. CRIU reopens every file a task had open by its path inside
// the restored mount tree (files.img; reg-files.img in older images), ttys
// through such a path (tty-info.img says which kind of tty), and fills each
// tmpfs from a tar in the images (tmpfs-dev-<dev>.tar.gz.img), creating the
// device nodes that tar holds: a block device node there would give the
// container the host's disk.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <cstring>
#include <map>
#include <memory>

#include "image_verifier_parts.hpp"
#include "images.pb.h"
#include "unique_fd.hpp"

namespace ccr::image_check {
namespace {

inline constexpr uint32_t kFileReg = 1;
inline constexpr uint32_t kFileTty = 11;
inline constexpr uint32_t kTtyPty = 1, kTtyVt = 3, kTtySerial = 6;
inline constexpr size_t kMaxTarEntries = 1u << 20;

// A path below /dev a task may have open: a device the config gives, or a
// file on or at one of the config's mounts below /dev (a pty, shared
// memory, a file the config binds there such as /dev/termination-log).
bool allowed_dev_path(const std::string &name, const ImageExpectations &expect)
{
	if (expect.devices.count(name))
		return true;
	for (const auto &d : expect.dev_mounts)
		if (at_or_below(name, d))
			return true;
	return false;
}

struct OpenFiles {
	std::map<uint32_t, std::string> regs;                    // reg file id -> name
	std::vector<std::pair<uint32_t, uint32_t>> tty_regfiles; // tty_info_id -> regf_id
};

void check_reg(const std::string &image, const criu::reg_file_entry &r, const ImageExpectations &expect,
	       OpenFiles &files)
{
	files.regs[r.id()] = r.name();
	// The kernel names open files without "." or ".." (CRIU records what
	// /proc says); one with them could reach /dev unnoticed.
	const std::string padded = "/" + r.name() + "/";
	if (padded.find("/../") != std::string::npos || padded.find("/./") != std::string::npos)
		refuse(image,
		       "reg file " + std::to_string(r.id()) + " name " + r.name() + " has a \".\" or \"..\" component");
	if (at_or_below(r.name(), "/dev") && r.name() != "/dev" && !allowed_dev_path(r.name(), expect))
		refuse(image, "reg file " + std::to_string(r.id()) + " name " + r.name() +
				      " is no device the config lists (linux.devices and runc's defaults)");
}

OpenFiles read_open_files(int dirfd, const ImageExpectations &expect)
{
	OpenFiles files;
	if (auto img = read_if_present(dirfd, "files.img", kFilesMagic))
		for (size_t i = 0; i < img->entries.size(); i++) {
			criu::file_entry f;
			if (!f.ParseFromString(img->entries[i]))
				refuse("files.img", "entry " + std::to_string(i) + " is not a file entry");
			if (f.type() == kFileReg && f.has_reg())
				check_reg("files.img", f.reg(), expect, files);
			if (f.type() == kFileTty && f.has_tty())
				files.tty_regfiles.emplace_back(f.tty().tty_info_id(), f.tty().regf_id());
		}
	if (auto img = read_if_present(dirfd, "reg-files.img", kRegFilesMagic))
		for (size_t i = 0; i < img->entries.size(); i++) {
			criu::reg_file_entry r;
			if (!r.ParseFromString(img->entries[i]))
				refuse("reg-files.img", "entry " + std::to_string(i) + " is not a reg file entry");
			check_reg("reg-files.img", r, expect, files);
		}
	if (auto img = read_if_present(dirfd, "tty.img", kTtyFilesMagic))
		for (size_t i = 0; i < img->entries.size(); i++) {
			criu::tty_file_entry t;
			if (!t.ParseFromString(img->entries[i]))
				refuse("tty.img", "entry " + std::to_string(i) + " is not a tty file entry");
			files.tty_regfiles.emplace_back(t.tty_info_id(), t.regf_id());
		}
	return files;
}

// A virtual terminal or serial line is a host device: only one the config
// lists itself (runc's defaults hold none). A pty, the console, the
// controlling tty and an external tty are the container's or the caller's.
void check_ttys(int dirfd, const OpenFiles &files, const ImageExpectations &expect)
{
	auto img = read_if_present(dirfd, "tty-info.img", kTtyInfoMagic);
	if (!img)
		return;
	for (size_t i = 0; i < img->entries.size(); i++) {
		criu::tty_info_entry t;
		if (!t.ParseFromString(img->entries[i]))
			refuse("tty-info.img", "entry " + std::to_string(i) + " is not a tty info entry");
		const std::string where = "tty " + std::to_string(t.id());
		if (t.type() < kTtyPty || t.type() > kTtySerial)
			refuse("tty-info.img",
			       where + " has type " + std::to_string(t.type()) + ", no kind of tty a container has");
		if (t.type() != kTtyVt && t.type() != kTtySerial)
			continue;
		for (const auto &[info, regf] : files.tty_regfiles) {
			if (info != t.id())
				continue;
			auto name = files.regs.find(regf);
			const std::string path = name == files.regs.end() ? "(no path)" : name->second;
			if (!expect.devices.count(path) || expect.devices.at(path).major < 0)
				refuse("tty-info.img",
				       where + std::string(" is a ") +
					       (t.type() == kTtyVt ? "virtual terminal" : "serial line") + " at " +
					       path + ", which the config's linux.devices does not list");
		}
	}
}

struct ArchiveReadFree {
	void operator()(struct archive *a) const { archive_read_free(a); }
};

// "./a/b" or "a/b" inside a tmpfs mounted at `mountpoint` -> "/mnt/a/b".
std::string inside(const std::string &mountpoint, std::string entry)
{
	while (entry.rfind("./", 0) == 0)
		entry.erase(0, 2);
	while (!entry.empty() && entry.back() == '/')
		entry.pop_back();
	std::string base = mountpoint == "/" ? "" : mountpoint;
	return entry.empty() || entry == "." ? mountpoint : base + "/" + entry;
}

} // namespace

void check_tmpfs_devices(int dirfd, const std::string &name, const std::string &mountpoint,
			 const ImageExpectations &expect)
{
	UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
	if (!fd) {
		if (errno == ENOENT)
			return;
		refuse(name, std::string("cannot be opened: ") + ::strerror(errno));
	}
	struct stat st;
	if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
		refuse(name, "is not a regular file");
	std::unique_ptr<struct archive, ArchiveReadFree> a(archive_read_new());
	if (!a)
		throw Error(CCR_ERR_NO_MEMORY, "libarchive: out of memory");
	archive_read_support_format_tar(a.get());
	archive_read_support_filter_gzip(a.get());
	archive_read_support_filter_none(a.get());
	if (archive_read_open_fd(a.get(), fd.get(), 65536) != ARCHIVE_OK)
		refuse(name, std::string("is not a tar: ") + archive_error_string(a.get()));
	size_t count = 0;
	while (true) {
		struct archive_entry *e = nullptr;
		int r = archive_read_next_header(a.get(), &e);
		if (r == ARCHIVE_EOF)
			return;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			refuse(name, std::string("is not a readable tar: ") + archive_error_string(a.get()));
		if (++count > kMaxTarEntries)
			refuse(name, "holds more than " + std::to_string(kMaxTarEntries) + " entries");
		const mode_t type = archive_entry_filetype(e);
		if (type != AE_IFCHR && type != AE_IFBLK)
			continue;
		const char *raw = archive_entry_pathname(e);
		const std::string path = inside(mountpoint, raw ? raw : "");
		const char kind = type == AE_IFCHR ? 'c' : 'b';
		const auto major = int64_t(archive_entry_rdevmajor(e)), minor = int64_t(archive_entry_rdevminor(e));
		auto dev = expect.devices.find(path);
		const bool listed = dev != expect.devices.end() && dev->second.type == kind &&
				    (dev->second.major < 0 || dev->second.major == major) &&
				    (dev->second.minor < 0 || dev->second.minor == minor);
		if (!listed)
			refuse(name, std::string("device node ") + path + " (" + kind + " " + std::to_string(major) +
					     ":" + std::to_string(minor) +
					     ") is no device the config lists (linux.devices and runc's defaults)");
	}
}

void check_devices(int dirfd, const ImageExpectations &expect)
{
	OpenFiles files = read_open_files(dirfd, expect);
	check_ttys(dirfd, files, expect);
}

} // namespace ccr::image_check
