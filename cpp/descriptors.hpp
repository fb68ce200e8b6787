// SPDX-License-Identifier: Apache-2.0
// runc's descriptors.json: what the container init's stdin, stdout and stderr
// were at checkpoint time, as readlink() of /proc/<pid>/fd/{0,1,2} spells them
// ("pipe:[12345]", "/dev/null", "/dev/pts/0"). Restore reads it back to tell
// CRIU which of those external pipes the caller's descriptors replace.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ccr {

// The file name inside the images directory.
inline constexpr const char *descriptors_file = "descriptors.json";

// The readlink() targets of fds 0, 1 and 2 of process `pid` (three strings);
// a descriptor the process does not have reads as "". Throws
// CCR_ERR_NOT_FOUND naming the pid when the process does not exist.
std::vector<std::string> read_process_stdio(int pid);

// Writes `fds` as a JSON array of strings to descriptors.json in
// `images_dirfd`, mode 0600, replacing what was there. Never follows a
// symlink. Throws CCR_ERR_SYSTEM (or CCR_ERR_UNSAFE_PATH for a symlink).
void write_descriptors(int images_dirfd, const std::vector<std::string> &fds);

// Reads descriptors.json from `images_dirfd`. A missing file gives an empty
// vector (images not made by runc or ccr). Throws CCR_ERR_IMAGE naming the
// file when it is not a JSON array of strings or is larger than 1 MiB, and
// CCR_ERR_UNSAFE_PATH when it is a symlink.
std::vector<std::string> read_descriptors(int images_dirfd);

// The checks read_descriptors() applies, on text already in memory.
std::vector<std::string> parse_descriptors(std::string_view text);

} // namespace ccr
