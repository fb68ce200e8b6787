// SPDX-License-Identifier: Apache-2.0
#include "cgroup2_options.hpp"

#include <fcntl.h>
#include <sys/mount.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "unique_fd.hpp"

namespace ccr {
namespace {

std::string joined(const std::vector<std::string> &v)
{
	std::string out;
	for (const auto &s : v)
		out += (out.empty() ? "" : ",") + s;
	return out.empty() ? "none" : out;
}

// Reconfigures the cgroup2 superblock mounted at `mountpoint` with exactly
// `options`; returns errno or 0. fspick/fsconfig change the superblock only,
// never the mount's own flags (nosuid, nodev, ...) as a remount would.
int reconfigure(const std::string &mountpoint, const std::vector<std::string> &options)
{
	UniqueFd fs(::fspick(AT_FDCWD, mountpoint.c_str(), FSPICK_CLOEXEC | FSPICK_NO_AUTOMOUNT));
	if (!fs)
		return errno;
	for (const auto &opt : options) {
		auto eq = opt.find('=');
		int rc = eq == std::string::npos ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, opt.c_str(), nullptr, 0)
						 : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, opt.substr(0, eq).c_str(),
							      opt.c_str() + eq + 1, 0);
		if (rc != 0)
			return errno;
	}
	if (::fsconfig(fs.get(), FSCONFIG_CMD_RECONFIGURE, nullptr, nullptr, 0) != 0)
		return errno;
	return 0;
}

} // namespace

std::vector<std::string> cgroup2_superblock_options(const std::vector<MountInfo> &mounts, std::string *mountpoint)
{
	for (const auto &m : mounts) {
		if (m.fstype != "cgroup2")
			continue;
		if (mountpoint)
			*mountpoint = m.mountpoint;
		std::vector<std::string> out;
		std::istringstream in(m.super_options);
		for (std::string opt; std::getline(in, opt, ',');)
			if (!opt.empty() && opt != "rw" && opt != "ro")
				out.push_back(opt);
		return out;
	}
	if (mountpoint)
		mountpoint->clear();
	return {};
}

Cgroup2OptionsGuard::Cgroup2OptionsGuard() noexcept
{
	try {
		options_ = cgroup2_superblock_options(read_mountinfo(), &mountpoint_);
		recorded_ = !mountpoint_.empty();
	} catch (...) {
		recorded_ = false;
	}
}

std::string Cgroup2OptionsGuard::restore() noexcept
{
	if (!recorded_)
		return {};
	try {
		std::string now_at;
		auto now = cgroup2_superblock_options(read_mountinfo(), &now_at);
		recorded_ = false; // checked: the destructor has nothing left to do
		if (now_at.empty() || now == options_)
			return {};
		// A cgroup2 mount by CRIU only ever clears options. Anything new
		// was set by someone else meanwhile: theirs to keep.
		for (const auto &opt : now)
			if (std::find(options_.begin(), options_.end(), opt) == options_.end())
				return {};
		std::string what = "the host's cgroup2 mount options changed from " + joined(options_) + " to " +
				   joined(now) + " during the CRIU run";
		if (int err = reconfigure(now_at, options_))
			return what + "; putting them back failed: " + std::string(strerror(err));
		return what + "; ccr put them back";
	} catch (...) {
		return "cannot check the host's cgroup2 mount options after the CRIU run";
	}
}

} // namespace ccr
