// SPDX-License-Identifier: Apache-2.0
#include "processes_outside_tree.hpp"

#include <dirent.h>

#include <map>
#include <sstream>

#include "error.hpp"
#include "mountinfo.hpp"

namespace ccr {
namespace {

void collect_procs(const std::string &dir, std::vector<int> &out, int depth)
{
	try {
		std::istringstream procs(read_small_file(dir + "/cgroup.procs"));
		for (int pid; procs >> pid;)
			out.push_back(pid);
	} catch (const Error &) {
		return; // gone meanwhile
	}
	if (depth > 64)
		return;
	DIR *d = ::opendir(dir.c_str());
	if (!d)
		return;
	while (dirent *e = ::readdir(d))
		if (e->d_type == DT_DIR && e->d_name[0] != '.')
			collect_procs(dir + "/" + e->d_name, out, depth + 1);
	::closedir(d);
}

// The parent pid from /proc/<pid>/stat (after the command in parentheses,
// which may itself hold spaces and parentheses); 0 when the process is gone.
int parent_of(int pid)
{
	try {
		std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
		size_t close = stat.rfind(')');
		if (close == std::string::npos)
			return 0;
		std::istringstream rest(stat.substr(close + 1));
		char state = 0;
		int ppid = 0;
		rest >> state >> ppid;
		return ppid;
	} catch (const Error &) {
		return 0;
	}
}

std::string command_of(int pid)
{
	constexpr size_t kMax = 80;
	std::string proc = "/proc/" + std::to_string(pid);
	try {
		std::string cmd = read_small_file(proc + "/cmdline");
		while (!cmd.empty() && cmd.back() == '\0')
			cmd.pop_back();
		for (char &c : cmd)
			if (c == '\0')
				c = ' ';
		if (!cmd.empty())
			return cmd.size() > kMax ? cmd.substr(0, kMax) + "..." : cmd;
		std::string comm = read_small_file(proc + "/comm");
		while (!comm.empty() && comm.back() == '\n')
			comm.pop_back();
		return "[" + comm + "]";
	} catch (const Error &) {
		return "?";
	}
}

} // namespace

std::vector<int> processes_in_cgroup_tree(const std::string &dir)
{
	std::vector<int> pids;
	collect_procs(dir, pids, 0);
	return pids;
}

std::vector<OutsideProcess> processes_outside_tree(int init_pid, const std::string &freezer_dir)
{
	std::vector<int> pids;
	collect_procs(freezer_dir, pids, 0);
	std::map<int, int> parent;
	for (int pid : pids)
		parent[pid] = parent_of(pid);
	std::vector<OutsideProcess> outside;
	for (int pid : pids) {
		if (parent[pid] == 0) // exited meanwhile
			continue;
		// Up the parents inside the cgroup: the tree's members reach init.
		int at = pid;
		for (int hops = 0; at != init_pid && parent.count(at) && hops < 4096; hops++)
			at = parent[at];
		if (at != init_pid)
			outside.push_back({pid, parent[pid], command_of(pid)});
	}
	return outside;
}

std::string describe(const std::vector<OutsideProcess> &processes)
{
	std::string out;
	for (const auto &p : processes)
		out += (out.empty() ? "" : ", ") + std::to_string(p.pid) + " (" + p.command + ")";
	return out;
}

} // namespace ccr
