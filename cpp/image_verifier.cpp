// SPDX-License-Identifier: Apache-2.0
#include "image_verifier.hpp"

#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "criu_image.hpp"
#include "error.hpp"
#include "images.pb.h"

namespace ccr {
namespace {

inline constexpr uint32_t kPstreeMagic = 0x50273030;
inline constexpr uint32_t kIdsMagic = 0x54432030;
inline constexpr uint32_t kCgroupMagic = 0x59383330;

[[noreturn]] void refuse(const std::string &image, const std::string &what)
{
	throw Error(CCR_ERR_IMAGE, "CRIU image " + image + ": " + what);
}

// Parses the one protobuf entry of a single-entry image.
template <class Message>
Message single_entry(const CriuImage &image, const std::string &name, const char *kind)
{
	if (image.entries.size() != 1)
		refuse(name, "holds " + std::to_string(image.entries.size()) + " entries where one " + kind +
				     " was expected");
	Message m;
	if (!m.ParseFromString(image.entries.front()))
		refuse(name, std::string("its entry is not a ") + kind);
	return m;
}

struct Task {
	uint32_t pid;
	uint32_t ppid;
};

// pstree.img: the tasks, checked to form one tree. Returns the root first.
std::vector<Task> read_process_tree(int dirfd)
{
	const std::string name = "pstree.img";
	CriuImage image = read_criu_image(dirfd, name, kPstreeMagic);
	if (image.entries.empty())
		refuse(name, "holds no task");
	if (image.entries.size() > kMaxImageTasks)
		refuse(name, "holds " + std::to_string(image.entries.size()) + " tasks, more than " +
				     std::to_string(kMaxImageTasks));
	std::vector<Task> tasks;
	std::set<uint32_t> pids;
	for (size_t i = 0; i < image.entries.size(); i++) {
		criu::pstree_entry e;
		const std::string where = "entry " + std::to_string(i);
		if (!e.ParseFromString(image.entries[i]))
			refuse(name, where + " is not a pstree entry");
		if (!e.has_pid() || e.pid() == 0)
			refuse(name, where + " has no pid");
		if (!e.has_ppid())
			refuse(name, where + " (pid " + std::to_string(e.pid()) + ") has no ppid");
		if (!pids.insert(e.pid()).second)
			refuse(name, "pid " + std::to_string(e.pid()) + " appears twice");
		tasks.push_back({e.pid(), e.ppid()});
	}
	const Task *root = nullptr;
	for (const Task &t : tasks) {
		if (t.ppid == 0) {
			if (root)
				refuse(name, "two root tasks (pid " + std::to_string(root->pid) + " and pid " +
						     std::to_string(t.pid) + "), where one process tree was expected");
			root = &t;
		} else if (!pids.count(t.ppid)) {
			refuse(name, "pid " + std::to_string(t.pid) + " has ppid " + std::to_string(t.ppid) +
					     ", which is no task of the tree");
		}
	}
	if (!root)
		refuse(name, "no root task (every task has a parent)");
	// Every task must reach the root: a cycle (1 -> 2 -> 1) beside a root
	// passes the checks above.
	std::map<uint32_t, uint32_t> parent;
	for (const Task &t : tasks)
		parent[t.pid] = t.ppid;
	std::set<uint32_t> reaches_root{root->pid};
	for (const Task &t : tasks) {
		std::vector<uint32_t> path;
		uint32_t p = t.pid;
		while (!reaches_root.count(p)) {
			path.push_back(p);
			if (path.size() > tasks.size())
				refuse(name,
				       "pid " + std::to_string(t.pid) + " is in a cycle of parents, not in the tree");
			p = parent[p];
		}
		reaches_root.insert(path.begin(), path.end());
	}
	Task r = *root;
	std::vector<Task> ordered{r};
	for (const Task &t : tasks)
		if (t.pid != r.pid)
			ordered.push_back(t);
	return ordered;
}

struct NamespaceField {
	const char *oci_type;
	const char *field;
	bool (criu::task_kobj_ids_entry::*has)() const;
	uint32_t (criu::task_kobj_ids_entry::*get)() const;
};

const NamespaceField kNamespaces[] = {
	{"pid", "pid_ns_id", &criu::task_kobj_ids_entry::has_pid_ns_id, &criu::task_kobj_ids_entry::pid_ns_id},
	{"network", "net_ns_id", &criu::task_kobj_ids_entry::has_net_ns_id, &criu::task_kobj_ids_entry::net_ns_id},
	{"ipc", "ipc_ns_id", &criu::task_kobj_ids_entry::has_ipc_ns_id, &criu::task_kobj_ids_entry::ipc_ns_id},
	{"uts", "uts_ns_id", &criu::task_kobj_ids_entry::has_uts_ns_id, &criu::task_kobj_ids_entry::uts_ns_id},
	{"mount", "mnt_ns_id", &criu::task_kobj_ids_entry::has_mnt_ns_id, &criu::task_kobj_ids_entry::mnt_ns_id},
	{"user", "user_ns_id", &criu::task_kobj_ids_entry::has_user_ns_id, &criu::task_kobj_ids_entry::user_ns_id},
	{"cgroup", "cgroup_ns_id", &criu::task_kobj_ids_entry::has_cgroup_ns_id,
	 &criu::task_kobj_ids_entry::cgroup_ns_id},
	{"time", "time_ns_id", &criu::task_kobj_ids_entry::has_time_ns_id, &criu::task_kobj_ids_entry::time_ns_id},
};

// nullptr for a type CRIU records no id for (runc refuses such a config).
const NamespaceField *namespace_field(const std::string &oci_type)
{
	for (const auto &f : kNamespaces)
		if (oci_type == f.oci_type)
			return &f;
	return nullptr;
}

std::string ids_image(uint32_t pid)
{
	return "ids-" + std::to_string(pid) + ".img";
}

// The namespace ids of a task, from ids-<pid>.img (where CRIU reads them on
// a restore), or nullopt when there is none: CRIU writes none for a zombie,
// which then inherits its parent's, and refuses a root task without.
std::optional<criu::task_kobj_ids_entry> task_ids(int dirfd, uint32_t pid)
{
	const std::string name = ids_image(pid);
	CriuImage image;
	try {
		image = read_criu_image(dirfd, name, kIdsMagic);
	} catch (const Error &e) {
		if (e.code() == CCR_ERR_NOT_FOUND)
			return std::nullopt;
		throw;
	}
	if (image.entries.empty())
		return std::nullopt;
	return single_entry<criu::task_kobj_ids_entry>(image, name, "task ids entry");
}

// The dumper's namespaces are the ones CRIU itself ran in: a task sharing
// one of them was not in a namespace of the container's own, and CRIU would
// restore it into the restoring host's namespace of that type.
void check_namespaces(int dirfd, const std::vector<Task> &tasks, const ImageExpectations &expect)
{
	if (expect.new_namespaces.empty())
		return;
	const std::string inv_name = "inventory.img";
	auto inventory = single_entry<criu::inventory_entry>(read_criu_image(dirfd, inv_name, kInventoryMagic),
							     inv_name, "inventory entry");
	if (!inventory.has_root_ids())
		refuse(inv_name, "root_ids is missing: the dumping host's namespaces are unknown");
	const auto &host = inventory.root_ids();

	std::vector<const NamespaceField *> fields;
	for (const auto &type : expect.new_namespaces)
		if (const NamespaceField *f = namespace_field(type))
			fields.push_back(f);

	const Task &root = tasks.front();
	const std::string root_name = ids_image(root.pid);
	auto root_ids = task_ids(dirfd, root.pid);
	if (!root_ids)
		refuse(root_name, "the root task has no namespace ids");
	for (const NamespaceField *f : fields) {
		if (!((*root_ids).*(f->has))())
			refuse(root_name, std::string("ids.") + f->field +
						  " is missing, but the config asks for a new " + f->oci_type +
						  " namespace");
		if ((host.*(f->has))() && ((*root_ids).*(f->get))() == (host.*(f->get))())
			refuse(root_name, std::string("ids.") + f->field + " is the dumping host's " + f->oci_type +
						  " namespace, but the config asks for a new one: the checkpoint is "
						  "not of a container with its own " +
						  f->oci_type + " namespace");
	}
	for (size_t i = 1; i < tasks.size(); i++) {
		auto ids = task_ids(dirfd, tasks[i].pid);
		if (!ids)
			continue;
		const std::string name = ids_image(tasks[i].pid);
		for (const NamespaceField *f : fields)
			if ((host.*(f->has))() && ((*ids).*(f->has))() && ((*ids).*(f->get))() == (host.*(f->get))())
				refuse(name, std::string("ids.") + f->field + " is the dumping host's " + f->oci_type +
						     " namespace: the task left the container's");
	}
}

// A cgroup path relative to a hierarchy's root (a leading '/' allowed when
// `absolute`): every component a real directory name, so that CRIU, which
// joins it to the hierarchy's mount, stays below it.
void check_cgroup_path(std::string_view path, bool absolute, const std::string &field)
{
	const std::string name = "cgroup.img";
	std::string_view rest = path;
	if (absolute && !rest.empty() && rest.front() == '/')
		rest.remove_prefix(1);
	if (rest.empty())
		return; // the hierarchy's root itself
	size_t depth = 0;
	while (true) {
		size_t slash = rest.find('/');
		std::string_view part = rest.substr(0, slash);
		if (part.empty() || part == "." || part == "..")
			refuse(name, field + " \"" + std::string(path) + "\" has a component \"" + std::string(part) +
					     "\": only plain directory names are allowed");
		if (part.find('\0') != std::string_view::npos)
			refuse(name, field + " has a NUL byte");
		if (++depth > kMaxCgroupDepth)
			refuse(name, field + " is deeper than " + std::to_string(kMaxCgroupDepth) + " directories");
		if (slash == std::string_view::npos)
			return;
		rest.remove_prefix(slash + 1);
	}
}

void check_cgroup_dirs(const google::protobuf::RepeatedPtrField<criu::cgroup_dir_entry> &dirs, size_t depth,
		       size_t &count, const std::string &where)
{
	for (const auto &d : dirs) {
		if (++count > kMaxCgroupEntries)
			refuse("cgroup.img", "more than " + std::to_string(kMaxCgroupEntries) + " entries");
		if (depth > kMaxCgroupDepth)
			refuse("cgroup.img", where + " nests deeper than " + std::to_string(kMaxCgroupDepth));
		const std::string field = where + ".dir_name";
		// The top level's "" is the hierarchy's root, which CRIU skips.
		if (!(depth == 0 && d.dir_name().empty()))
			check_cgroup_path(d.dir_name(), false, field);
		check_cgroup_dirs(d.children(), depth + 1, count, where + " \"" + d.dir_name() + "\" children");
	}
}

void check_cgroups(int dirfd)
{
	const std::string name = "cgroup.img";
	CriuImage image;
	try {
		image = read_criu_image(dirfd, name, kCgroupMagic);
	} catch (const Error &e) {
		if (e.code() == CCR_ERR_NOT_FOUND)
			return; // CRIU restores no cgroup then (a dump with cgroups management off)
		throw;
	}
	auto cg = single_entry<criu::cgroup_entry>(image, name, "cgroup entry");
	size_t count = 0;
	for (const auto &set : cg.sets())
		for (const auto &ctl : set.ctls()) {
			if (++count > kMaxCgroupEntries)
				refuse(name, "more than " + std::to_string(kMaxCgroupEntries) + " entries");
			check_cgroup_path(ctl.path(), true,
					  "set " + std::to_string(set.id()) + " " + ctl.name() + " path");
		}
	for (const auto &ctl : cg.controllers()) {
		std::string names;
		for (const auto &n : ctl.cnames())
			names += (names.empty() ? "" : ",") + n;
		check_cgroup_dirs(ctl.dirs(), 0, count, "controller " + names + " dirs");
	}
}

} // namespace

void verify_images(int images_dirfd, const ImageExpectations &expect)
{
	std::vector<Task> tasks = read_process_tree(images_dirfd);
	check_namespaces(images_dirfd, tasks, expect);
	check_cgroups(images_dirfd);
}

} // namespace ccr
