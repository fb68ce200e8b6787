// SPDX-License-Identifier: Apache-2.0
#include "lazy_page_watch.hpp"

#include <dirent.h>

#include <cstdlib>
#include <string>

#include "error.hpp"
#include "mountinfo.hpp"

namespace ccr {
namespace {

std::vector<int> threads_of(int pid)
{
	std::vector<int> tids;
	DIR *d = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
	if (!d)
		return tids;
	while (dirent *e = ::readdir(d))
		if (e->d_name[0] != '.')
			tids.push_back(std::atoi(e->d_name));
	::closedir(d);
	return tids;
}

} // namespace

bool waits_for_a_lazy_page(int pid, int tid)
{
	try {
		// The kernel function a blocked thread sleeps in; the userfault
		// wait is handle_userfault() for every kind of fault.
		std::string wchan =
			read_small_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/wchan");
		return wchan.rfind("handle_userfault", 0) == 0;
	} catch (const Error &) {
		return false; // gone meanwhile
	}
}

void LazyPageWatch::check(const std::vector<int> &pids, Clock::time_point now)
{
	std::map<int, Clock::time_point> still;
	for (int pid : pids)
		for (int tid : threads_of(pid)) {
			if (!waits_for_a_lazy_page(pid, tid))
				continue;
			auto seen = waiting_since_.find(tid);
			Clock::time_point since = seen == waiting_since_.end() ? now : seen->second;
			still[tid] = since;
			if (now - since >= stall_) {
				auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - since).count();
				throw Error(CCR_ERR_TIMEOUT,
					    "no page came from the lazy-pages daemon for " + std::to_string(secs) +
						    " s: restored process " + std::to_string(pid) +
						    (tid != pid ? " (thread " + std::to_string(tid) + ")" : "") +
						    " waits for one; its page source is gone or stuck (a `criu "
						    "lazy-pages` daemon that is stopped or hung, or whose page server "
						    "failed)");
			}
		}
	waiting_since_ = std::move(still);
}

} // namespace ccr
