// SPDX-License-Identifier: Apache-2.0
// The mount options of the host's cgroup2 superblock (nsdelegate,
// memory_recursiveprot, ...), kept as they were across a CRIU run.
//
// There is one cgroup2 superblock per host, and every fresh cgroup2 mount
// re-applies its own options to it. CRIU mounts cgroup2 with none when it
// has no yard (CRIU issue 3029), or when a caller's yard lacks it; a CRIU
// of another version may do so elsewhere. ccr's own yard (cgroup_yard.hpp)
// avoids it; this guard is the check behind it: it records the options
// before CRIU starts and, if they differ afterwards, reconfigures the
// superblock with the recorded ones.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mountinfo.hpp"

namespace ccr {

// The superblock options of the first cgroup2 mount in `mounts` other than
// rw/ro, in mountinfo's order; `mountpoint` gets where it is mounted ("" and
// no options when cgroup2 is not mounted).
std::vector<std::string> cgroup2_superblock_options(const std::vector<MountInfo> &mounts, std::string *mountpoint);

class Cgroup2OptionsGuard {
public:
	// Records the options now. Never throws.
	Cgroup2OptionsGuard() noexcept;
	Cgroup2OptionsGuard(const Cgroup2OptionsGuard &) = delete;
	Cgroup2OptionsGuard &operator=(const Cgroup2OptionsGuard &) = delete;
	~Cgroup2OptionsGuard() { restore(); }

	// Puts the recorded options back if some were cleared (a fresh cgroup2
	// mount only clears them; an option added meanwhile is someone else's
	// doing and is left alone). Returns what it did ("" when nothing had
	// changed), or why it could not. Never throws.
	std::string restore() noexcept;

private:
	bool recorded_ = false;
	std::string mountpoint_;
	std::vector<std::string> options_;
};

} // namespace ccr
