// SPDX-License-Identifier: Apache-2.0
#include "criu_safe_stop.hpp"

#include "rpc.pb.h"

namespace ccr {

std::string state_after_forced_stop(int request, const std::string &last_notification)
{
	const std::string after =
		last_notification.empty() ? "" : " (its last notification: " + last_notification + ")";
	if (request == criu::DUMP) {
		// CRIU 4.1.1's order: pre-dump, freeze and seize, network-lock,
		// query-ext-files, the parasite in each process in turn,
		// post-dump, then resume or kill.
		if (last_notification.empty())
			return "before it froze the container, which runs on";
		if (last_notification == "pre-dump" || last_notification == "network-lock")
			return "while it froze and seized the container's processes" + after +
			       ", before any of its code went into them; the container was thawed";
		if (last_notification == "query-ext-files")
			return "while it dumped the container's processes" + after +
			       ": its parasite code may have been inside one of them, which may then be damaged or "
			       "killed; the container was thawed";
		return "after it had written the images" + after +
		       ", with none of its code in the container's processes; the container was thawed";
	}
	if (request == criu::RESTORE)
		return "while it restored the container" + after + "; every process of the restore was removed";
	return "during a pre-dump" + after +
	       ": its parasite code may have been inside one of the container's processes";
}

} // namespace ccr
