// SPDX-License-Identifier: Apache-2.0
#include "rootfs_path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

#include "error.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

// The kernel gives up after this many symlinks in one lookup (MAXSYMLINKS);
// dangling symlinks, which we follow ourselves, get the same budget.
constexpr int max_symlinks = 40;

// An opened rootfs: the descriptor every lookup starts from, and its host
// path as the kernel reports it, to turn host paths back into container ones.
struct Root {
	UniqueFd fd;
	std::string real;
	std::string name; // as the caller spelled it, for messages
};

// The components of `path`, without empty ones and ".". ".." stays: whether
// it may be applied lexically depends on what precedes it.
std::vector<std::string> split_path(const std::string &path)
{
	std::vector<std::string> parts;
	size_t i = 0;
	while (i < path.size()) {
		size_t end = path.find('/', i);
		if (end == std::string::npos)
			end = path.size();
		if (end > i) {
			std::string part = path.substr(i, end - i);
			if (part != ".")
				parts.push_back(std::move(part));
		}
		i = end + 1;
	}
	return parts;
}

std::string join(const std::string &dir, const std::string &name)
{
	return dir == "/" ? "/" + name : dir + "/" + name;
}

// Lexical parent of a clean absolute path; "/" is its own parent, which is
// how ".." clamps at the rootfs's root.
std::string parent_of(const std::string &path)
{
	size_t slash = path.rfind('/');
	return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// openat2() with the rootfs as "/". Returns the descriptor or -errno.
int open_in_root(const Root &root, const std::string &container_path, uint64_t flags)
{
	struct open_how how = {};
	how.flags = flags;
	// Magic links (/proc/<pid>/root and friends) would jump straight out
	// of the root; RESOLVE_IN_ROOT happens to refuse them today, this
	// makes sure it keeps doing so.
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	for (int attempt = 0;; attempt++) {
		long fd = ::syscall(SYS_openat2, root.fd.get(), container_path.c_str(), &how, sizeof(how));
		if (fd >= 0)
			return static_cast<int>(fd);
		// EAGAIN: a rename or mount elsewhere raced with a ".." and the
		// kernel could not prove the walk stayed inside; it asks us to
		// try again.
		if (errno == EINTR || (errno == EAGAIN && attempt < 64))
			continue;
		if (errno == ENOSYS)
			throw Error(CCR_ERR_UNSUPPORTED,
				    "missing feature: openat2() (Linux 5.6 or later) is needed to "
				    "resolve paths inside the rootfs safely",
				    ENOSYS);
		return -errno;
	}
}

// Where a descriptor points, as a host path.
std::string fd_target(int fd)
{
	std::string link = "/proc/self/fd/" + std::to_string(fd);
	std::string buf(PATH_MAX + 1, '\0');
	ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size());
	if (n < 0)
		throw_errno_as(CCR_ERR_SYSTEM, "readlink " + link + " (is /proc mounted?)");
	if (static_cast<size_t>(n) >= buf.size())
		throw_errno_as(CCR_ERR_SYSTEM, "readlink " + link, ENAMETOOLONG);
	buf.resize(static_cast<size_t>(n));
	return buf;
}

[[noreturn]] void outside(const Root &root, const std::string &path, const std::string &host)
{
	throw Error(CCR_ERR_UNSAFE_PATH,
		    "path " + path + " in rootfs " + root.name + " resolves to " + host + ", outside the rootfs");
}

[[noreturn]] void symlink_loop(const Root &root, const std::string &path)
{
	throw Error(CCR_ERR_UNSAFE_PATH,
		    "path " + path + " in rootfs " + root.name +
			    ": too many levels of symbolic links (a symlink loop?)",
		    ELOOP);
}

