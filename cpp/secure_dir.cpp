// SPDX-License-Identifier: Apache-2.0
#include "secure_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "error.hpp"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

namespace ccr {
namespace {

// Removing a tree recurses once per level; a tree deeper than this in a
// directory of ours is not something ccr made, so it is left behind rather
// than risking the stack.
constexpr int max_remove_depth = 256;

std::string octal_mode(mode_t mode)
{
	char buf[16];
	std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
	return buf;
}

// mkdir -p for everything above the last component. Errors are ignored here:
// creating or opening the last component reports them with a better message.
void make_parents(const std::string &path)
{
	for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
		if (path[slash - 1] == '/')
			continue;
		::mkdir(path.substr(0, slash).c_str(), 0755);
	}
}

// Creates the last component with `mode`. Returns whether it was created.
bool make_last(const std::string &path, mode_t mode, const std::string &what)
{
	make_parents(path);
	if (::mkdir(path.c_str(), mode) == 0)
		return true;
	if (errno != EEXIST)
		throw_errno("cannot create " + what + " " + path);
	return false;
}

// The mount a descriptor is on, from statx (Linux 5.8). 0 when unknown,
// which makes the caller treat every directory as a foreign mount.
uint64_t mount_id_of(int fd)
{
	struct statx stx = {};
	if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}

// Deletes everything inside `dirfd`, on the mount `mount_id`, without
// following symlinks: unlinkat() removes a symlink itself, and subdirectories
// are opened O_NOFOLLOW. A subdirectory on another mount (a bind mount of a
// container's rootfs, say) is never entered: its rmdir fails with EBUSY and
// it stays, with everything below it intact.
void remove_contents(int dirfd, uint64_t mount_id, int depth)
{
	if (depth > max_remove_depth || mount_id == 0)
		return;
	int dupfd = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return;
	DIR *dir = ::fdopendir(dupfd);
	if (!dir) {
		::close(dupfd);
		return;
	}
	// Entries removed while reading may make readdir() skip others, so
	// read again until a pass finds nothing left or removes nothing more.
	for (bool progress = true; progress;) {
		progress = false;
		::rewinddir(dir);
		while (struct dirent *ent = ::readdir(dir)) {
			const char *name = ent->d_name;
			if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
				continue;
			if (::unlinkat(dirfd, name, 0) == 0) {
				progress = true;
				continue;
			}
			// Linux says EISDIR for a directory, POSIX allows EPERM.
			if (errno != EISDIR && errno != EPERM)
				continue;
			UniqueFd sub(
				::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
			if (!sub || mount_id_of(sub.get()) != mount_id)
				continue;
			remove_contents(sub.get(), mount_id, depth + 1);
			if (::unlinkat(dirfd, name, AT_REMOVEDIR) == 0)
				progress = true;
		}
	}
	::closedir(dir);
}

} // namespace

UniqueFd open_private_dir(const std::string &path, bool create, const std::string &what)
{
	if (path.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the " + what + " path is empty");
	const std::string named = what + " " + path;
	bool created = create && make_last(path, 0700, what);

	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!fd) {
		int err = errno;
		if (err == ENOENT)
			throw Error(CCR_ERR_NOT_FOUND, named + " does not exist", err);
		// O_NOFOLLOW with O_DIRECTORY fails with ENOTDIR (ELOOP without
		// O_DIRECTORY) on a symlink; lstat tells it from a plain file
		// and from a file among the parents.
		struct stat st {};
		if ((err == ENOTDIR || err == ELOOP) && ::lstat(path.c_str(), &st) == 0) {
			if (S_ISLNK(st.st_mode))
				throw Error(CCR_ERR_UNSAFE_PATH,
					    named + " is a symlink; use the directory it points to", err);
			if (!S_ISDIR(st.st_mode))
				throw Error(CCR_ERR_UNSAFE_PATH, named + " is not a directory", err);
		}
		throw_errno("cannot open " + named, err);
	}
	// mkdir() honours the umask, which may have taken bits from the owner
	// too; a directory of ours gets exactly 0700.
	if (created && ::fchmod(fd.get(), 0700) < 0)
		throw_errno("cannot set the mode of " + named);

	struct stat st {};
	if (::fstat(fd.get(), &st) < 0)
		throw_errno("cannot stat " + named);
	if (!S_ISDIR(st.st_mode))
		throw Error(CCR_ERR_UNSAFE_PATH, named + " is not a directory");
	uid_t euid = ::geteuid();
	if (st.st_uid != euid)
		throw Error(CCR_ERR_UNSAFE_PATH, named + " is owned by uid " + std::to_string(st.st_uid) +
							 ", not by ccr's effective uid " + std::to_string(euid) +
							 "; chown it or use another directory");
	if (st.st_mode & 022)
		throw Error(CCR_ERR_UNSAFE_PATH, named + " is writable by group or others (mode " +
							 octal_mode(st.st_mode) + "); chmod 700 it");
	return fd;
}

UniqueFd make_private_tempdir(const std::string &parent, const std::string &prefix, std::string *out_path)
{
	if (parent.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the parent of a temporary directory is empty");
	if (prefix.find('/') != std::string::npos)
		throw Error(CCR_ERR_INVALID_ARGUMENT, "temporary directory prefix \"" + prefix + "\" contains a '/'");
	make_last(parent, 0700, "directory");

	std::string tmpl = parent;
	while (tmpl.size() > 1 && tmpl.back() == '/')
		tmpl.pop_back();
	if (tmpl != "/")
		tmpl += '/';
	tmpl += prefix + "XXXXXX";
	if (!::mkdtemp(tmpl.data()))
		throw_errno("cannot create a temporary directory in " + parent);

	UniqueFd fd;
	try {
		// mkdtemp() made it 0700 minus the umask: never writable by
		// others, but opening it through the checks makes sure it is
		// still ours and still a directory.
		fd = open_private_dir(tmpl, false, "temporary directory");
		if (::fchmod(fd.get(), 0700) < 0)
			throw_errno("cannot set the mode of temporary directory " + tmpl);
	} catch (...) {
		::rmdir(tmpl.c_str());
		throw;
	}
	if (out_path)
		*out_path = tmpl;
	return fd;
}

TempDir::TempDir(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

TempDir TempDir::create(const std::string &parent, const std::string &prefix)
{
	std::string path;
	UniqueFd fd = make_private_tempdir(parent, prefix, &path);
	return TempDir(std::move(path), std::move(fd));
}

TempDir::TempDir(TempDir &&other) noexcept : path_(std::move(other.path_)), fd_(std::move(other.fd_))
{
	other.path_.clear();
}

TempDir &TempDir::operator=(TempDir &&other) noexcept
{
	if (this != &other) {
		remove();
		path_ = std::move(other.path_);
		other.path_.clear();
		fd_ = std::move(other.fd_);
	}
	return *this;
}

TempDir::~TempDir()
{
	remove();
}

std::string TempDir::release()
{
	fd_.reset();
	return std::exchange(path_, std::string());
}

void TempDir::remove() noexcept
{
	if (!fd_) {
		path_.clear();
		return;
	}
	// Only remove what is at the path if it is still our directory; if it
	// was renamed away or replaced, the name now belongs to someone else.
	struct stat ours {
	}, there{};
	if (::fstat(fd_.get(), &ours) == 0 && ::lstat(path_.c_str(), &there) == 0 && ours.st_dev == there.st_dev &&
	    ours.st_ino == there.st_ino) {
		if (::rmdir(path_.c_str()) < 0 && (errno == ENOTEMPTY || errno == EEXIST)) {
			remove_contents(fd_.get(), mount_id_of(fd_.get()), 0);
			::rmdir(path_.c_str());
		}
	}
	fd_.reset();
	path_.clear();
}

} // namespace ccr
