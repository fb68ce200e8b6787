// SPDX-License-Identifier: Apache-2.0
// The directory CRIU restores the container's root into: a recursive bind of
// the rootfs under the state directory (as runc's criu-root), unmounted and
// removed when the restore is over, whatever happened.
#pragma once

#include <string>

namespace ccr {

class RestoreRoot {
public:
	RestoreRoot(const std::string &state_dir, const std::string &rootfs);
	RestoreRoot(const RestoreRoot &) = delete;
	RestoreRoot &operator=(const RestoreRoot &) = delete;
	~RestoreRoot();
	const std::string &path() const { return path_; }

private:
	std::string path_;
	bool mounted_ = false;
	bool created_ = false;
};

// Unmounts and removes cgroup yards (".criu.cgyard.*") that a killed CRIU
// left mounted under `dir` on the host.
void remove_leftover_cgroup_yards(const std::string &dir) noexcept;

} // namespace ccr
