// SPDX-License-Identifier: Apache-2.0
#include "regular_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.hpp"

namespace ccr {

std::string file_kind(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symlink";
	case S_IFIFO:
		return "a fifo";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	default:
		return "of an unknown type";
	}
}

UniqueFd open_regular_file(int dirfd, const std::string &path, bool follow, ccr_error_code code,
			   const std::string &what, ccr_error_code missing)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
	UniqueFd fd(::openat(dirfd, path.c_str(), flags));
	if (!fd) {
		int err = errno;
		if (err == ENOENT)
			throw Error(missing, what + " does not exist", err);
		if (err == ELOOP && !follow)
			throw Error(code, what + " is a symlink; ccr does not follow one there", err);
		throw_errno_as(code, "cannot open " + what, err);
	}
	struct stat st {};
	if (::fstat(fd.get(), &st) != 0)
		throw_errno_as(code, "cannot stat " + what);
	if (!S_ISREG(st.st_mode))
		throw Error(code, what + " is " + file_kind(st.st_mode) + ", not a regular file");
	int fl = ::fcntl(fd.get(), F_GETFL);
	if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) < 0)
		throw_errno("cannot make " + what + " blocking again");
	return fd;
}

std::string read_whole_file(int fd, size_t max_bytes, const std::string &what)
{
	std::string text;
	char buf[65536];
	for (;;) {
		ssize_t n = ::read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_errno("cannot read " + what);
		if (n == 0)
			return text;
		if (text.size() + size_t(n) > max_bytes)
			throw Error(CCR_ERR_INVALID_ARGUMENT,
				    what + " is larger than " + std::to_string(max_bytes) + " bytes");
		text.append(buf, size_t(n));
	}
}

} // namespace ccr
