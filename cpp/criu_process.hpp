// SPDX-License-Identifier: Apache-2.0
// Starting `criu swrk` as a child, with the descriptors it needs in the
// places the request names, and making sure it is reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace ccr {

// Where the swrk socket lands in CRIU's descriptor table; extra descriptors
// follow it from kCriuFirstExtraFd on.
inline constexpr int kCriuSocketFd = 3;
inline constexpr int kCriuFirstExtraFd = 4;

struct CriuLaunch {
	std::string criu_path;       // a path, or a name looked up in PATH
	int socket_fd = -1;          // becomes fd 3
	int stdio[3] = {-1, -1, -1}; // -1: /dev/null
	std::vector<int> extra_fds;  // become fds 4, 5, ...
	// CRIU leads a process group of its own, and killing it kills the group:
	// the helpers it forks (to run `ip`, or to move into cgroups) outlive
	// a CRIU killed alone and go on with the restore it started. Not for a
	// shell job, whose restored tasks join CRIU's own process group.
	bool own_process_group = false;

	// Queues `fd` for CRIU and returns the number it will have there.
	int pass(int fd)
	{
		extra_fds.push_back(fd);
		return kCriuFirstExtraFd + int(extra_fds.size()) - 1;
	}
};

class CriuProcess {
public:
	CriuProcess() = default;
	explicit CriuProcess(pid_t pid, bool leads_group = false) : pid_(pid), leads_group_(leads_group) {}
	CriuProcess(const CriuProcess &) = delete;
	CriuProcess &operator=(const CriuProcess &) = delete;
	CriuProcess(CriuProcess &&o) noexcept;
	CriuProcess &operator=(CriuProcess &&o) noexcept;
	~CriuProcess(); // kills and reaps a CRIU still running

	pid_t pid() const { return pid_; }
	// Waits for CRIU to exit; returns a description ("exited with status 1",
	// "killed by signal 9"), or "" for a clean exit.
	std::string wait();
	// Like wait(), but gives CRIU at most `grace` to exit before killing it:
	// a CRIU that hung up its socket must not hold the caller any longer.
	std::string wait_at_most(std::chrono::milliseconds grace);
	// SIGKILLs CRIU and reaps it. Safe to call twice.
	void kill() noexcept;

private:
	pid_t pid_ = -1;
	bool leads_group_ = false; // kill() kills its process group too
};

// Starts `criu swrk 3`. Throws CCR_ERR_CRIU_START naming the binary when it
// cannot be found or executed.
CriuProcess spawn_criu_swrk(const CriuLaunch &launch);

} // namespace ccr
