// SPDX-License-Identifier: Apache-2.0
// Where an archive export writes: a temporary file beside the archive's
// final name, published by a rename once complete, and never inside a
// directory being archived. Shared by the container and the pod export.
#pragma once

#include <string>

#include "unique_fd.hpp"

namespace ccr {

// The directory part of `path` ("." when it has none).
std::string parent_of(const std::string &path);

// The temporary file an archive is written to, beside its final name, so
// the rename that publishes it stays on one file system. Created 0600;
// removed unless committed.
class PendingFile {
public:
	explicit PendingFile(const std::string &target);
	PendingFile(const PendingFile &) = delete;
	PendingFile &operator=(const PendingFile &) = delete;
	~PendingFile();

	int fd() const { return fd_.get(); }

	// Flushes the file and renames it over the target.
	void commit();

private:
	std::string target_;
	std::string path_;
	UniqueFd fd_;
	bool committed_ = false;
};

// Throws CCR_ERR_INVALID_ARGUMENT when `archive_path` would be written inside
// the directory open at `dirfd` (named `what` `dir_path` in the message): an
// archive there could replace a file being archived, and the next export
// would sweep it in. Compared by device and inode from the archive's
// directory up to /, so another path to the same directory (a symlink, a
// bind mount) is caught.
void refuse_destination_inside(const std::string &archive_path, int dirfd, const std::string &dir_path,
			       const std::string &what);

} // namespace ccr
