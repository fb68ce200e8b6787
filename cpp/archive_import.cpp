// SPDX-License-Identifier: Apache-2.0
#include "archive_import.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "archive_metadata.hpp"
#include "error.hpp"
#include "regular_file.hpp"
#include "secure_dir.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

// Names in messages are cut here: a hostile name may be kilobytes long.
constexpr size_t max_shown_name = 200;

// An archive entry's name as it can be shown in a one-line message: control
// characters, quotes, backslashes and non-ASCII bytes escaped, so a hostile
// name cannot forge lines or terminal sequences in a log.
std::string shown(std::string_view name)
{
	std::string out;
	for (unsigned char c : name.substr(0, max_shown_name)) {
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			char buf[8];
			std::snprintf(buf, sizeof buf, "\\x%02x", c);
			out += buf;
		} else {
			out += static_cast<char>(c);
		}
	}
	if (name.size() > max_shown_name)
		out += "...";
	return out;
}

struct ReaderDeleter {
	void operator()(struct archive *a) const { archive_read_free(a); }
};

std::string error_string(struct archive *a)
{
	const char *msg = archive_error_string(a);
	return msg ? msg : "unknown libarchive error";
}

// Adds a decompression filter only where libarchive has it built in. Where
// it would fall back to running an external program (ARCHIVE_WARN), it is
// left out: a hostile archive must not decide which binary ccr executes.
// Such an archive is then refused as not a tar.
void add_builtin_filter(struct archive *a, int (*add)(struct archive *))
{
	std::unique_ptr<struct archive, ReaderDeleter> probe(archive_read_new());
	if (probe && add(probe.get()) == ARCHIVE_OK)
		add(a);
}

bool write_all_at(int fd, const char *data, size_t size, uint64_t offset)
{
	while (size > 0) {
		ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		data += n;
		size -= static_cast<size_t>(n);
		offset += static_cast<uint64_t>(n);
	}
	return true;
}

// Directories made as the parent of an entry, not by an entry of their own,
// carry this mode while the import runs: an entry for one of them later is
// fine, a second entry for a directory is a duplicate. The destination is
// 0700, so nobody else can reach inside meanwhile; finish() restores 0700.
constexpr mode_t kImplicitDirMode = S_ISVTX | 0700;

// Clears kImplicitDirMode below `dirfd`, one open directory per level: memory
// grows with depth (bounded by max_depth), not with the number of entries.
void clear_implicit_marks(int dirfd, unsigned depth_left)
{
	int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0)
		throw_errno("cannot duplicate a directory descriptor");
	std::unique_ptr<DIR, int (*)(DIR *)> dir(::fdopendir(dup), ::closedir);
	if (!dir) {
		::close(dup);
		throw_errno("cannot list an unpacked directory");
	}
	while (struct dirent *de = ::readdir(dir.get())) {
		if (!std::strcmp(de->d_name, ".") || !std::strcmp(de->d_name, ".."))
			continue;
		struct stat st {};
		if (de->d_type != DT_DIR &&
		    (de->d_type != DT_UNKNOWN || ::fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		     !S_ISDIR(st.st_mode)))
			continue;
		UniqueFd sub(::openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
		if (!sub || ::fchmod(sub.get(), 0700) < 0)
			throw_errno(std::string("cannot set the mode of unpacked directory ") + de->d_name);
		if (depth_left > 0)
			clear_implicit_marks(sub.get(), depth_left - 1);
	}
}

class Unpacker {
public:
	Unpacker(std::string archive_path, std::string dest, int root, const ImportLimits &limits,
		 uint64_t archive_size, const ImportControl &control, const ArchiveLayoutCheck &layout)
	    : archive_(std::move(archive_path)), dest_(std::move(dest)), root_(root), limits_(limits),
	      archive_size_(archive_size), control_(control), layout_(layout)
	{}

