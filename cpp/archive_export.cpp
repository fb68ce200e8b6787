// SPDX-License-Identifier: Apache-2.0
#include "archive_export.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "archive_destination.hpp"
#include "archive_metadata.hpp"
#include "archive_rootfs_diff.hpp"
#include "archive_tar_writer.hpp"
#include "criu_log.hpp"
#include "error.hpp"
#include "secure_dir.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

// An OCI config is a few kilobytes; one this large is not a config, and
// reading it whole into memory would be the problem.
constexpr off_t max_config_size = 16 << 20;

void check_canceled(const Options &opts)
{
	if (opts.cancellation && opts.cancellation->canceled())
		throw Error(CCR_ERR_CANCELED, "the archive export was canceled");
}

std::string read_all(int fd, off_t limit, const std::string &what)
{
	struct stat st {};
	if (::fstat(fd, &st) < 0)
		throw_errno("cannot stat " + what);
	if (!S_ISREG(st.st_mode))
		throw Error(CCR_ERR_CONFIG, what + " is not a regular file");
	if (st.st_size > limit)
		throw Error(CCR_ERR_CONFIG, what + " is larger than " + std::to_string(limit) + " bytes");
	std::string text;
	char buf[65536];
	for (;;) {
		ssize_t n = ::read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw_errno("cannot read " + what);
		}
		if (n == 0)
			break;
		text.append(buf, static_cast<size_t>(n));
		if (static_cast<off_t>(text.size()) > limit)
			throw Error(CCR_ERR_CONFIG, what + " is larger than " + std::to_string(limit) + " bytes");
	}
	return text;
}

// spec.dump is the config as the caller gave it: the file's bytes, or the
// JSON text it handed over. Either must be a JSON object: engines reading
// the archive parse it as an OCI spec.
std::string oci_config_text(const ContainerSpec &spec)
{
	if (spec.config_json) {
		if (!spec.config_json->is_object())
			throw Error(CCR_ERR_CONFIG, "the container's config JSON is not a JSON object");
		return spec.config_json->dump(2) + "\n";
	}
	std::string path = spec.config_path;
	if (path.empty()) {
		if (spec.bundle.empty())
			throw Error(CCR_ERR_INVALID_ARGUMENT,
				    "container " + spec.id + " has no bundle and no config: set one");
		path = spec.bundle + "/config.json";
	}
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
	if (!fd) {
		if (errno == ENOENT)
			throw Error(CCR_ERR_NOT_FOUND, "OCI config " + path + " does not exist", errno);
		throw_errno_as(CCR_ERR_CONFIG, "cannot read OCI config " + path);
	}
	std::string text = read_all(fd.get(), max_config_size, "OCI config " + path);
	auto doc = nlohmann::json::parse(text, nullptr, false);
	if (doc.is_discarded() || !doc.is_object())
		throw Error(CCR_ERR_CONFIG, "OCI config " + path + " is not a JSON object");
	return text;
}

// CRIU's log and statistics files: they belong to the work directory and go
// to the archive's top level, even when the work directory is the images
// directory.
bool is_work_file(const std::string &name, const Options &opts)
{
	if (name == kStatsDumpFile || name == "stats-restore")
		return true;
	if (name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0)
		return true;
	return name == log_file_name(opts, false) || name == log_file_name(opts, true);
}

