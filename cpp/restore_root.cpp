// SPDX-License-Identifier: Apache-2.0
#include "restore_root.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "error.hpp"
#include "mountinfo.hpp"

namespace ccr {

RestoreRoot::RestoreRoot(const std::string &state_dir, const std::string &rootfs) : path_(state_dir + "/criu-root")
{
	if (::mkdir(path_.c_str(), 0755) == 0)
		created_ = true;
	else if (errno != EEXIST)
		throw_errno("cannot create the restore root " + path_);
	if (::mount(rootfs.c_str(), path_.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
		int err = errno;
		if (created_)
			::rmdir(path_.c_str());
		throw_errno("cannot bind the rootfs " + rootfs + " on " + path_, err);
	}
	mounted_ = true;
	// Nothing CRIU mounts below the restore root should reach the rootfs's
	// peers on the host.
	::mount(nullptr, path_.c_str(), nullptr, MS_PRIVATE | MS_REC, nullptr);
}

RestoreRoot::~RestoreRoot()
{
	if (mounted_)
		::umount2(path_.c_str(), MNT_DETACH);
	if (created_)
		::rmdir(path_.c_str());
}

void remove_leftover_cgroup_yards(const std::string &dir) noexcept
{
	try {
		char real[PATH_MAX];
		std::string base = ::realpath(dir.c_str(), real) ? real : dir;
		for (const auto &m : read_mountinfo()) {
			auto slash = m.mountpoint.find_last_of('/');
			if (slash == std::string::npos || m.mountpoint.substr(0, slash) != base ||
			    m.mountpoint.compare(slash + 1, 13, ".criu.cgyard.") != 0)
				continue;
			::umount2(m.mountpoint.c_str(), MNT_DETACH);
			::rmdir(m.mountpoint.c_str());
		}
	} catch (...) {
	}
}

} // namespace ccr
