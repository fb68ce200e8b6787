// SPDX-License-Identifier: Apache-2.0
#include "external_mounts.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "rootfs_path.hpp"

namespace ccr {
namespace {

std::string basename_of(const std::string &path)
{
	auto slash = path.find_last_of('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The mountpoint as CRIU sees it inside the container: symlinks in the
// destination are followed, but never out of the rootfs.
std::string container_path(const std::string &rootfs, const std::string &dest)
{
	return resolve_in_rootfs(rootfs, dest);
}

const OciMount *cgroup_mount(const OciConfig &config)
{
	for (const auto &m : config.mounts)
		if (m.type == "cgroup")
			return &m;
	return nullptr;
}

} // namespace

const std::vector<std::string> &default_device_paths()
{
	static const std::vector<std::string> paths = {"/dev/null",   "/dev/zero",    "/dev/full",
						       "/dev/random", "/dev/urandom", "/dev/tty"};
	return paths;
}

bool cgroup_mounts_are_binds(const OciConfig &config, const std::vector<CgroupHierarchy> &hierarchies)
{
	bool has_v1 = std::any_of(hierarchies.begin(), hierarchies.end(), [](auto &h) { return !h.v2; });
	return has_v1 && config.find_namespace("cgroup") == nullptr;
}

std::vector<ExtMount> dump_external_mounts(const OciConfig &config, const std::string &rootfs,
					   const std::vector<CgroupHierarchy> &hierarchies,
					   const std::function<bool(const std::string &)> &masked_file)
{
	std::vector<ExtMount> out;
	auto add_same = [&](const std::string &dest) {
		std::string key = container_path(rootfs, dest);
		out.push_back({key, key});
	};
	for (const auto &m : config.mounts)
		if (m.is_bind())
			add_same(m.destination);
	if (const OciMount *cg = cgroup_mount(config); cg && cgroup_mounts_are_binds(config, hierarchies))
		for (const auto &h : hierarchies)
			if (!h.v2)
				add_same(cg->destination + "/" + basename_of(h.mountpoint));
	// A masked file is /dev/null bound over it: record it under that name.
	for (const auto &p : config.masked_paths)
		if (masked_file(p))
			out.push_back({p, "/dev/null"});
	for (const auto &d : config.device_paths)
		add_same(d);
	for (const auto &d : default_device_paths())
		if (std::find(config.device_paths.begin(), config.device_paths.end(), d) == config.device_paths.end())
			add_same(d);
	return out;
}

std::vector<ExtMount> restore_external_mounts(const OciConfig &config, const std::string &rootfs,
					      const std::vector<CgroupHierarchy> &hierarchies,
					      const std::function<std::string(const CgroupHierarchy &)> &cgroup_dir)
{
	std::vector<ExtMount> out;
	for (const auto &m : config.mounts)
		if (m.is_bind())
			out.push_back({container_path(rootfs, m.destination), m.source});
	if (const OciMount *cg = cgroup_mount(config); cg && cgroup_mounts_are_binds(config, hierarchies))
		for (const auto &h : hierarchies)
			if (!h.v2)
				out.push_back(
					{container_path(rootfs, cg->destination + "/" + basename_of(h.mountpoint)),
					 cgroup_dir(h)});
	if (!config.masked_paths.empty())
		out.push_back({"/dev/null", "/dev/null"});
	for (const auto &d : config.device_paths)
		out.push_back({container_path(rootfs, d), d});
	for (const auto &d : default_device_paths())
		if (std::find(config.device_paths.begin(), config.device_paths.end(), d) == config.device_paths.end())
			out.push_back({container_path(rootfs, d), d});
	return out;
}

void create_missing_mountpoints(const OciConfig &config, const std::string &rootfs)
{
	for (const auto &m : config.mounts) {
		if (!m.is_bind())
			continue;
		struct stat st;
		bool directory = ::stat(m.source.c_str(), &st) != 0 || S_ISDIR(st.st_mode);
		create_mountpoint(rootfs, m.destination, directory);
	}
}

} // namespace ccr
