// SPDX-License-Identifier: Apache-2.0
#include "checkpoint_target.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include "error.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

// The NSpid line of /proc/<pid>/status: the pid in each pid namespace it
// belongs to, the caller's first, its own last.
std::vector<std::string> ns_pids(int pid)
{
	std::string path = "/proc/" + std::to_string(pid) + "/status";
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd) {
		if (errno == ENOENT)
			throw Error(CCR_ERR_NOT_FOUND, "process " + std::to_string(pid) + " does not exist", ENOENT);
		throw_errno("cannot read " + path);
	}
	std::string text;
	char buf[4096];
	for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) != 0;) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw_errno("cannot read " + path);
		}
		text.append(buf, size_t(n));
	}
	std::istringstream lines(text);
	for (std::string line; std::getline(lines, line);) {
		if (line.rfind("NSpid:", 0) != 0)
			continue;
		std::istringstream fields(line.substr(6));
		std::vector<std::string> pids;
		for (std::string f; fields >> f;)
			pids.push_back(f);
		return pids;
	}
	throw Error(CCR_ERR_UNSUPPORTED,
		    path + " has no NSpid line (Linux 4.1 or later): ccr cannot tell whether pid " +
			    std::to_string(pid) + " is a container's init");
}

bool same_or_below(const std::string &dir, const std::string &ancestor)
{
	return dir == ancestor || (dir.size() > ancestor.size() && dir.compare(0, ancestor.size(), ancestor) == 0 &&
				   dir[ancestor.size()] == '/');
}

std::string without_trailing_slashes(std::string p)
{
	while (p.size() > 1 && p.back() == '/')
		p.pop_back();
	return p;
}

} // namespace

void require_container_init(const ContainerSpec &spec, const std::string &joined_pid_ns)
{
	if (spec.process_tree)
		return;
	std::vector<std::string> pids = ns_pids(spec.pid);
	const std::string who = "container " + spec.id + ": pid " + std::to_string(spec.pid);
	if (pids.size() < 2)
		throw Error(CCR_ERR_INVALID_ARGUMENT,
			    who + " shares the caller's pid namespace: it is not a container's init (set "
				  "ccr_container_set_process_tree() to checkpoint a plain process tree)");
	if (!joined_pid_ns.empty()) {
		// A container in a namespace it joined (Kubernetes'
		// shareProcessNamespace, a CRI pod's POD pid mode): its init is not
		// pid 1 there, but it must be in that very namespace.
		struct stat joined {
		}, own{};
		std::string own_path = "/proc/" + std::to_string(spec.pid) + "/ns/pid";
		if (::stat(joined_pid_ns.c_str(), &joined) != 0)
			throw_errno("container " + spec.id + ": cannot read the pid namespace its config joins, " +
				    joined_pid_ns);
		if (::stat(own_path.c_str(), &own) != 0)
			throw_errno("cannot read " + own_path);
		if (joined.st_dev != own.st_dev || joined.st_ino != own.st_ino)
			throw Error(CCR_ERR_INVALID_ARGUMENT, who + " is not in the pid namespace its config joins (" +
								      joined_pid_ns + "): it is not this container's");
		return;
	}
	if (pids.back() != "1")
		throw Error(CCR_ERR_INVALID_ARGUMENT, who + " is pid " + pids.back() +
							      " in its pid namespace, not its init: give the "
							      "container's init (pid 1 inside it)");
}

void require_private_freezer(const ContainerSpec &spec, const Freezer &freezer,
			     const std::vector<CgroupHierarchy> &hierarchies)
{
	if (!freezer)
		return;
	const std::string dir = without_trailing_slashes(freezer.dir);
	const std::string what = "container " + spec.id + ": freezer cgroup " + dir;
	for (const auto &h : hierarchies)
		if (dir == without_trailing_slashes(h.mountpoint))
			throw Error(CCR_ERR_INVALID_ARGUMENT,
				    what + " is the root of its hierarchy: freezing it would freeze every process "
					   "on the host (put the container in a cgroup of its own)");
	Freezer own = freezer_of(::getpid(), hierarchies);
	if (own && same_or_below(without_trailing_slashes(own.dir), dir))
		throw Error(CCR_ERR_INVALID_ARGUMENT,
			    what + " holds the calling process (in " + own.dir +
				    "): freezing it would freeze the caller, which could never finish");
}

} // namespace ccr
