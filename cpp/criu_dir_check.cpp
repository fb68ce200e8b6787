// SPDX-License-Identifier: Apache-2.0
#include "criu_dir_check.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "error.hpp"
#include "regular_file.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

// A pre-dump chain longer than this is not one ccr made.
constexpr int kMaxParentChain = 64;

// Where an open directory is, as the kernel names it.
std::string path_of(int fd)
{
	char buf[PATH_MAX];
	std::string link = "/proc/self/fd/" + std::to_string(fd);
	ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
	if (n < 0)
		throw_errno("cannot tell where directory descriptor " + std::to_string(fd) + " leads");
	return std::string(buf, size_t(n));
}

bool inside(const std::string &path, const std::string &dir)
{
	if (dir == "/")
		return path.size() > 1;
	return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

std::string parent_dir(const std::string &path)
{
	size_t slash = path.rfind('/');
	return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Checks one directory's entries; returns its `parent`, opened, when it has
// one (and `parents_allowed`).
UniqueFd check_entries(int dirfd, const std::string &where, bool parents_allowed, const std::string &base)
{
	int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0)
		throw_errno("cannot duplicate the descriptor of " + where);
	std::unique_ptr<DIR, int (*)(DIR *)> dir(::fdopendir(dup), ::closedir);
	if (!dir) {
		::close(dup);
		throw_errno("cannot list " + where);
	}
	UniqueFd parent;
	while (struct dirent *de = ::readdir(dir.get())) {
		const std::string name = de->d_name;
		if (name == "." || name == "..")
			continue;
		struct stat st {};
		if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			throw_errno("cannot stat " + where + "/" + name);
		}
		const std::string file = where + "/" + name;
		if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISSOCK(st.st_mode))
			continue;
		if (!S_ISLNK(st.st_mode))
			throw Error(CCR_ERR_UNSAFE_PATH, file + " is " + file_kind(st.st_mode) +
								 ": CRIU would block on it; only regular files and "
								 "directories belong there");
		if (name != "parent" || !parents_allowed)
			throw Error(CCR_ERR_UNSAFE_PATH,
				    file + " is a symlink: CRIU would follow it and write or read what it points "
					   "to; remove it");
		char target[PATH_MAX];
		ssize_t n = ::readlinkat(dirfd, "parent", target, sizeof target - 1);
		if (n < 0)
			throw_errno("cannot read the symlink " + file);
		parent.reset(::openat(dirfd, "parent", O_PATH | O_DIRECTORY | O_CLOEXEC));
		if (!parent)
			throw_errno_as(CCR_ERR_UNSAFE_PATH, file + " (-> " + std::string(target, size_t(n)) +
								    ") does not lead to a directory");
		std::string real = path_of(parent.get());
		if (!inside(real, base))
			throw Error(CCR_ERR_UNSAFE_PATH,
				    file + " leads to " + real + ", outside " + base +
					    ": a parent's images must sit beside the images directory");
	}
	return parent;
}

} // namespace

void check_criu_dirs(const OperationDirs &dirs)
{
	const std::string base = parent_dir(path_of(dirs.images.get()));
	UniqueFd next = check_entries(dirs.images.get(), dirs.images_path, true, base);
	std::string where = dirs.images_path + "/parent";
	for (int depth = 0; next; depth++) {
		if (depth >= kMaxParentChain)
			throw Error(CCR_ERR_UNSAFE_PATH, "the chain of parent images below " + dirs.images_path +
								 " is longer than " + std::to_string(kMaxParentChain));
		// O_PATH descriptors cannot be listed: open the directory itself.
		UniqueFd dir(::openat(next.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		if (!dir)
			throw_errno("cannot open " + where);
		next = check_entries(dir.get(), where, true, base);
		where += "/parent";
	}
	if (dirs.work && dirs.work_path != dirs.images_path)
		check_entries(dirs.work.get(), dirs.work_path, false, base);
}

} // namespace ccr
