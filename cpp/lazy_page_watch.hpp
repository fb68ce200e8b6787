// SPDX-License-Identifier: Apache-2.0
// Notices a lazy restore whose page source stopped serving. A lazily
// restored process that touches a page not yet copied waits in the kernel
// (handle_userfault) until the `criu lazy-pages` daemon copies the page in;
// if the daemon is stopped, hung, or waits for a page server that failed,
// the process waits for ever, and so does CRIU, which waits for its restored
// processes. The watch samples the restore's threads and fails once one has
// been seen waiting for a page for longer than the stall bound.
#pragma once

#include <chrono>
#include <map>
#include <vector>

namespace ccr {

// A page that does not come within this long is not coming: the daemon
// serves one in well under a millisecond here, from disk or over a network.
inline constexpr std::chrono::seconds kLazyPageStall{10};
inline constexpr std::chrono::milliseconds kLazyPageCheckEvery{500};

class LazyPageWatch {
public:
	using Clock = std::chrono::steady_clock;
	explicit LazyPageWatch(std::chrono::milliseconds stall = kLazyPageStall) : stall_(stall) {}

	// Samples every thread of `pids`. Throws CCR_ERR_TIMEOUT naming the
	// process once a thread was seen waiting for a page at every sample
	// for longer than the stall bound (a thread served in between and
	// waiting again counts as still waiting: the samples cannot tell, and
	// a daemon that serves would not keep it waiting at every sample).
	void check(const std::vector<int> &pids, Clock::time_point now = Clock::now());

private:
	std::chrono::milliseconds stall_;
	std::map<int, Clock::time_point> waiting_since_; // thread id -> first seen waiting
};

// Whether thread `tid` of process `pid` waits for a userfaultfd page now.
bool waits_for_a_lazy_page(int pid, int tid);

} // namespace ccr