// The images to archive, sorted. Refuses what a restore from the archive
// could not use: no inventory.img, a parent link, anything not a regular file.
std::vector<std::string> image_files(int images_fd, const std::string &images_path, const Options &opts)
{
	int dupfd = ::fcntl(images_fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		throw_errno("cannot duplicate the images directory descriptor");
	DIR *dir = ::fdopendir(dupfd);
	if (!dir) {
		int err = errno;
		::close(dupfd);
		throw_errno("cannot read images directory " + images_path, err);
	}
	std::vector<std::string> names;
	errno = 0;
	while (struct dirent *ent = ::readdir(dir)) {
		std::string n = ent->d_name;
		if (n != "." && n != ".." && !is_work_file(n, opts))
			names.push_back(std::move(n));
		errno = 0;
	}
	int err = errno;
	::closedir(dir);
	if (err)
		throw_errno("cannot read images directory " + images_path, err);
	std::sort(names.begin(), names.end());

	bool inventory = false;
	for (const auto &n : names) {
		struct stat st {};
		if (::fstatat(images_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
			throw_errno("cannot stat " + images_path + "/" + n);
		if (n == "parent" && (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)))
			throw Error(CCR_ERR_UNSUPPORTED,
				    "images directory " + images_path +
					    " depends on a parent pre-dump (its \"parent\" link): an archive holds "
					    "one self-contained checkpoint; dump without parent images to export it");
		if (!S_ISREG(st.st_mode))
			throw Error(CCR_ERR_IMAGE, "images directory " + images_path + ": \"" + n +
							   "\" is not a regular file; an archive holds only "
							   "regular files");
		inventory = inventory || n == "inventory.img";
	}
	if (!inventory)
		throw Error(CCR_ERR_IMAGE, "images directory " + images_path +
						   " has no inventory.img: it holds no CRIU checkpoint to export");
	return names;
}

// An unnamed file for rootfs-diff.tar, which must be complete before the
// outer archive can give its size. Made in the archive's directory (the
// caller chose that file system for the archive's bytes), gone on close.
UniqueFd anonymous_file(const std::string &dir)
{
	int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return UniqueFd(fd);
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		throw_errno("cannot create a temporary file in " + dir);
	// File systems without O_TMPFILE: a named file, unlinked at once.
	std::string tmpl = dir + "/.ccr-rootfs-diff.tmp-XXXXXX";
	fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
	if (fd < 0)
		throw_errno("cannot create a temporary file in " + dir);
	::unlink(tmpl.c_str());
	return UniqueFd(fd);
}

struct stat metadata_stat()
{
	struct stat st {};
	st.st_mode = S_IFREG | 0600;
	st.st_uid = ::geteuid();
	st.st_gid = ::getegid();
	struct timespec now {};
	::clock_gettime(CLOCK_REALTIME, &now);
	st.st_mtim = now;
	return st;
}

// Adds `name` from `dirfd` as `entry` when it exists; a regular file only.
void add_optional(TarWriter &tar, int dirfd, const std::string &dir_path, const std::string &name,
		  const std::string &entry)
{
	UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
	if (!fd) {
		if (errno == ENOENT)
			return;
		if (errno == ELOOP)
			throw Error(CCR_ERR_UNSAFE_PATH, dir_path + "/" + name + " is a symlink; refusing to follow it",
				    errno);
		throw_errno("cannot open " + dir_path + "/" + name);
	}
	struct stat st {};
	if (::fstat(fd.get(), &st) < 0)
		throw_errno("cannot stat " + dir_path + "/" + name);
	if (!S_ISREG(st.st_mode))
		throw Error(CCR_ERR_IMAGE, dir_path + "/" + name + " is not a regular file");
	st.st_mode = S_IFREG | 0600;
	tar.add_file(entry, fd.get(), st);
}

SystemTime mtime_of(const struct stat &st)
{
	using namespace std::chrono;
	return SystemTime(
		duration_cast<SystemTime::duration>(seconds(st.st_mtim.tv_sec) + nanoseconds(st.st_mtim.tv_nsec)));
}

SystemTime from_unix_ns(int64_t ns)
{
	using namespace std::chrono;
	return SystemTime(duration_cast<SystemTime::duration>(nanoseconds(ns)));
}

// What the archive says about the container: what the caller set, and
// otherwise what ccr can tell.
CheckpointMetadata metadata_for(const ContainerSpec &spec, const Options &opts, const std::string &spec_text,
				int images_fd)
{
	const ArchiveInfo &info = opts.archive;
	CheckpointMetadata meta;
	meta.id = spec.id;
	meta.name = info.container_name.empty() ? spec.id : info.container_name;
	meta.rootfs_image_name = info.image_name;
	meta.rootfs_image_ref = info.image_ref;
	meta.pid = spec.pid;
	if (info.checkpointed_ns) {
		meta.checkpointed = from_unix_ns(*info.checkpointed_ns);
	} else {
		// CRIU writes inventory.img as it finishes a dump: its mtime is
		// when the checkpoint was taken, not when it was exported.
		struct stat inv {};
		if (::fstatat(images_fd, "inventory.img", &inv, AT_SYMLINK_NOFOLLOW) < 0)
			throw_errno("cannot stat " + opts.images_dir + "/inventory.img");
		meta.checkpointed = mtime_of(inv);
	}
	// The init's start is known while it runs (leave_running); a start
	// after the checkpoint means the pid was reused since.
	if (auto start = process_start_time(spec.pid); start && *start <= *meta.checkpointed)
		meta.started = start;
	// Without the caller's word the init's start is the best answer to
	// when the container was created.
	meta.created = info.created_ns ? std::optional(from_unix_ns(*info.created_ns)) : meta.started;

	auto doc = nlohmann::json::parse(spec_text, nullptr, false);
	const auto user = doc.is_object()
				  ? doc.value(nlohmann::json::json_pointer("/process/user"), nlohmann::json::object())
				  : nlohmann::json::object();
	if (user.is_object()) {
		auto number = [&](const char *key) {
			auto it = user.find(key);
			return it != user.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t(0);
		};
		meta.uid = number("uid");
		meta.gid = number("gid");
		if (auto it = user.find("additionalGids"); it != user.end() && it->is_array())
			for (const auto &g : *it)
				if (g.is_number_integer())
					meta.supplemental_groups.push_back(g.get<int64_t>());
	}
	return meta;
}

} // namespace

void export_archive(const std::string &archive_path, const ContainerSpec &spec, const Options &opts,
		    const std::optional<std::string> &rootfs_diff_dir)
{
	if (archive_path.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the archive path is empty");
	if (archive_path.back() == '/')
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the archive path " + archive_path + " names a directory");
	if (opts.images_dir.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "no images directory was set");
	if (rootfs_diff_dir && rootfs_diff_dir->empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "the rootfs diff directory path is empty");
	check_canceled(opts);
	const std::string what = "checkpoint archive " + archive_path;

	try {
		const std::string spec_text = oci_config_text(spec);
		UniqueFd images = open_private_dir(opts.images_dir, false, "images directory");
		std::string work_path = opts.work_dir.empty() ? opts.images_dir : opts.work_dir;
		UniqueFd work = opts.work_dir.empty() ? UniqueFd(::fcntl(images.get(), F_DUPFD_CLOEXEC, 0))
						      : open_private_dir(opts.work_dir, false, "work directory");
		if (!work)
			throw_errno("cannot duplicate the images directory descriptor");
		refuse_destination_inside(archive_path, images.get(), opts.images_dir, "images directory");
		refuse_destination_inside(archive_path, work.get(), work_path, "work directory");
		if (rootfs_diff_dir) {
			UniqueFd diff(::open(rootfs_diff_dir->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
			if (diff)
				refuse_destination_inside(archive_path, diff.get(), *rootfs_diff_dir,
							  "rootfs diff directory");
		}
		const std::vector<std::string> names = image_files(images.get(), opts.images_dir, opts);

		const CheckpointMetadata meta = metadata_for(spec, opts, spec_text, images.get());
		const std::string spec_dump = annotated_spec(spec_text, meta, opts.archive.engine);

		PendingFile out(archive_path);
		TarWriter tar(out.fd(), what);

		struct stat dir_st {};
		if (::fstat(images.get(), &dir_st) < 0)
			throw_errno("cannot stat images directory " + opts.images_dir);
		dir_st.st_mode = S_IFDIR | 0700;
		tar.add_directory(kCheckpointDir, dir_st);
		for (const std::string &name : names) {
			check_canceled(opts);
			UniqueFd fd(
				::openat(images.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
			if (!fd)
				throw_errno("cannot open " + opts.images_dir + "/" + name);
			struct stat st {};
			if (::fstat(fd.get(), &st) < 0)
				throw_errno("cannot stat " + opts.images_dir + "/" + name);
			if (!S_ISREG(st.st_mode))
				throw Error(CCR_ERR_IMAGE,
					    opts.images_dir + "/" + name + " changed type while it was being archived");
			// Images hold the container's memory: private, whatever
			// mode CRIU gave them.
			st.st_mode = S_IFREG | 0600;
			tar.add_file(std::string(kCheckpointDir) + "/" + name, fd.get(), st);
		}

		const struct stat meta_st = metadata_stat();
		tar.add_bytes(kConfigDumpFile, config_dump_json(meta), meta_st);
		tar.add_bytes(kSpecDumpFile, spec_dump, meta_st);
		if (opts.archive.engine == "containerd") {
			tar.add_bytes(kStatusDumpFile, status_dump_json(meta), meta_st);
			tar.add_bytes(kContainerdStatusFile, containerd_status_json(meta), meta_st);
		}
		add_optional(tar, work.get(), work_path, kStatsDumpFile, kStatsDumpFile);
		add_optional(tar, work.get(), work_path, log_file_name(opts, false), kDumpLogFile);

		if (rootfs_diff_dir) {
			check_canceled(opts);
			UniqueFd diff = anonymous_file(parent_of(archive_path));
			std::vector<std::string> deleted = write_rootfs_diff(diff.get(), *rootfs_diff_dir);
			if (::lseek(diff.get(), 0, SEEK_SET) < 0)
				throw_errno("cannot rewind the temporary rootfs diff");
			struct stat st {};
			if (::fstat(diff.get(), &st) < 0)
				throw_errno("cannot stat the temporary rootfs diff");
			st.st_mode = S_IFREG | 0600;
			st.st_uid = meta_st.st_uid;
			st.st_gid = meta_st.st_gid;
			tar.add_file(kRootfsDiffTar, diff.get(), st);
			tar.add_bytes(kDeletedFilesFile, deleted_files_json(deleted), meta_st);
		}
		tar.finish();
		check_canceled(opts);
		out.commit();
	} catch (Error &e) {
		// Messages that name the archive already say where they came from.
		if (e.message().find(archive_path) == std::string::npos)
			e.prefixed("export to " + archive_path);
		throw;
	}
}

} // namespace ccr
