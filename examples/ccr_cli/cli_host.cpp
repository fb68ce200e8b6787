// SPDX-License-Identifier: Apache-2.0
// `ccr check`'s notes on the host: settings that make CRIU slow or make an
// option fail, found before an operation runs into them.
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "cli.hpp"

namespace cli {
namespace {

constexpr long kTmpfsMagic = 0x01021994;

bool in_path(const std::string &name)
{
	const char *path = std::getenv("PATH");
	std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	size_t start = 0;
	while (start <= dirs.size()) {
		size_t end = dirs.find(':', start);
		std::string dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
		if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0)
			return true;
		if (end == std::string::npos)
			break;
		start = end + 1;
	}
	return false;
}

bool has_cap_sys_resource()
{
	std::ifstream status("/proc/self/status");
	std::string line;
	while (std::getline(status, line))
		if (line.rfind("CapEff:", 0) == 0)
			return (std::strtoull(line.c_str() + 7, nullptr, 16) >> 24) & 1;
	return false;
}

} // namespace

std::vector<std::string> host_notes()
{
	std::vector<std::string> notes;
	struct statfs run {};
	if (::statfs("/run", &run) == 0 && static_cast<long>(run.f_type) != kTmpfsMagic)
		notes.push_back("/run is not a tmpfs, so CRIU cannot keep its kernel probe (/run/criu.kdat) and "
				"probes again on every operation (tens of ms each)");
	if (!in_path("iptables-restore"))
		notes.push_back("iptables-restore is not in PATH: CRIU's default network lock will fail; install "
				"iptables or use --network-lock nftables (or skip)");
	long page = ::sysconf(_SC_PAGESIZE);
	long need = (8 * page / 40) * page; // the pipe CRIU's page server asks for with lazy pages
	long max = 0;
	std::ifstream pipe_max("/proc/sys/fs/pipe-max-size");
	if (pipe_max >> max && max < need && !has_cap_sys_resource())
		notes.push_back("fs.pipe-max-size is " + std::to_string(max) +
				": CRIU cannot serve lazy pages from a checkpoint (it needs " + std::to_string(need) +
				"; sysctl -w fs.pipe-max-size=" + std::to_string(need) + ")");
	return notes;
}

} // namespace cli

namespace cli {

const char *layout_name(ccr_cgroup_layout layout)
{
	switch (layout) {
	case CCR_CGROUP_LAYOUT_V1:
		return "v1";
	case CCR_CGROUP_LAYOUT_HYBRID:
		return "hybrid";
	case CCR_CGROUP_LAYOUT_V2:
		return "v2";
	case CCR_CGROUP_LAYOUT_NONE:
		break;
	}
	return "none";
}

const char *freezer_name(ccr_freezer_kind freezer)
{
	switch (freezer) {
	case CCR_FREEZER_V1:
		return "v1";
	case CCR_FREEZER_V2:
		return "v2";
	case CCR_FREEZER_NONE:
		break;
	}
	return "none";
}

const char *layout_description(ccr_cgroup_layout layout)
{
	switch (layout) {
	case CCR_CGROUP_LAYOUT_V1:
		return "v1 (no v2 hierarchy mounted)";
	case CCR_CGROUP_LAYOUT_HYBRID:
		return "hybrid (v1 hierarchies, v2 beside them)";
	case CCR_CGROUP_LAYOUT_V2:
		return "v2 (unified)";
	case CCR_CGROUP_LAYOUT_NONE:
		break;
	}
	return "none mounted";
}

const char *freezer_description(ccr_freezer_kind freezer)
{
	switch (freezer) {
	case CCR_FREEZER_V1:
		return "v1 freezer (freezer.state)";
	case CCR_FREEZER_V2:
		return "v2 (cgroup.freeze)";
	case CCR_FREEZER_NONE:
		break;
	}
	return "none (CRIU stops the processes with ptrace)";
}

} // namespace cli
