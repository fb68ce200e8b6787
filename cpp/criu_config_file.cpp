#include "criu_config_file.hpp"

#include <sys/stat.h>

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
	if (!exists)
		exists = file_exists;
	if (opts.criu_config_file)
		return opts.criu_config_file->empty() ? std::nullopt : opts.criu_config_file;
	if (auto it = config.annotations.find(kCriuConfigAnnotation); it != config.annotations.end())
		return it->second.empty() ? std::nullopt : std::optional<std::string>(it->second);
	for (const char *path : {"/etc/criu/ccr.conf", "/etc/criu/runc.conf"})
		if (exists(path))
			return std::string(path);
	return std::nullopt;
}

} // namespace ccr
