// SPDX-License-Identifier: Apache-2.0
#include "network_lock_cleanup.hpp"

#include <chrono>
#include <string_view>
#include <vector>

#include "host_command.hpp"

namespace ccr {
namespace {

using namespace std::chrono_literals;

// xtables' own lock may be held by another program for a moment (-w waits).
constexpr auto kLimit = 5s;

std::vector<std::string> in_netns(int pid, std::vector<std::string> argv)
{
	argv.insert(argv.begin(), {"nsenter", "--net=/proc/" + std::to_string(pid) + "/ns/net", "--"});
	return argv;
}

// The same two steps as CRIU's own unlock (criu/net.c): the jumps first,
// then the chain, which cannot go while anything jumps to it.
bool remove_iptables_lock(int pid, const std::string &family)
{
	HostCommandResult saved = run_host_command(in_netns(pid, {family + "-save", "-t", "filter"}), "", kLimit);
	if (!saved.ok() || saved.output.find("\n:CRIU ") == std::string::npos)
		return false;
	const std::string restore = family + "-restore";
	run_host_command(in_netns(pid, {restore, "-w", "--noflush"}),
			 "*filter\n:CRIU - [0:0]\n-D INPUT -j CRIU\n-D OUTPUT -j CRIU\nCOMMIT\n", kLimit);
	run_host_command(in_netns(pid, {restore, "-w", "--noflush"}), "*filter\n:CRIU - [0:0]\n-X CRIU\nCOMMIT\n",
			 kLimit);
	return true;
}

// The inet tables in the namespace whose names CRIU's lock could have.
std::vector<std::string> nftables_lock_tables(int pid, const std::string &criu_run_id)
{
	std::vector<std::string> tables;
	HostCommandResult listed = run_host_command(in_netns(pid, {"nft", "list", "tables", "inet"}), "", kLimit);
	if (!listed.ok())
		return tables;
	// CRIU 4.1 writes "inet CRIU-<run id>" into a 32-byte buffer, so the
	// table has only the id's first 21 characters: accept any prefix of
	// the full name that keeps at least the id's first 8.
	const std::string full = "CRIU-" + criu_run_id, old_style = "CRIU-" + std::to_string(pid);
	auto is_lock = [&](const std::string &name) {
		if (criu_run_id.empty())
			return name.rfind("CRIU-", 0) == 0;
		return name == old_style || (name.size() >= 13 && full.rfind(name, 0) == 0);
	};
	std::string_view rest = listed.output;
	constexpr std::string_view prefix = "table inet ";
	while (!rest.empty()) {
		size_t nl = rest.find('\n');
		std::string_view line = rest.substr(0, nl);
		rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
		if (line.rfind(prefix, 0) != 0)
			continue;
		std::string name(line.substr(prefix.size()));
		if (is_lock(name))
			tables.push_back(name);
	}
	return tables;
}

} // namespace

std::string remove_leftover_network_lock(int pid, const std::string &criu_run_id)
{
	if (pid <= 0)
		return "";
	std::string removed;
	auto note = [&](const std::string &what) { removed += (removed.empty() ? "" : ", ") + what; };
	try {
		if (remove_iptables_lock(pid, "iptables"))
			note("iptables chain CRIU");
		if (remove_iptables_lock(pid, "ip6tables"))
			note("ip6tables chain CRIU");
		for (const auto &table : nftables_lock_tables(pid, criu_run_id))
			if (run_host_command(in_netns(pid, {"nft", "delete", "table", "inet", table}), "", kLimit).ok())
				note("nftables table inet " + table);
	} catch (...) {
		// Allocation failure: the lock stays, as it would without ccr.
	}
	return removed;
}

} // namespace ccr
