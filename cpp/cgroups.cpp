// SPDX-License-Identifier: Apache-2.0
#include "cgroups.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "error.hpp"
#include "mountinfo.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

std::vector<std::string> split(const std::string &s, char sep)
{
	std::vector<std::string> out;
	std::string cur;
	std::istringstream in(s);
	while (std::getline(in, cur, sep))
		if (!cur.empty())
			out.push_back(cur);
	return out;
}

// Writes a short string to a cgroup control file; returns errno or 0.
int write_control(const std::string &path, const std::string &value)
{
	UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
	if (!fd)
		return errno;
	ssize_t n = ::write(fd.get(), value.data(), value.size());
	if (n < 0)
		return errno;
	return 0;
}

// The host directory of cgroup `path` (as /proc/<pid>/cgroup spells it) in
// a hierarchy mounted at `h.mountpoint` from the hierarchy's `h.root`: when
// ccr itself runs in a container, the mount shows only a subtree.
std::string join_path(const std::string &mountpoint, const std::string &path);
std::string dir_in(const CgroupHierarchy &h, std::string path)
{
	if (!h.root.empty() && h.root != "/" && path.rfind(h.root, 0) == 0 &&
	    (path.size() == h.root.size() || path[h.root.size()] == '/'))
		path = path.substr(h.root.size());
	return join_path(h.mountpoint, path);
}

std::string join_path(const std::string &mountpoint, const std::string &path)
{
	if (path.empty() || path == "/")
		return mountpoint;
	return mountpoint + (path[0] == '/' ? "" : "/") + path;
}

// A new v1 cpuset starts with no CPUs and no memory nodes, and refuses
// processes until it has some: give it its parent's, as runc does.
void inherit_cpuset(const std::string &parent, const std::string &dir)
{
	for (const char *file : {"cpuset.cpus", "cpuset.mems"}) {
		std::string mine = read_small_file(dir + "/" + file);
		if (mine.find_first_not_of(" \n") != std::string::npos)
			continue;
		std::string theirs = read_small_file(parent + "/" + file);
		if (int err = write_control(dir + "/" + file, theirs))
			throw_errno("cannot set " + std::string(file) + " of cgroup " + dir, err);
	}
}

} // namespace

std::vector<CgroupMembership> parse_proc_cgroup(std::string_view text)
{
	std::vector<CgroupMembership> out;
	std::istringstream in{std::string(text)};
	std::string line;
	while (std::getline(in, line)) {
		auto c1 = line.find(':');
		auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
		if (c2 == std::string::npos)
			continue;
		CgroupMembership m;
		try {
			m.hierarchy = std::stoi(line.substr(0, c1));
		} catch (...) {
			continue;
		}
		m.controllers = line.substr(c1 + 1, c2 - c1 - 1);
		m.path = line.substr(c2 + 1);
		out.push_back(std::move(m));
	}
	return out;
}

std::vector<CgroupMembership> read_proc_cgroup(int pid)
{
	return parse_proc_cgroup(read_small_file("/proc/" + std::to_string(pid) + "/cgroup"));
}

std::string CgroupHierarchy::controller_key() const
{
	std::string key;
	for (const auto &c : controllers)
		key += (key.empty() ? "" : ",") + c;
	return key;
}

std::vector<CgroupHierarchy> parse_cgroup_mounts(std::string_view mountinfo)
{
	std::vector<CgroupHierarchy> out;
	auto mounts = parse_mountinfo(mountinfo);
	std::vector<int> yards;
	for (const auto &m : mounts)
		if (m.fstype == "tmpfs" &&
		    (m.source == kCgroupYardSource || m.mountpoint.find("/.criu.cgyard.") != std::string::npos))
			yards.push_back(m.id);
	for (const auto &m : mounts) {
		if (m.fstype != "cgroup" && m.fstype != "cgroup2")
			continue;
		if (std::find(yards.begin(), yards.end(), m.parent) != yards.end() ||
		    m.mountpoint.find("/.criu.cgyard.") != std::string::npos)
			continue;
		CgroupHierarchy h;
		h.mountpoint = m.mountpoint;
		h.root = m.root;
		h.v2 = m.fstype == "cgroup2";
		if (!h.v2) {
			// The super options name the controllers, among mount flags.
			for (const auto &opt : split(m.super_options, ',')) {
				if (opt == "rw" || opt == "ro" || opt == "noprefix" || opt == "xattr" ||
				    opt == "clone_children" || opt == "cpuset_v2_mode" ||
				    opt.rfind("release_agent=", 0) == 0)
					continue;
				h.controllers.push_back(opt);
			}
			std::sort(h.controllers.begin(), h.controllers.end());
		}
		// A hierarchy mounted twice is one hierarchy: keep the first mount.
		bool seen = std::any_of(out.begin(), out.end(), [&](const CgroupHierarchy &o) {
			return o.v2 == h.v2 && o.controllers == h.controllers;
		});
		if (!seen)
			out.push_back(std::move(h));
	}
	return out;
}

std::vector<CgroupHierarchy> host_cgroup_hierarchies()
{
	return parse_cgroup_mounts(read_small_file("/proc/self/mountinfo"));
}

