// SPDX-License-Identifier: Apache-2.0
#include "archive_destination.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "error.hpp"

namespace ccr {
namespace {

std::string base_of(const std::string &path)
{
	size_t slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

std::string parent_of(const std::string &path)
{
	size_t slash = path.rfind('/');
	if (slash == std::string::npos)
		return ".";
	if (slash == 0)
		return "/";
	return path.substr(0, slash);
}

PendingFile::PendingFile(const std::string &target) : target_(target)
{
	path_ = parent_of(target) + "/." + base_of(target) + ".tmp-XXXXXX";
	int fd = ::mkostemp(path_.data(), O_CLOEXEC);
	if (fd < 0)
		throw_errno("cannot create a temporary file for checkpoint archive " + target);
	fd_.reset(fd);
	// mkostemp() makes it 0600; say so in case a future libc differs.
	if (::fchmod(fd, 0600) < 0) {
		int err = errno;
		::unlink(path_.c_str());
		throw_errno("cannot set the mode of " + path_, err);
	}
}

PendingFile::~PendingFile()
{
	if (!committed_)
		::unlink(path_.c_str());
}

void PendingFile::commit()
{
	if (::fsync(fd_.get()) < 0)
		throw_errno("cannot flush checkpoint archive " + path_);
	if (::rename(path_.c_str(), target_.c_str()) < 0)
		throw_errno("cannot rename " + path_ + " to " + target_);
	committed_ = true;
	// The rename is durable only once the directory is flushed too;
	// failing that leaves a complete archive, so it is not an error.
	UniqueFd dir(::open(parent_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (dir)
		::fsync(dir.get());
}

void refuse_destination_inside(const std::string &archive_path, int dirfd, const std::string &dir_path,
			       const std::string &what)
{
	struct stat dir_st {};
	if (::fstat(dirfd, &dir_st) < 0)
		throw_errno("cannot stat " + what + " " + dir_path);
	UniqueFd cur(::open(parent_of(archive_path).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
	if (!cur)
		return; // a missing directory: writing the archive fails with its own message
	for (int level = 0; level < 4096; level++) {
		struct stat st {};
		if (::fstat(cur.get(), &st) < 0)
			throw_errno("cannot stat a directory above " + archive_path);
		if (st.st_dev == dir_st.st_dev && st.st_ino == dir_st.st_ino)
			throw Error(CCR_ERR_INVALID_ARGUMENT,
				    "the archive " + archive_path + " would be written inside the " + what + " " +
					    dir_path + ": it could replace what it archives; write it elsewhere");
		UniqueFd up(::openat(cur.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
		if (!up)
			throw_errno("cannot open a directory above " + archive_path);
		struct stat up_st {};
		if (::fstat(up.get(), &up_st) < 0)
			throw_errno("cannot stat a directory above " + archive_path);
		if (up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino)
			return; // the root
		cur = std::move(up);
	}
}

} // namespace ccr
