// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/mountinfo, parsed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ccr {

struct MountInfo {
	int id = 0;
	int parent = 0;
	std::string root;
	std::string mountpoint;
	std::string fstype;
	std::string source;
	std::string super_options;
};

// Octal escapes (\040 for a space) are decoded. Malformed lines are skipped.
std::vector<MountInfo> parse_mountinfo(std::string_view text);
std::vector<MountInfo> read_mountinfo(const std::string &pid_or_self = "self");

// Reads a whole small file (proc, sysfs); throws via throw_errno on failure.
std::string read_small_file(const std::string &path);

} // namespace ccr
