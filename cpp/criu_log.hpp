// SPDX-License-Identifier: Apache-2.0
// Excerpts of CRIU's log for error messages. A failed dump or restore leaves
// a log of thousands of lines; what explains the failure is the first
// "Error (file:line): ..." line and the few lines just before it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "options.hpp"

namespace ccr {

// The name of the file in the work directory CRIU logs an operation to: the
// caller's, or CRIU's usual one for that operation.
std::string log_file_name(const Options &opts, bool restore);

// The lines around each line containing "Error": up to `context_before`
// lines before it and the line itself. Overlapping or adjacent ranges are
// merged; separate groups are joined by a line "...". Lines are joined by
// '\n', with no newline at the end. The result is at most `max_bytes` long;
// when it must be cut, the first errors are kept (context before the first
// error goes first, then later groups) and a final "..." marks the cut.
// Empty when no line contains "Error".
std::string criu_log_excerpt(std::string_view log, int context_before = 5, size_t max_bytes = 8192);

// criu_log_excerpt() of file `name` in directory `dirfd`, reading at most its
// last 4 MiB (the log may be huge; a partial first line is dropped). Opened
// with O_NOFOLLOW. Best effort, since it runs while another error is being
// reported: a missing or unreadable file, a symlink or a non-regular file
// gives "" rather than an exception.
std::string read_log_excerpt(int dirfd, const std::string &name);

// The id CRIU gave its run (the last "CRIU run id = <uuid>" near the log's
// start, logged at level 3 and above), which names what it makes on the host, such
// as its nftables lock table "inet CRIU-<id>". "" when the log lacks it or
// it is not a UUID. Best effort like read_log_excerpt().
std::string read_criu_run_id(int dirfd, const std::string &name);

// The tail of log file `name` in directory `dirfd` that read_log_excerpt()
// reads (at most the last 4 MiB, a partial first line dropped), with the same
// best-effort rules: "" for a missing, unreadable, symlinked or non-regular
// file.
std::string read_log_tail(int dirfd, const std::string &name);

// The line of CRIU's log that explains why an operation failed, without its
// "(00.012345) " timestamp, or "" when the log names no cause. Chosen by what
// the lines are, not by matching known messages:
//  - CRIU's own errors ("Error (file.c:123): ...", a restored task's with its
//    pid in front) come first, the earliest of them: CRIU stops soon after
//    the first real failure, and what it logs later is its consequence;
//  - nothing after CRIU's closing "... FAILED" line counts (its clean-up),
//    nor that line itself, nor the notices CRIU logs as errors while it sets
//    itself up (is_incidental_criu_error());
//  - output of the programs CRIU runs ("Error: ipv4: Address already
//    assigned." from `ip`), which has no "(file:line)", only when
//    `tool_output` is true, CRIU itself named nothing, and CRIU failed right
//    after it (no line of progress between it and the end or CRIU's
//    closing line).
std::string failure_cause(std::string_view log, bool tool_output = true);

// Whether an error line of CRIU's is one it logs without it being a cause:
// its closing "Dumping FAILED." / "Restoring FAILED." summary, and the
// limit it fails to raise for itself without CAP_SYS_RESOURCE ("rlimit:").
bool is_incidental_criu_error(std::string_view line);

} // namespace ccr
