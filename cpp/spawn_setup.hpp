// SPDX-License-Identifier: Apache-2.0
// What every program the library starts (CRIU, iptables-restore, nft) gets:
// its own descriptors and nothing else of the caller's, every signal at its
// default and none blocked, whatever the calling thread had set.
#pragma once

#include <signal.h>
#include <spawn.h>

namespace ccr {

class SpawnSetup {
public:
	SpawnSetup()
	{
		posix_spawn_file_actions_init(&actions_);
		posix_spawnattr_init(&attr_);
		sigset_t none, all;
		sigemptyset(&none);
		sigfillset(&all);
		posix_spawnattr_setsigmask(&attr_, &none);
		posix_spawnattr_setsigdefault(&attr_, &all);
		posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	}
	~SpawnSetup()
	{
		posix_spawn_file_actions_destroy(&actions_);
		posix_spawnattr_destroy(&attr_);
	}
	SpawnSetup(const SpawnSetup &) = delete;
	SpawnSetup &operator=(const SpawnSetup &) = delete;

	// `from` becomes descriptor `to` in the child.
	void place(int from, int to) { posix_spawn_file_actions_adddup2(&actions_, from, to); }
	// Closes every descriptor from `first` up in the child, close-on-exec
	// or not.
	void close_from(int first) { posix_spawn_file_actions_addclosefrom_np(&actions_, first); }

	const posix_spawn_file_actions_t *actions() const { return &actions_; }
	// The child leads a new process group (its pid), so that one kill
	// reaches whatever it forks.
	void own_process_group()
	{
		posix_spawnattr_setpgroup(&attr_, 0);
		posix_spawnattr_setflags(&attr_,
					 POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	}

	const posix_spawnattr_t *attr() const { return &attr_; }

private:
	posix_spawn_file_actions_t actions_;
	posix_spawnattr_t attr_;
};

} // namespace ccr