Root open_root(const std::string &rootfs)
{
	if (rootfs.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the rootfs path is empty");
	Root root;
	root.name = rootfs;
	root.fd.reset(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
	if (!root.fd)
		throw_errno("rootfs " + rootfs);
	// Symlinks in the rootfs's own path are the caller's business; what
	// counts is where it really is, since that is what /proc reports for
	// everything opened beneath it.
	root.real = fd_target(root.fd.get());
	if (root.real.empty() || root.real[0] != '/')
		throw Error(CCR_ERR_UNSAFE_PATH,
			    "rootfs " + rootfs + " is not reachable from our root (" + root.real + ")");
	return root;
}

// The container path of a descriptor opened beneath the root. The kernel
// guarantees RESOLVE_IN_ROOT stays inside; this checks it anyway, and also
// catches a file renamed out of the rootfs between open and readlink.
std::string container_path_of(const Root &root, int fd, const std::string &path)
{
	std::string host = fd_target(fd);
	if (host.empty() || host[0] != '/')
		outside(root, path, host);
	if (root.real == "/")
		return host;
	if (host == root.real)
		return "/";
	if (host.size() > root.real.size() && host.compare(0, root.real.size(), root.real) == 0 &&
	    host[root.real.size()] == '/')
		return host.substr(root.real.size());
	outside(root, path, host);
}

// The target of `name` in container directory `dir` if it is a symlink.
bool read_symlink_in(const Root &root, const std::string &dir, const std::string &name, std::string *target)
{
	int fd = open_in_root(root, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	UniqueFd dirfd(fd);
	std::string buf(PATH_MAX + 1, '\0');
	ssize_t n = ::readlinkat(dirfd.get(), name.c_str(), buf.data(), buf.size());
	if (n <= 0 || static_cast<size_t>(n) >= buf.size())
		return false;
	buf.resize(static_cast<size_t>(n));
	*target = std::move(buf);
	return true;
}

// Resolves one component at a time. Each step asks the kernel to open
// "<resolved so far>/<component>" within the root, so every symlink is
// followed by the kernel with the root pinned, and reads back where it
// landed. The path resolved so far therefore never contains a symlink, which
// is what makes a later ".." safe to apply lexically, and what lets us go on
// lexically once a component does not exist.
std::string resolve(const Root &root, const std::string &path)
{
	std::vector<std::string> todo = split_path(path);
	std::reverse(todo.begin(), todo.end()); // next component at the back
	std::string cur = "/";
	int links = 0;
	while (!todo.empty()) {
		std::string part = std::move(todo.back());
		todo.pop_back();
		if (part == "..") {
			cur = parent_of(cur);
			continue;
		}
		std::string next = join(cur, part);
		int fd = open_in_root(root, next, O_PATH | O_CLOEXEC);
		if (fd >= 0) {
			UniqueFd opened(fd);
			cur = container_path_of(root, fd, path);
			continue;
		}
		int err = -fd;
		if (err == ELOOP)
			symlink_loop(root, path);
		if (err == ENOTDIR) {
			// `cur` is a file; nothing below it can exist. What
			// to do with such a path is the caller's decision.
			cur = std::move(next);
			continue;
		}
		if (err != ENOENT)
			throw_errno("cannot resolve " + path + " in rootfs " + root.name, err);
		// The kernel reports a dangling symlink as ENOENT too. Follow it
		// ourselves, so the result names the file that creating the
		// path in the container would create (securejoin does the same).
		std::string target;
		if (read_symlink_in(root, cur, part, &target)) {
			if (++links > max_symlinks)
				symlink_loop(root, path);
			std::vector<std::string> parts = split_path(target);
			todo.insert(todo.end(), parts.rbegin(), parts.rend());
			if (target[0] == '/')
				cur = "/";
			continue;
		}
		cur = std::move(next);
	}
	return cur;
}

// mkdirat() that leaves an existing entry alone and gives a new directory
// exactly `mode`, whatever the umask.
void make_dir_at(int dirfd, const std::string &name, mode_t mode, const std::string &what)
{
	if (::mkdirat(dirfd, name.c_str(), mode) < 0) {
		if (errno == EEXIST)
			return;
		throw_errno("cannot create directory " + what);
	}
	UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!fd || ::fchmod(fd.get(), mode) < 0)
		throw_errno("cannot set the mode of new directory " + what);
}

} // namespace

std::string resolve_in_rootfs(const std::string &rootfs, const std::string &path)
{
	Root root = open_root(rootfs);
	return resolve(root, path);
}

void create_mountpoint(const std::string &rootfs, const std::string &container_path, bool directory)
{
	Root root = open_root(rootfs);
	std::string resolved = resolve(root, container_path);
	std::vector<std::string> parts = split_path(resolved);
	if (parts.empty())
		return; // the rootfs itself
	const std::string where = " in rootfs " + rootfs;

	// Descend with a directory descriptor per level. Each level is opened
	// afresh through RESOLVE_IN_ROOT rather than with a plain openat() on
	// the previous one: if someone swaps a directory for a symlink behind
	// our back, the kernel still keeps us inside the rootfs. The *at()
	// calls that create entries never follow a symlink in the last
	// component, so they cannot create anything elsewhere either.
	UniqueFd dir;
	int dirfd = root.fd.get();
	std::string cur = "/";
	for (size_t i = 0; i + 1 < parts.size(); i++) {
		std::string next = join(cur, parts[i]);
		make_dir_at(dirfd, parts[i], 0755, next + where);
		int fd = open_in_root(root, next, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			if (-fd == ELOOP)
				symlink_loop(root, container_path);
			throw_errno("cannot create mountpoint " + container_path + where + ": " + next, -fd);
		}
		dir.reset(fd);
		dirfd = fd;
		cur = std::move(next);
	}

	const std::string &last = parts.back();
	const std::string what = resolved + where;
	if (directory) {
		make_dir_at(dirfd, last, 0755, what);
		return;
	}
	UniqueFd file(::openat(dirfd, last.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
	if (!file) {
		if (errno == EEXIST)
			return;
		throw_errno("cannot create mountpoint file " + what);
	}
	if (::fchmod(file.get(), 0644) < 0)
		throw_errno("cannot set the mode of mountpoint file " + what);
}

} // namespace ccr