bool Freezer::frozen() const
{
	try {
		if (v2)
			return read_small_file(dir + "/cgroup.freeze").rfind("1", 0) == 0;
		std::string s = read_small_file(dir + "/freezer.state");
		return s.rfind("FROZEN", 0) == 0 || s.rfind("FREEZING", 0) == 0;
	} catch (const Error &) {
		return false;
	}
}

void Freezer::thaw() const
{
	if (dir.empty())
		return;
	// A freezer can take a moment to settle after its freezer process died;
	// retry briefly so the container is surely running when we return.
	for (int i = 0; i < 50; i++) {
		if (v2)
			write_control(dir + "/cgroup.freeze", "0");
		else
			write_control(dir + "/freezer.state", "THAWED");
		if (!frozen())
			return;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
}

void Freezer::freeze() const
{
	if (dir.empty())
		return;
	if (v2)
		write_control(dir + "/cgroup.freeze", "1");
	else
		write_control(dir + "/freezer.state", "FROZEN");
	// Give the kernel a moment to finish, so the caller sees the state it
	// left the container in (v1: FROZEN, v2: "frozen 1").
	for (int i = 0; i < 50; i++) {
		try {
			if (v2 ? read_small_file(dir + "/cgroup.events").find("frozen 1") != std::string::npos
			       : read_small_file(dir + "/freezer.state").rfind("FROZEN", 0) == 0)
				return;
		} catch (const Error &) {
			return;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
}

Freezer freezer_of(int pid, const std::vector<CgroupHierarchy> &hierarchies)
{
	auto memberships = read_proc_cgroup(pid);
	for (const auto &h : hierarchies) {
		if (h.v2 || std::find(h.controllers.begin(), h.controllers.end(), "freezer") == h.controllers.end())
			continue;
		for (const auto &m : memberships)
			if (!m.controllers.empty() && m.controllers == h.controller_key())
				return Freezer{dir_in(h, m.path), false};
	}
	// No v1 freezer: a v2 cgroup has cgroup.freeze (pure v2 hosts only; on a
	// hybrid host the v2 tree is a sidecar that runc does not freeze through).
	bool has_v1 = std::any_of(hierarchies.begin(), hierarchies.end(), [](auto &h) { return !h.v2; });
	if (!has_v1) {
		for (const auto &h : hierarchies)
			if (h.v2)
				for (const auto &m : memberships)
					if (m.hierarchy == 0 && m.controllers.empty())
						return Freezer{dir_in(h, m.path), true};
	}
	return {};
}

HostCgroups host_cgroups(const std::vector<CgroupHierarchy> &hierarchies)
{
	bool v1 = false, v2 = false, v1_freezer = false;
	for (const auto &h : hierarchies) {
		(h.v2 ? v2 : v1) = true;
		if (!h.v2 && std::find(h.controllers.begin(), h.controllers.end(), "freezer") != h.controllers.end())
			v1_freezer = true;
	}
	HostCgroups host;
	host.layout = v1 ? (v2 ? CCR_CGROUP_LAYOUT_HYBRID : CCR_CGROUP_LAYOUT_V1)
			 : (v2 ? CCR_CGROUP_LAYOUT_V2 : CCR_CGROUP_LAYOUT_NONE);
	// As freezer_of(): the v1 freezer wherever there is one; cgroup.freeze
	// only where v2 is the whole story.
	host.freezer = v1_freezer                            ? CCR_FREEZER_V1
		       : host.layout == CCR_CGROUP_LAYOUT_V2 ? CCR_FREEZER_V2
							     : CCR_FREEZER_NONE;
	return host;
}

CgroupPlacement::CgroupPlacement(std::vector<CgroupHierarchy> hierarchies,
				 std::vector<std::pair<std::string, std::string>> paths)
    : hierarchies_(std::move(hierarchies)), paths_(std::move(paths))
{}

CgroupPlacement::~CgroupPlacement()
{
	if (!committed_)
		rollback();
}

std::string CgroupPlacement::dir_for(const CgroupHierarchy &h) const
{
	return join_path(h.mountpoint, path_for(h));
}

std::string CgroupPlacement::path_for(const CgroupHierarchy &h) const
{
	std::string key = h.controller_key();
	for (const auto &[k, p] : paths_)
		if (!k.empty() &&
		    (k == key || std::find(h.controllers.begin(), h.controllers.end(), k) != h.controllers.end()))
			return p;
	for (const auto &[k, p] : paths_)
		if (k.empty())
			return p;
	return {};
}

namespace {

std::vector<int> processes_in(const std::string &dir) noexcept
{
	std::vector<int> pids;
	try {
		std::istringstream procs(read_small_file(dir + "/cgroup.procs"));
		for (std::string line; std::getline(procs, line);)
			if (!line.empty())
				pids.push_back(std::stoi(line));
	} catch (...) {
	}
	return pids;
}

} // namespace

void CgroupPlacement::join(int pid)
{
	// Every hierarchy, the unified one of a hybrid host included: it carries
	// no controllers there, but runc puts the container into it too (systemd
	// tracks processes by it), and a restored container belongs there as
	// the original did.
	for (const auto &h : hierarchies_) {
		std::string rel = path_for(h);
		if (rel.empty())
			continue;
		std::string dir = h.mountpoint;
		for (const auto &part : split(rel, '/')) {
			if (part == "." || part == "..")
				throw Error(CCR_ERR_UNSAFE_PATH, "cgroup path " + rel + " must not contain . or ..");
			std::string parent = dir;
			dir += "/" + part;
			if (::mkdir(dir.c_str(), 0755) == 0) {
				created_dirs_.push_back(dir);
				if (std::find(h.controllers.begin(), h.controllers.end(), "cpuset") !=
				    h.controllers.end())
					inherit_cpuset(parent, dir);
			} else if (errno != EEXIST) {
				throw_errno("cannot create cgroup " + dir);
			}
		}
		if (std::find(created_dirs_.begin(), created_dirs_.end(), dir) == created_dirs_.end())
			found_dirs_.emplace_back(dir, processes_in(dir));
		if (int err = write_control(dir + "/cgroup.procs", std::to_string(pid)))
			throw_errno("cannot move pid " + std::to_string(pid) + " into cgroup " + dir, err);
		joined_dirs_.push_back(dir);
	}
}

namespace {

void kill_processes_in(const std::string &dir) noexcept
{
	for (int pid : processes_in(dir))
		::kill(pid, SIGKILL);
}

// Kills, for up to 2 s, the processes that entered `dir` after `before` was
// read: a half-restored task that set its own process group escapes the kill
// of CRIU's group, and a container's cgroup left by an earlier run is found,
// not made, by the restore.
void kill_newcomers(const std::string &dir, const std::vector<int> &before) noexcept
{
	for (int i = 0; i < 400; i++) {
		std::vector<int> newcomers;
		for (int pid : processes_in(dir))
			if (std::find(before.begin(), before.end(), pid) == before.end())
				newcomers.push_back(pid);
		if (newcomers.empty())
			return;
		// Only newcomers there: thawing (v1) touches nobody else's tasks.
		if (before.empty())
			write_control(dir + "/freezer.state", "THAWED");
		for (int pid : newcomers)
			::kill(pid, SIGKILL);
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
}

// Kills what is in `dir` and removes it, for up to 2 s: a killed process
// leaves its cgroup a moment after the signal, and one that a dying restore
// was forking just then shows up only on a later read.
void remove_emptied(const std::string &dir) noexcept
{
	for (int i = 0; i < 400; i++) {
		kill_processes_in(dir);
		if (::rmdir(dir.c_str()) == 0 || errno != EBUSY)
			return;
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
}

// Empties and removes the cgroups CRIU made below `dir` (the images may
// describe a tree of them), deepest first: a directory with children cannot
// be removed, and one with processes neither. One open directory per level.
void remove_cgroup_children(const std::string &dir) noexcept
{
	std::vector<std::string> children;
	if (DIR *d = ::opendir(dir.c_str())) {
		while (struct dirent *de = ::readdir(d))
			if (de->d_type == DT_DIR && std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, ".."))
				children.push_back(dir + "/" + de->d_name);
		::closedir(d);
	}
	for (const auto &child : children) {
		remove_cgroup_children(child);
		write_control(child + "/freezer.state", "THAWED"); // v1 freezer only
		remove_emptied(child);
	}
}

} // namespace

void CgroupPlacement::rollback() noexcept
{
	// Processes left in cgroups this placement made (a restore killed
	// halfway) keep the directories busy: kill them first. Cgroups that
	// existed before are shared with someone else and left alone.
	for (const auto &dir : joined_dirs_) {
		if (std::find(created_dirs_.begin(), created_dirs_.end(), dir) == created_dirs_.end())
			continue;
		// A v1-frozen process does not die of SIGKILL until thawed.
		write_control(dir + "/freezer.state", "THAWED");
		kill_processes_in(dir);
	}
	for (const auto &[dir, before] : found_dirs_)
		kill_newcomers(dir, before);
	// Below the container's own cgroups, everything was made for this
	// restore (by CRIU, from the images): remove it, children first.
	for (const auto &dir : joined_dirs_)
		if (std::find(created_dirs_.begin(), created_dirs_.end(), dir) != created_dirs_.end())
			remove_cgroup_children(dir);
	for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it)
		remove_emptied(*it);
	created_dirs_.clear();
	joined_dirs_.clear();
	found_dirs_.clear();
}

std::vector<std::pair<std::string, std::string>> CgroupPlacement::roots_of(int pid) const
{
	std::vector<std::pair<std::string, std::string>> roots;
	for (const auto &m : read_proc_cgroup(pid)) {
		if (m.controllers.empty()) {
			// The v2 line: CRIU's global root. On a v2 host it covers
			// every controller; on a hybrid host each v1 controller gets
			// its own root below, which CRIU prefers, so it covers the
			// unified tree alone.
			roots.emplace_back("", m.path);
			continue;
		}
		for (const auto &c : split(m.controllers, ','))
			roots.emplace_back(c, m.path);
	}
	return roots;
}

} // namespace ccr
