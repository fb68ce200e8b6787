// SPDX-License-Identifier: Apache-2.0
#include "cgroup_yard.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <utility>

#include "error.hpp"

namespace ccr {
namespace {

std::vector<std::string> split_commas(const std::string &s)
{
	std::vector<std::string> out;
	std::istringstream in(s);
	for (std::string item; std::getline(in, item, ',');)
		if (!item.empty())
			out.push_back(item);
	return out;
}

// What goes at one name in the yard: a bind of a mounted hierarchy, or (v1
// only) a fresh mount of the hierarchy with these mount options.
struct YardEntry {
	std::string name;
	std::string bind_source;
	std::string v1_mount_options;
};

const CgroupHierarchy *mounted_from_root(const std::vector<CgroupHierarchy> &hierarchies, bool v2,
					 const std::string &key)
{
	for (const auto &h : hierarchies)
		if (h.v2 == v2 && (v2 || h.controller_key() == key) && (h.root.empty() || h.root == "/"))
			return &h;
	return nullptr;
}

// One entry per hierarchy; throws Error when the v2 hierarchy cannot be bound.
std::vector<YardEntry> plan_entries(const std::vector<CgroupHierarchy> &hierarchies,
				    const std::vector<CgroupMembership> &memberships)
{
	std::vector<YardEntry> entries;
	for (const auto &m : memberships) {
		YardEntry e;
		e.name = CgroupYard::entry_name(m.controllers);
		if (std::any_of(entries.begin(), entries.end(), [&](const YardEntry &o) { return o.name == e.name; }))
			continue;
		bool v2 = m.controllers.empty();
		auto controllers = split_commas(m.controllers);
		std::sort(controllers.begin(), controllers.end());
		std::string key;
		for (const auto &c : controllers)
			key += (key.empty() ? "" : ",") + c;
		if (const CgroupHierarchy *h = mounted_from_root(hierarchies, v2, key)) {
			e.bind_source = h->mountpoint;
		} else if (v2) {
			throw Error(CCR_ERR_NOT_FOUND, "the cgroup2 hierarchy is not mounted from its root here");
		} else {
			bool named = m.controllers.rfind("name=", 0) == 0;
			e.v1_mount_options = (named ? "none," : "") + m.controllers;
		}
		entries.push_back(std::move(e));
	}
	return entries;
}

} // namespace

std::string CgroupYard::entry_name(const std::string &controllers)
{
	if (controllers.empty())
		return "unified";
	std::string name;
	for (auto c : split_commas(controllers)) {
		if (c.rfind("name=", 0) == 0)
			c = c.substr(5);
		name += (name.empty() ? "" : ",") + c;
	}
	return name;
}

CgroupYard::CgroupYard(const std::string &dir, const std::vector<CgroupHierarchy> &hierarchies,
		       const std::vector<CgroupMembership> &memberships)
{
	try {
		auto entries = plan_entries(hierarchies, memberships);
		if (::mkdir(dir.c_str(), 0700) != 0)
			throw_errno("cannot create the cgroup yard " + dir);
		dir_ = dir;
		// A tmpfs of its own, private, so that one lazy unmount takes the
		// whole yard away and nothing in it propagates to the host.
		if (::mount(kCgroupYardSource, dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") !=
		    0)
			throw_errno("cannot mount a tmpfs on the cgroup yard " + dir);
		mounted_ = true;
		if (::mount(nullptr, dir.c_str(), nullptr, MS_PRIVATE, nullptr) != 0)
			throw_errno("cannot make the cgroup yard " + dir + " private");
		for (const auto &e : entries) {
			std::string at = dir + "/" + e.name;
			if (::mkdir(at.c_str(), 0700) != 0)
				throw_errno("cannot create " + at);
			int rc = e.bind_source.empty()
					 ? ::mount("cgroup", at.c_str(), "cgroup", 0, e.v1_mount_options.c_str())
					 : ::mount(e.bind_source.c_str(), at.c_str(), nullptr, MS_BIND, nullptr);
			if (rc != 0)
				throw_errno("cannot mount the " + e.name + " cgroup hierarchy on " + at);
		}
		path_ = dir;
	} catch (const Error &err) {
		why_not_ = err.message();
		tear_down();
	}
}

CgroupYard::CgroupYard(CgroupYard &&other) noexcept
    : path_(std::move(other.path_)), dir_(std::move(other.dir_)), mounted_(std::exchange(other.mounted_, false)),
      why_not_(std::move(other.why_not_))
{
	other.path_.clear();
	other.dir_.clear();
}

CgroupYard &CgroupYard::operator=(CgroupYard &&other) noexcept
{
	if (this != &other) {
		tear_down();
		path_ = std::move(other.path_);
		dir_ = std::move(other.dir_);
		mounted_ = std::exchange(other.mounted_, false);
		why_not_ = std::move(other.why_not_);
		other.path_.clear();
		other.dir_.clear();
	}
	return *this;
}

CgroupYard::~CgroupYard()
{
	tear_down();
}

void CgroupYard::tear_down() noexcept
{
	// MNT_DETACH takes the binds below the tmpfs with it, and any hierarchy
	// CRIU mounted in the yard itself on restore.
	if (mounted_)
		::umount2(dir_.c_str(), MNT_DETACH);
	mounted_ = false;
	if (!dir_.empty())
		::rmdir(dir_.c_str());
	dir_.clear();
	path_.clear();
}

} // namespace ccr
