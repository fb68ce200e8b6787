// SPDX-License-Identifier: Apache-2.0
// Running a short host program (iptables-restore, nft) from inside the
// library: posix_spawn, so it is safe in a multi-threaded caller; no
// descriptor of the caller's reaches it; bounded in time.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ccr {

struct HostCommandResult {
	bool started = false; // false: the program could not be run at all
	int exit_code = -1;   // -1 when it did not exit normally (or was killed)
	std::string output;   // stdout and stderr, cut at 64 KiB
	bool ok() const { return started && exit_code == 0; }
};

// Runs argv (argv[0] looked up in PATH) with `input` on its stdin; kills it
// after `limit`. Never throws.
HostCommandResult run_host_command(const std::vector<std::string> &argv, const std::string &input,
				   std::chrono::milliseconds limit);

} // namespace ccr
