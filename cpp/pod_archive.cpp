// SPDX-License-Identifier: Apache-2.0
#include "pod_archive.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "archive_destination.hpp"
#include "archive_metadata.hpp"
#include "archive_tar_writer.hpp"
#include "error.hpp"
#include "pod_common.hpp"
#include "secure_dir.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

constexpr const char *kPodMetadata = "pod.json";

void check_canceled(const Options &opts)
{
	if (opts.cancellation && opts.cancellation->canceled())
		throw Error(CCR_ERR_CANCELED, "the pod archive export was canceled");
}

// The names in directory `fd`, sorted, without "." and "..".
std::vector<std::string> names_in(int fd, const std::string &path)
{
	int dupfd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		throw_errno("cannot duplicate the descriptor of " + path);
	DIR *dir = ::fdopendir(dupfd);
	if (!dir) {
		int err = errno;
		::close(dupfd);
		throw_errno("cannot read " + path, err);
	}
	std::vector<std::string> names;
	errno = 0;
	while (struct dirent *ent = ::readdir(dir)) {
		std::string n = ent->d_name;
		if (n != "." && n != "..")
			names.push_back(std::move(n));
		errno = 0;
	}
	int err = errno;
	::closedir(dir);
	if (err)
		throw_errno("cannot read " + path, err);
	std::sort(names.begin(), names.end());
	return names;
}

UniqueFd open_subdir(int parent, const std::string &name, const std::string &path)
{
	UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!fd)
		throw_errno_as(errno == ENOENT ? CCR_ERR_IMAGE : CCR_ERR_SYSTEM, "cannot open " + path);
	return fd;
}

void add_regular(TarWriter &tar, int dirfd, const std::string &name, const std::string &dir_path,
		 const std::string &entry)
{
	const char *only_regular = " is not a regular file; a pod archive holds only regular files and directories";
	UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
	if (!fd && errno == ELOOP) // O_NOFOLLOW met a symlink
		throw Error(CCR_ERR_IMAGE, dir_path + "/" + name + only_regular);
	if (!fd)
		throw_errno("cannot open " + dir_path + "/" + name);
	struct stat st {};
	if (::fstat(fd.get(), &st) < 0)
		throw_errno("cannot stat " + dir_path + "/" + name);
	if (!S_ISREG(st.st_mode))
		throw Error(CCR_ERR_IMAGE, dir_path + "/" + name +
						   " is not a regular file; a pod archive holds only "
						   "regular files and directories");
	st.st_mode = S_IFREG | 0600;
	tar.add_file(entry, fd.get(), st);
}

// One container's directory: its regular files, and checkpoint/ with its.
void add_member(TarWriter &tar, int pod_fd, const std::string &pod_dir, const std::string &id, const Options &opts)
{
	const std::string path = pod_dir + "/" + id;
	UniqueFd dir = open_subdir(pod_fd, id, path);
	struct stat dir_st {};
	if (::fstat(dir.get(), &dir_st) < 0)
		throw_errno("cannot stat " + path);
	dir_st.st_mode = S_IFDIR | 0700;
	tar.add_directory(id, dir_st);
	bool images = false;
	for (const std::string &name : names_in(dir.get(), path)) {
		check_canceled(opts);
		struct stat st {};
		if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
			throw_errno("cannot stat " + path + "/" + name);
		if (name == kCheckpointDir && S_ISDIR(st.st_mode)) {
			const std::string cpath = path + "/" + name;
			UniqueFd cdir = open_subdir(dir.get(), name, cpath);
			st.st_mode = S_IFDIR | 0700;
			tar.add_directory(id + "/" + name, st);
			for (const std::string &file : names_in(cdir.get(), cpath)) {
				check_canceled(opts);
				images = images || file == "inventory.img";
				add_regular(tar, cdir.get(), file, cpath, id + "/" + name + "/" + file);
			}
			continue;
		}
		add_regular(tar, dir.get(), name, path, id + "/" + name);
	}
	if (!images)
		throw Error(CCR_ERR_IMAGE,
			    path + " has no " + kCheckpointDir + "/inventory.img: not a container checkpoint");
}

} // namespace

void export_pod_archive(const std::string &archive_path, const std::string &pod_dir, const Options &opts)
{
	if (archive_path.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the archive path is empty");
	if (pod_dir.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the pod directory path is empty");
	check_canceled(opts);
	try {
		UniqueFd pod = open_private_dir(pod_dir, false, "pod checkpoint directory");
		refuse_destination_inside(archive_path, pod.get(), pod_dir, "pod checkpoint directory");
		const PodMetadata meta = read_pod_metadata(pod.get(), pod_dir);

		PendingFile out(archive_path);
		TarWriter tar(out.fd(), "pod archive " + archive_path);
		add_regular(tar, pod.get(), kPodMetadata, pod_dir, kPodMetadata);
		for (const auto &m : meta.members)
			add_member(tar, pod.get(), pod_dir, m.id, opts);
		tar.finish();
		check_canceled(opts);
		out.commit();
	} catch (Error &e) {
		if (e.message().find(archive_path) == std::string::npos)
			e.prefixed("export to " + archive_path);
		throw;
	}
}

void import_pod_archive(const std::string &archive_path, const std::string &dest_dir, const ImportLimits &limits,
			const ImportControl &control)
{
	import_archive(archive_path, dest_dir, limits, control, [&](int dest_fd) {
		struct stat meta_st {};
		if (::fstatat(dest_fd, kPodMetadata, &meta_st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(meta_st.st_mode))
			throw Error(CCR_ERR_IMAGE, "archive " + archive_path + " holds no " + kPodMetadata +
							   ": it is not a pod checkpoint archive");
		const PodMetadata meta = read_pod_metadata(dest_fd, dest_dir);
		if (meta.members.empty())
			throw Error(CCR_ERR_IMAGE, "pod archive " + archive_path + " lists no container");
		for (const auto &m : meta.members) {
			// pod.json's ids are checked by read_pod_metadata() (no '/',
			// no leading '.'), and the tree holds no symlink.
			const std::string inventory = m.id + "/" + kCheckpointDir + "/inventory.img";
			struct stat st {};
			if (::fstatat(dest_fd, inventory.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
				throw Error(CCR_ERR_IMAGE, "pod archive " + archive_path + " holds no " + inventory +
								   " for container " + m.id + " of its pod.json");
		}
	});
}

} // namespace ccr
