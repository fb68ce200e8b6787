// SPDX-License-Identifier: Apache-2.0
#include "criu_config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "regular_file.hpp"

namespace ccr {
namespace {

bool file_exists(const std::string &path)
{
	struct stat st;
	return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

} // namespace

std::optional<std::string> choose_criu_config_file(const Options &opts, const OciConfig &config,
						   bool (*exists)(const std::string &))
{
	// CRIU opens the file it is given: a fifo there would hang CRIU in
	// open() before it answers. Checked here, without blocking, unless a
	// test stands in for the file system.
	const bool check = !exists;
	if (!exists)
		exists = file_exists;
	auto checked = [&](const std::string &path) -> std::optional<std::string> {
		if (path.empty())
			return std::nullopt;
		if (check)
			open_regular_file(AT_FDCWD, path, true, CCR_ERR_INVALID_ARGUMENT, "CRIU config file " + path);
		return path;
	};
	if (opts.criu_config_file)
		return checked(*opts.criu_config_file);
	if (auto it = config.annotations.find(kCriuConfigAnnotation); it != config.annotations.end())
		return checked(it->second);
	for (const char *path : {"/etc/criu/ccr.conf", "/etc/criu/runc.conf"})
		if (exists(path))
			return std::string(path);
	return std::nullopt;
}

} // namespace ccr
