// Excerpts of CRIU's log for error messages. A failed dump or restore leaves
// a log of thousands of lines; what explains the failure is the first
// "Error (file:line): ..." line and the few lines just before it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ccr {

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

// The first line containing "Error", without its "(00.012345) " timestamp
// prefix and surrounding white space, or "" when there is none.
std::string first_error_line(std::string_view log);

// Whether an error line of CRIU's is one it logs on the way without it being
// the cause of a failure (first_error_line() passes over these).
bool is_incidental_criu_error(std::string_view line);

} // namespace ccr
