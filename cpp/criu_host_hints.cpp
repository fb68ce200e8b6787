// SPDX-License-Identifier: Apache-2.0
#include "criu_host_hints.hpp"

#include <unistd.h>

#include <fstream>
#include <string>

namespace ccr {
namespace {

bool contains(std::string_view text, std::string_view what)
{
	return text.find(what) != std::string_view::npos;
}

bool effective_cap(int cap)
{
	std::ifstream status("/proc/self/status");
	std::string line;
	while (std::getline(status, line)) {
		if (line.rfind("CapEff:", 0) != 0)
			continue;
		try {
			return (std::stoull(line.substr(7), nullptr, 16) >> cap) & 1;
		} catch (...) {
			return false;
		}
	}
	return false;
}

} // namespace

HostFacts read_host_facts()
{
	HostFacts facts;
	facts.page_size = ::sysconf(_SC_PAGESIZE);
	std::ifstream in("/proc/sys/fs/pipe-max-size");
	if (!(in >> facts.pipe_max_size))
		facts.pipe_max_size = -1;
	const int cap_sys_resource = 24;
	facts.cap_sys_resource = effective_cap(cap_sys_resource);
	return facts;
}

long criu_lazy_pipe_bytes(long page_size)
{
	return (8 * page_size / 40) * page_size;
}

std::string lazy_pages_host_limit(const HostFacts &facts)
{
	if (facts.cap_sys_resource || facts.pipe_max_size < 0)
		return "";
	long need = criu_lazy_pipe_bytes(facts.page_size);
	if (facts.pipe_max_size >= need)
		return "";
	return "CRIU's page server needs pipes of " + std::to_string(need) +
	       " bytes to serve lazy pages, but fs.pipe-max-size is " + std::to_string(facts.pipe_max_size) +
	       " and CRIU lacks CAP_SYS_RESOURCE: raise it (sysctl -w fs.pipe-max-size=" + std::to_string(need) + ")";
}

std::string host_hint(std::string_view log, bool lazy_dump, const HostFacts &facts)
{
	if (lazy_dump && contains(log, "page-pipe: splice"))
		if (std::string limit = lazy_pages_host_limit(facts); !limit.empty())
			return limit;
	// CRIU execs the lock's program by name and logs execvp's failure.
	if (contains(log, "execvp(\"iptables-restore\"") || contains(log, "execvp(\"ip6tables-restore\""))
		return "CRIU's network lock runs iptables-restore, which is not installed: install iptables, "
		       "or choose the nftables or skip network lock";
	return "";
}

} // namespace ccr
