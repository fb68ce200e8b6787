// SPDX-License-Identifier: Apache-2.0
// Writing a tar stream with libarchive, for checkpoint archives and the
// rootfs-diff.tar inside them. The format is pax restricted to plain ustar
// unless a long name or a large size needs an extended header: what CRI-O,
// Podman and Go's archive/tar (checkpointctl) write and read.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

#include <archive.h>

namespace ccr {

class TarWriter {
public:
	// Writes to `fd`, which stays the caller's. `what` names the archive in
	// messages ("checkpoint archive /x.tar").
	TarWriter(int fd, std::string what);
	~TarWriter();
	TarWriter(const TarWriter &) = delete;
	TarWriter &operator=(const TarWriter &) = delete;

	// Each add_* writes one entry named `name` (relative, '/'-separated) with
	// the mode, owner and mtime of `st`. Throws CCR_ERR_SYSTEM on a write
	// failure.
	void add_directory(const std::string &name, const struct stat &st);
	// Copies exactly st.st_size bytes from `fd` (read from its current
	// offset). A file that shrank or grew meanwhile is an error
	// (CCR_ERR_IMAGE): its entry would not match what was read.
	void add_file(const std::string &name, int fd, const struct stat &st);
	// A regular file holding `data`; the size comes from `data`.
	void add_bytes(const std::string &name, std::string_view data, const struct stat &st);
	void add_symlink(const std::string &name, const std::string &target, const struct stat &st);
	// A character or block device or a fifo (st.st_rdev for devices).
	void add_special(const std::string &name, const struct stat &st);

	// Writes the end-of-archive blocks. Throws on failure; the destructor
	// alone discards a stream never finished.
	void finish();

private:
	void write_header(const std::string &name, const struct stat &st, const char *symlink);
	void write_data(const char *data, size_t size, const std::string &name);
	[[noreturn]] void fail(const std::string &doing);
	// libarchive's output callback: writes to fd_, or nowhere once discarding.
	static la_ssize_t write_callback(struct archive *a, void *self, const void *buf, size_t size);

	struct archive *a_ = nullptr;
	std::string what_;
	int fd_;
	bool finished_ = false;
	bool discard_ = false; // set when giving up: nothing more reaches fd_
};

} // namespace ccr
