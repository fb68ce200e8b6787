// SPDX-License-Identifier: Apache-2.0
#include "archive_rootfs_diff.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include <nlohmann/json.hpp>

#include "archive_metadata.hpp"
#include "archive_tar_writer.hpp"
#include "error.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

// A writable layer deeper than this is not a container's; stopping keeps
// the recursion off the end of the stack.
constexpr int max_depth = 256;

// The names in `dirfd`, sorted so the same layer always gives the same tar.
std::vector<std::string> list_names(int dirfd, const std::string &where)
{
	int dupfd = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		throw_errno("cannot duplicate the descriptor of " + where);
	DIR *dir = ::fdopendir(dupfd);
	if (!dir) {
		int err = errno;
		::close(dupfd);
		throw_errno("cannot read directory " + where, err);
	}
	std::vector<std::string> names;
	errno = 0;
	while (struct dirent *ent = ::readdir(dir)) {
		const char *n = ent->d_name;
		if (!(n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))))
			names.emplace_back(n);
		errno = 0;
	}
	int err = errno;
	::closedir(dir);
	if (err)
		throw_errno("cannot read directory " + where, err);
	std::sort(names.begin(), names.end());
	return names;
}

struct Walk {
	TarWriter &tar;
	std::string root;
	dev_t dev;
	std::vector<std::string> deleted;

	void dir(int dirfd, const std::string &prefix, int depth)
	{
		if (depth > max_depth)
			throw Error(CCR_ERR_INVALID_ARGUMENT,
				    "rootfs diff directory " + root + " is nested deeper than " +
					    std::to_string(max_depth) + " levels at " + prefix);
		for (const std::string &name : list_names(dirfd, root + "/" + prefix))
			entry(dirfd, name, prefix + name, depth);
	}

	void entry(int dirfd, const std::string &name, const std::string &rel, int depth)
	{
		const std::string where = root + "/" + rel;
		struct stat st {};
		if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) // removed while we walk: it is not there
				return;
			throw_errno("cannot stat " + where);
		}
		switch (st.st_mode & S_IFMT) {
		case S_IFDIR: {
			tar.add_directory(rel, st);
			if (st.st_dev != dev)
				return; // a mount point: its own content is not the layer's
			UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
			if (!sub)
				throw_errno("cannot open " + where);
			dir(sub.get(), rel + "/", depth + 1);
			return;
		}
		case S_IFREG: {
			// O_NONBLOCK: should a fifo take the file's place between
			// the stat and the open, the open must not hang.
			UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
			if (!fd)
				throw_errno("cannot open " + where);
			struct stat now {};
			if (::fstat(fd.get(), &now) < 0)
				throw_errno("cannot stat " + where);
			if (!S_ISREG(now.st_mode))
				throw Error(CCR_ERR_SYSTEM, where + " changed type while it was being archived");
			tar.add_file(rel, fd.get(), now);
			return;
		}
		case S_IFLNK: {
			std::string target(PATH_MAX, '\0');
			ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
			if (n < 0)
				throw_errno("cannot read symlink " + where);
			target.resize(static_cast<size_t>(n));
			tar.add_symlink(rel, target, st);
			return;
		}
		case S_IFCHR:
			if (major(st.st_rdev) == 0 && minor(st.st_rdev) == 0) {
				deleted.push_back("/" + rel);
				return;
			}
			tar.add_special(rel, st);
			return;
		case S_IFBLK:
		case S_IFIFO:
			tar.add_special(rel, st);
			return;
		default: // sockets
			return;
		}
	}
};

} // namespace

std::vector<std::string> write_rootfs_diff(int out_fd, const std::string &dir)
{
	if (dir.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the rootfs diff directory path is empty");
	UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!root) {
		if (errno == ENOTDIR)
			throw Error(CCR_ERR_INVALID_ARGUMENT, "rootfs diff directory " + dir + " is not a directory",
				    errno);
		throw_errno("cannot open rootfs diff directory " + dir);
	}
	struct stat st {};
	if (::fstat(root.get(), &st) < 0)
		throw_errno("cannot stat rootfs diff directory " + dir);

	TarWriter tar(out_fd, std::string(kRootfsDiffTar) + " of " + dir);
	Walk walk{tar, dir, st.st_dev, {}};
	walk.dir(root.get(), "", 0);
	tar.finish();
	return std::move(walk.deleted);
}

std::string deleted_files_json(const std::vector<std::string> &paths)
{
	return nlohmann::json(paths).dump() + "\n";
}

} // namespace ccr
