// SPDX-License-Identifier: Apache-2.0
// Where a cancel or a time limit may stop CRIU without costing the
// container. During a dump CRIU runs its parasite code inside each of the
// container's processes in turn (CRIU 4.1.1 cr-dump.c: from the
// `query-ext-files` notification until `post-dump`); a CRIU killed then
// leaves that code, and the registers it saved, inside a process that can
// no longer go on. Whenever CRIU waits for ccr (the answer to a
// notification, or its next request) none of its code runs in the
// container, so ccr stops it only there: a cancel or time limit that comes
// while CRIU works is held until CRIU next waits, for at most
// kSafeStopBound.
#pragma once

#include <chrono>
#include <string>

namespace ccr {

// How long a stop waits for CRIU to reach such a point. Between two
// notifications CRIU dumps or restores all memory: 64 MiB takes a fraction of
// a second here, so 10 s leaves room for gigabytes while still bounding a
// CRIU that hangs.
inline constexpr std::chrono::seconds kSafeStopBound{10};

// What stopping CRIU now did to the container, for the message when the
// bound ran out: `request` is the request type CRIU was working on (DUMP,
// PRE_DUMP or RESTORE: other requests are stopped at once),
// `last_notification` the last notification it sent during it ("" when
// none).
std::string state_after_forced_stop(int request, const std::string &last_notification);

} // namespace ccr