	void run(struct archive *a)
	{
		for (;;) {
			check_interrupted();
			struct archive_entry *entry = nullptr;
			int r = archive_read_next_header(a, &entry);
			if (r == ARCHIVE_EOF)
				break;
			if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
				corrupt(a, "cannot read the next entry");
			one(a, entry);
		}
		clear_implicit_marks(root_, limits_.max_depth);
		if (layout_) {
			layout_(root_);
			return;
		}
		struct stat st {};
		std::string inventory = std::string(kCheckpointDir) + "/inventory.img";
		// Nothing in the tree is a symlink (none is ever made), so this
		// path stays inside it.
		if (::fstatat(root_, inventory.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			throw Error(CCR_ERR_IMAGE, "archive " + archive_ + " holds no " + inventory +
							   ": it is not a checkpoint archive");
	}

private:
	void check_interrupted() const
	{
		if (control_.cancellation && control_.cancellation->canceled())
			throw Error(CCR_ERR_CANCELED, "import of " + archive_ + " was canceled");
		if (control_.deadline && std::chrono::steady_clock::now() >= *control_.deadline)
			throw Error(CCR_ERR_TIMEOUT, "import of " + archive_ + " did not finish within the time limit");
	}

	// What the entries may declare in all: the byte limit, and the archive's
	// size times the expansion ratio (never below the floor).
	uint64_t expansion_cap() const
	{
		uint64_t by_ratio = archive_size_ > UINT64_MAX / std::max<uint64_t>(limits_.max_ratio, 1)
					    ? UINT64_MAX
					    : archive_size_ * limits_.max_ratio;
		return std::max(by_ratio, limits_.ratio_floor);
	}

	[[noreturn]] void refuse(std::string_view name, const std::string &why)
	{
		throw Error(CCR_ERR_IMAGE, "archive " + archive_ + ": entry \"" + shown(name) + "\" refused: " + why);
	}

	[[noreturn]] void corrupt(struct archive *a, const std::string &doing)
	{
		const char *msg = archive_error_string(a);
		int err = archive_errno(a);
		throw Error(CCR_ERR_IMAGE,
			    "archive " + archive_ + ": " + doing + ": " + (msg ? msg : "not a readable tar archive"),
			    err > 0 ? err : 0);
	}

	// The entry's path as components, refusing what could leave the
	// destination or that no checkpoint layout has.
	std::vector<std::string> components(std::string_view name)
	{
		if (name.empty())
			refuse(name, "its name is empty");
		if (name.front() == '/')
			refuse(name, "it is an absolute path");
		std::vector<std::string> parts;
		size_t total = 0;
		size_t pos = 0;
		while (pos <= name.size()) {
			size_t slash = name.find('/', pos);
			if (slash == std::string_view::npos)
				slash = name.size();
			std::string_view part = name.substr(pos, slash - pos);
			pos = slash + 1;
			// "a//b", "./a" and "a/" (how tar names directories)
			// mean a/b, a and a.
			if (part.empty() || part == ".")
				continue;
			if (part == "..")
				refuse(name, "it has a \"..\" component");
			if (part.size() > NAME_MAX)
				refuse(name, "a component is longer than " + std::to_string(NAME_MAX) + " bytes");
			total += part.size() + 1;
			parts.emplace_back(part);
		}
		if (parts.size() > limits_.max_depth)
			refuse(name, "it is more than " + std::to_string(limits_.max_depth) + " levels deep");
		if (total >= PATH_MAX)
			refuse(name, "its path is longer than " + std::to_string(PATH_MAX) + " bytes");
		return parts;
	}

	// The directory that will hold the last component, made (0700) where
	// earlier entries did not make it.
	UniqueFd open_parent(std::string_view name, const std::vector<std::string> &parts)
	{
		UniqueFd cur(::fcntl(root_, F_DUPFD_CLOEXEC, 0));
		if (!cur)
			throw_errno("cannot duplicate the destination's descriptor");
		std::string so_far;
		for (size_t i = 0; i + 1 < parts.size(); i++) {
			const char *c = parts[i].c_str();
			so_far += (so_far.empty() ? "" : "/") + parts[i];
			UniqueFd next(::openat(cur.get(), c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
			if (!next && errno == ENOENT) {
				if (::mkdirat(cur.get(), c, 0700) < 0)
					throw_errno("cannot create directory " + shown(so_far) + " in " + dest_hint());
				next.reset(::openat(cur.get(), c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
				if (next && ::fchmod(next.get(), kImplicitDirMode) < 0)
					throw_errno("cannot set the mode of " + shown(so_far));
			}
			if (!next) {
				if (errno == ENOTDIR || errno == ELOOP)
					refuse(name,
					       "\"" + shown(so_far) + "\" is a file in the archive, not a directory");
				throw_errno("cannot open directory " + shown(so_far) + " in " + dest_hint());
			}
			cur = std::move(next);
		}
		return cur;
	}

	std::string dest_hint() const { return "import directory " + dest_; }

	void one(struct archive *a, struct archive_entry *entry)
	{
		const char *raw = archive_entry_pathname(entry);
		if (!raw)
			throw Error(CCR_ERR_IMAGE, "archive " + archive_ + ": an entry's name cannot be read");
		const std::string_view name(raw);

		if (++entries_ > limits_.max_entries)
			refuse(name, "the archive has more than " + std::to_string(limits_.max_entries) + " entries");
		// A hard link's type reads as a regular file: check it first.
		if (archive_entry_hardlink(entry))
			refuse(name, "it is a hard link; only regular files and directories are accepted");
		if (archive_entry_symlink(entry))
			refuse(name, "it is a symlink; only regular files and directories are accepted");
		const mode_t type = archive_entry_filetype(entry);
		switch (type) {
		case AE_IFREG:
		case AE_IFDIR:
			break;
		case AE_IFLNK:
			refuse(name, "it is a symlink; only regular files and directories are accepted");
		case AE_IFCHR:
			refuse(name, "it is a character device; only regular files and directories are accepted");
		case AE_IFBLK:
			refuse(name, "it is a block device; only regular files and directories are accepted");
		case AE_IFIFO:
			refuse(name, "it is a fifo; only regular files and directories are accepted");
		case AE_IFSOCK:
			refuse(name, "it is a socket; only regular files and directories are accepted");
		default:
			refuse(name, "its type is unknown; only regular files and directories are accepted");
		}

		const uint64_t declared = (type == AE_IFREG && archive_entry_size_is_set(entry))
						  ? static_cast<uint64_t>(archive_entry_size(entry))
						  : 0;
		if (declared > limits_.max_entry_bytes)
			refuse(name, "it declares " + std::to_string(declared) + " bytes, more than the limit of " +
					     std::to_string(limits_.max_entry_bytes) + " bytes per entry");
		if (declared > limits_.max_total_bytes - total_)
			refuse(name, "it brings the archive past the limit of " +
					     std::to_string(limits_.max_total_bytes) + " bytes in all");
		if (const uint64_t cap = expansion_cap(); declared > cap - std::min(cap, total_))
			refuse(name, "it brings what the archive unpacks to past " + std::to_string(cap) + " bytes, " +
					     std::to_string(limits_.max_ratio) + " times the archive's " +
					     std::to_string(archive_size_) +
					     " bytes (raise the expansion ratio if this archive is trusted)");

		const std::vector<std::string> parts = components(name);

		if (parts.empty()) {
			// "./": the destination itself.
			if (type != AE_IFDIR)
				refuse(name, "it names the archive's top directory but is not a directory");
			return;
		}
		UniqueFd parent = open_parent(name, parts);
		const char *last = parts.back().c_str();

		if (type == AE_IFDIR) {
			if (::mkdirat(parent.get(), last, 0700) < 0) {
				if (errno != EEXIST)
					throw_errno("cannot create directory " + shown(name) + " in " + dest_hint());
				// Made earlier as the parent of another entry: fine.
				// A directory an entry made, or a file: a duplicate.
				struct stat st {};
				if (::fstatat(parent.get(), last, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
					refuse(name, "it appears twice in the archive (first as a file)");
				if ((st.st_mode & 07777) != kImplicitDirMode)
					refuse(name, "it appears twice in the archive (first as a directory)");
			}
			UniqueFd dir(::openat(parent.get(), last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
			if (!dir || ::fchmod(dir.get(), 0700) < 0)
				throw_errno("cannot set the mode of directory " + shown(name));
			return;
		}

		UniqueFd out(::openat(parent.get(), last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
		if (!out) {
			if (errno != EEXIST)
				throw_errno("cannot create " + shown(name) + " in " + dest_hint());
			struct stat st {};
			if (::fstatat(parent.get(), last, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
			    (st.st_mode & 07777) == kImplicitDirMode)
				refuse(name, "a directory of that name came earlier in the archive");
			refuse(name, std::string("it appears twice in the archive (first as a ") +
					     (S_ISDIR(st.st_mode) ? "directory" : "file") + ")");
		}
		if (::fchmod(out.get(), 0600) < 0)
			throw_errno("cannot set the mode of " + shown(name));
		total_ += declared;

		// The header's size was checked; check where each block of data
		// lands too, in case a format's size field and its data disagree.
		// libarchive hands out its own buffers, so nothing is copied twice;
		// a sparse entry's holes stay holes and the size is set at the end.
		uint64_t end = 0;
		for (;;) {
			const void *block = nullptr;
			size_t size = 0;
			la_int64_t offset = 0;
			check_interrupted();
			int r = archive_read_data_block(a, &block, &size, &offset);
			if (r == ARCHIVE_EOF)
				break;
			if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
				corrupt(a, "cannot read the data of entry \"" + shown(name) + "\"");
			const uint64_t at = static_cast<uint64_t>(offset);
			if (offset < 0 || at > declared || size > declared - at)
				refuse(name, "its data is longer than its header declares");
			if (!write_all_at(out.get(), static_cast<const char *>(block), size, at))
				throw_errno("cannot write " + shown(name) + " in " + dest_hint());
			end = std::max(end, at + size);
		}
		if (end < declared && ::ftruncate(out.get(), static_cast<off_t>(declared)) < 0)
			throw_errno("cannot set the size of " + shown(name) + " in " + dest_hint());
	}

	std::string archive_;
	std::string dest_;
	int root_;
	ImportLimits limits_;
	uint64_t archive_size_;
	ImportControl control_;
	ArchiveLayoutCheck layout_;
	uint64_t entries_ = 0;
	uint64_t total_ = 0;
};

// Creates `dest` (which must not exist, under a parent that must) 0700 and
// opens it without following a symlink put in its place.
TempDir make_destination(const std::string &dest)
{
	std::string path = dest;
	while (path.size() > 1 && path.back() == '/')
		path.pop_back();
	size_t slash = path.rfind('/');
	std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
	std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
	if (base.empty() || base == "." || base == ".." || base == "/")
		throw Error(CCR_ERR_INVALID_ARGUMENT,
			    "import directory " + dest + " must name a new directory, not \"" + base + "\"");

	UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!parent_fd)
		throw_errno("cannot open " + parent + ", the parent of import directory " + dest);
	if (::mkdirat(parent_fd.get(), base.c_str(), 0700) < 0) {
		if (errno == EEXIST)
			throw Error(CCR_ERR_INVALID_ARGUMENT,
				    "import directory " + dest + " already exists; import needs a fresh directory",
				    errno);
		throw_errno("cannot create import directory " + dest);
	}
	UniqueFd fd(::openat(parent_fd.get(), base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!fd) {
		int err = errno;
		throw_errno_as(CCR_ERR_UNSAFE_PATH,
			       "import directory " + dest + " was replaced right after it was created", err);
	}
	struct stat st {};
	if (::fstat(fd.get(), &st) < 0)
		throw_errno("cannot stat import directory " + dest);
	if (st.st_uid != ::geteuid())
		throw Error(CCR_ERR_UNSAFE_PATH,
			    "import directory " + dest + " was replaced by another user's right after it was created");
	TempDir dir(path, std::move(fd));
	// mkdirat() honours the umask; the directory gets exactly 0700.
	if (::fchmod(dir.fd(), 0700) < 0)
		throw_errno("cannot set the mode of import directory " + dest);
	return dir;
}

} // namespace

void import_archive(const std::string &archive_path, const std::string &dest_dir, const ImportLimits &limits,
		    const ImportControl &control, const ArchiveLayoutCheck &layout)
{
	if (archive_path.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the archive path is empty");
	if (dest_dir.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the import directory path is empty");
	// Options canceled before the call: fail at once, as the operations do.
	if (control.cancellation && control.cancellation->canceled())
		throw Error(CCR_ERR_CANCELED, "import of " + archive_path + " was canceled");

	// A fifo would block open() until a writer comes, and a silent one
	// read() for ever: only a regular file is read, checked without blocking.
	UniqueFd in =
		open_regular_file(AT_FDCWD, archive_path, true, CCR_ERR_INVALID_ARGUMENT, "archive " + archive_path);
	struct stat st {};
	if (::fstat(in.get(), &st) < 0)
		throw_errno("cannot stat archive " + archive_path);

	std::unique_ptr<struct archive, ReaderDeleter> a(archive_read_new());
	if (!a)
		throw Error(CCR_ERR_NO_MEMORY, "cannot allocate a libarchive reader");
	// Tar only (ustar, pax, GNU), plain or compressed as CRI-O and Podman
	// write it.
	if (archive_read_support_format_tar(a.get()) != ARCHIVE_OK)
		throw Error(CCR_ERR_INTERNAL, "cannot set up libarchive's tar reader: " + error_string(a.get()));
	add_builtin_filter(a.get(), archive_read_support_filter_gzip);
	add_builtin_filter(a.get(), archive_read_support_filter_zstd);
	if (archive_read_open_fd(a.get(), in.get(), 1 << 16) != ARCHIVE_OK)
		throw Error(CCR_ERR_IMAGE, "archive " + archive_path + " cannot be read: " + error_string(a.get()));

	TempDir dest = make_destination(dest_dir);
	Unpacker(archive_path, dest_dir, dest.fd(), limits, static_cast<uint64_t>(st.st_size), control, layout)
		.run(a.get());
	dest.release();
}

} // namespace ccr
