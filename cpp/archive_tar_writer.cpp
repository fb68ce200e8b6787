// SPDX-License-Identifier: Apache-2.0
#include "archive_tar_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "error.hpp"

namespace ccr {
namespace {

// Large enough that a multi-gigabyte pages image goes through in few system
// calls, small enough to live on the heap once per entry.
constexpr size_t copy_buffer_size = 1 << 20;

struct EntryDeleter {
	void operator()(struct archive_entry *e) const { archive_entry_free(e); }
};

} // namespace

TarWriter::TarWriter(int fd, std::string what) : what_(std::move(what)), fd_(fd)
{
	a_ = archive_write_new();
	if (!a_)
		throw Error(CCR_ERR_NO_MEMORY, "cannot allocate a libarchive writer for " + what_);
	try {
		// Tar needs only its two zero blocks at the end, not padding to
		// libarchive's 10 KiB block size (what it does for a regular
		// file too).
		if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK ||
		    archive_write_add_filter_none(a_) != ARCHIVE_OK ||
		    archive_write_set_bytes_in_last_block(a_, 1) != ARCHIVE_OK)
			fail("cannot set up the tar format");
		if (archive_write_open2(a_, this, nullptr, &TarWriter::write_callback, nullptr, nullptr) != ARCHIVE_OK)
			fail("cannot start writing");
	} catch (...) {
		// No destructor runs for a constructor that throws.
		discard_ = true;
		archive_write_free(a_);
		throw;
	}
}

TarWriter::~TarWriter()
{
	if (!a_)
		return;
	// Freeing an open writer closes it, which pads an entry cut short to
	// the size its header promised (gigabytes, for a pages image) and adds
	// the trailer. The file is being thrown away: let those bytes go
	// nowhere. (archive_write_fail() would skip them, but libarchive 3.6
	// then leaks its output buffer.)
	if (!finished_)
		discard_ = true;
	archive_write_free(a_);
}

la_ssize_t TarWriter::write_callback(struct archive *a, void *self, const void *buf, size_t size)
{
	auto *w = static_cast<TarWriter *>(self);
	if (w->discard_)
		return static_cast<la_ssize_t>(size);
	const char *p = static_cast<const char *>(buf);
	size_t left = size;
	while (left > 0) {
		ssize_t n = ::write(w->fd_, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			archive_set_error(a, errno, "%s", std::strerror(errno));
			return -1;
		}
		p += n;
		left -= static_cast<size_t>(n);
	}
	return static_cast<la_ssize_t>(size);
}

void TarWriter::fail(const std::string &doing)
{
	const char *msg = a_ ? archive_error_string(a_) : nullptr;
	int err = a_ ? archive_errno(a_) : 0;
	throw Error(CCR_ERR_SYSTEM, what_ + ": " + doing + ": " + (msg ? msg : "libarchive failed"), err > 0 ? err : 0);
}

void TarWriter::write_header(const std::string &name, const struct stat &st, const char *symlink)
{
	std::unique_ptr<struct archive_entry, EntryDeleter> e(archive_entry_new());
	if (!e)
		throw Error(CCR_ERR_NO_MEMORY, "cannot allocate a libarchive entry");
	archive_entry_copy_pathname(e.get(), name.c_str());
	archive_entry_set_filetype(e.get(), st.st_mode & S_IFMT);
	archive_entry_set_perm(e.get(), st.st_mode & 07777);
	archive_entry_set_uid(e.get(), st.st_uid);
	archive_entry_set_gid(e.get(), st.st_gid);
	archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	archive_entry_set_size(e.get(), S_ISREG(st.st_mode) ? st.st_size : 0);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		archive_entry_set_rdev(e.get(), st.st_rdev);
	if (symlink)
		archive_entry_copy_symlink(e.get(), symlink);
	if (archive_write_header(a_, e.get()) != ARCHIVE_OK)
		fail("cannot write the header of \"" + name + "\"");
}

void TarWriter::write_data(const char *data, size_t size, const std::string &name)
{
	while (size > 0) {
		la_ssize_t n = archive_write_data(a_, data, size);
		if (n <= 0)
			fail("cannot write the data of \"" + name + "\"");
		data += n;
		size -= static_cast<size_t>(n);
	}
}

void TarWriter::add_directory(const std::string &name, const struct stat &st)
{
	write_header(name, st, nullptr);
}

void TarWriter::add_file(const std::string &name, int fd, const struct stat &st)
{
	write_header(name, st, nullptr);
	std::vector<char> buf(copy_buffer_size);
	uint64_t left = static_cast<uint64_t>(st.st_size);
	while (left > 0) {
		size_t want = left < buf.size() ? static_cast<size_t>(left) : buf.size();
		ssize_t n = ::read(fd, buf.data(), want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw_errno(what_ + ": cannot read \"" + name + "\"");
		}
		if (n == 0)
			throw Error(CCR_ERR_IMAGE, what_ + ": \"" + name + "\" shrank while it was being archived");
		write_data(buf.data(), static_cast<size_t>(n), name);
		left -= static_cast<uint64_t>(n);
	}
	// The header already promised st_size bytes: a file that grew would be
	// archived cut short without anyone noticing.
	char probe;
	ssize_t more;
	do
		more = ::read(fd, &probe, 1);
	while (more < 0 && errno == EINTR);
	if (more > 0)
		throw Error(CCR_ERR_IMAGE, what_ + ": \"" + name + "\" grew while it was being archived");
	if (archive_write_finish_entry(a_) != ARCHIVE_OK)
		fail("cannot finish \"" + name + "\"");
}

void TarWriter::add_bytes(const std::string &name, std::string_view data, const struct stat &st)
{
	struct stat s = st;
	s.st_mode = S_IFREG | (st.st_mode & 07777);
	s.st_size = static_cast<off_t>(data.size());
	write_header(name, s, nullptr);
	write_data(data.data(), data.size(), name);
	if (archive_write_finish_entry(a_) != ARCHIVE_OK)
		fail("cannot finish \"" + name + "\"");
}

void TarWriter::add_symlink(const std::string &name, const std::string &target, const struct stat &st)
{
	write_header(name, st, target.c_str());
}

void TarWriter::add_special(const std::string &name, const struct stat &st)
{
	write_header(name, st, nullptr);
}

void TarWriter::finish()
{
	if (archive_write_close(a_) != ARCHIVE_OK)
		fail("cannot finish the archive");
	finished_ = true;
}

} // namespace ccr
