// SPDX-License-Identifier: Apache-2.0
// Opening a file someone else named (the caller's config, an archive, a
// file in an images directory) without hanging on it. open() of a fifo
// blocks until a writer appears, and read() of a silent pipe or a terminal
// blocks for ever; a time limit cannot help a thread stuck in either. So the
// file is opened O_NONBLOCK first, checked with fstat() to be a regular file,
// and only then read (in blocking mode again).
#pragma once

#include <cstddef>
#include <string>

#include "ccr.h"
#include "unique_fd.hpp"

namespace ccr {

// Opens `path` (relative to `dirfd`, or AT_FDCWD) read-only and returns it
// in blocking mode once it is known to be a regular file. `follow` false
// adds O_NOFOLLOW. `what` names the file in messages ("OCI config
// /b/config.json"). Throws `missing` when it does not exist, `code` when
// it is not a regular file (saying what it is) or cannot be opened.
UniqueFd open_regular_file(int dirfd, const std::string &path, bool follow, ccr_error_code code,
			   const std::string &what, ccr_error_code missing = CCR_ERR_NOT_FOUND);

// Reads all of `fd` (at most `max_bytes`; more is CCR_ERR_INVALID_ARGUMENT
// naming `what`).
std::string read_whole_file(int fd, size_t max_bytes, const std::string &what);

// What kind of file a mode is, for messages: "a fifo", "a directory", ...
std::string file_kind(unsigned mode);

} // namespace ccr
