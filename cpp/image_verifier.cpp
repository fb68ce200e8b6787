// SPDX-License-Identifier: Apache-2.0
#include "image_verifier.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "image_verifier_parts.hpp"
#include "images.pb.h"

namespace ccr {
namespace image_check {

void refuse(const std::string &image, const std::string &what)
{
	throw Error(CCR_ERR_IMAGE, "CRIU image " + image + ": " + what);
}

std::optional<CriuImage> read_if_present(int dirfd, const std::string &name, uint32_t magic)
{
	try {
		return read_criu_image(dirfd, name, magic);
	} catch (const Error &e) {
		if (e.code() == CCR_ERR_NOT_FOUND)
			return std::nullopt;
		throw;
	}
}

// Component-wise, and only for plain paths: a "." or ".." component or an
// empty one (other than a trailing '/') makes a path below nothing.
bool at_or_below(const std::string &path, const std::string &dir)
{
	std::string_view p = path;
	size_t start = 0;
	while (start < p.size()) {
		size_t slash = p.find('/', start);
		std::string_view part = p.substr(start, slash == std::string_view::npos ? p.npos : slash - start);
		if (part == "." || part == ".." || (part.empty() && start != 0 && slash != std::string_view::npos))
			return false;
		if (slash == std::string_view::npos)
			break;
		start = slash + 1;
	}
	std::string d = dir;
	while (d.size() > 1 && d.back() == '/')
		d.pop_back();
	if (d == "/")
		return !path.empty() && path.front() == '/';
	return path == d || (path.size() > d.size() && path.compare(0, d.size(), d) == 0 && path[d.size()] == '/');
}

} // namespace image_check

namespace {

using image_check::read_if_present;
using image_check::refuse;

inline constexpr uint32_t kPstreeMagic = 0x50273030;
inline constexpr uint32_t kIdsMagic = 0x54432030;
inline constexpr uint32_t kCgroupMagic = 0x59383330;

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

bool listed(const std::vector<std::string> &types, const std::string &type)
{
	return std::find(types.begin(), types.end(), type) != types.end();
}

struct NamespaceFacts {
	uint32_t root_mnt_ns = 0;
	std::set<uint32_t> mnt_ns_ids; // of every task with ids
};

// A namespace the config joins by path that ccr hands CRIU as external
// (network, pid): CRIU joins it only when the images record it as external
// under the key ccr gives; otherwise it makes a new one.
struct ExternalKind {
	const char *oci_type;
	const char *image_prefix;
	uint32_t magic;
	const char *key;
};
constexpr ExternalKind kExternalKinds[] = {
	{"network", "netns-", image_check::kNetnsMagic, "extRootNetNS"},
	{"pid", "pidns-", image_check::kPidnsMagic, "extRootPidNS"},
};

void check_external_namespace(int dirfd, const ExternalKind &kind, uint32_t id)
{
	const std::string name = kind.image_prefix + std::to_string(id) + ".img";
	std::optional<CriuImage> image = read_if_present(dirfd, name, kind.magic);
	std::string key = "(none)";
	if (image && image->entries.size() == 1) {
		if (std::string(kind.oci_type) == "network") {
			criu::netns_entry e;
			if (e.ParseFromString(image->entries.front()) && e.has_ext_key())
				key = e.ext_key();
		} else {
			criu::pidns_entry e;
			if (e.ParseFromString(image->entries.front()) && e.has_ext_key())
				key = e.ext_key();
		}
	}
	if (key != kind.key)
		refuse(name, std::string("ext_key is ") + key + ", not " + kind.key + ", but the config joins the " +
				     kind.oci_type + " namespace by path: CRIU would make a new " + kind.oci_type +
				     " namespace instead of joining the one the config names");
}

// What the images must say about each namespace type, by what the config
// asks for. The dumper's namespaces (inventory.img root_ids) are the ones
// CRIU itself ran in; CRIU restores a task whose id equals the dumper's in
// the restoring CRIU's own namespace of that type (the host's), and makes
// a new one for any other id.
//   - new (listed without a path): the root task's id is not the dumper's,
//     and no other task's is;
//   - network or pid by path: not the dumper's, and the namespace is
//     recorded as external under the key ccr hands back (else CRIU would
//     make a new one); or the dumper's when the path names the restoring
//     side's own namespace (CRIU leaves the task there, which is where the
//     config asks for it: a host-network pod's container);
//   - ipc, uts, time or user by path, or any type the caller joins with
//     join_ns: nothing (CRIU moves the root task into the joined one
//     whatever the images say);
//   - mount, whatever the config says: not the dumper's, or the restored
//     root would be the host's / instead of the container's rootfs;
//   - not listed (shared with the restoring side): the dumper's, or CRIU
//     would make a namespace the config does not ask for. Cgroup and time
//     aside: CRIU makes no cgroup namespace from these ids, and puts every
//     tree it restores in a time namespace of its own (to keep the
//     monotonic clocks), so a restored container's next checkpoint has one.
NamespaceFacts check_namespaces(int dirfd, const std::vector<Task> &tasks, const ImageExpectations &expect)
{
	const std::string inv_name = "inventory.img";
	auto inventory = single_entry<criu::inventory_entry>(read_criu_image(dirfd, inv_name, kInventoryMagic),
							     inv_name, "inventory entry");
	if (!inventory.has_root_ids())
		refuse(inv_name, "root_ids is missing: the dumping host's namespaces are unknown");
	const auto &host = inventory.root_ids();

	const Task &root = tasks.front();
	const std::string root_name = ids_image(root.pid);
	auto root_ids = task_ids(dirfd, root.pid);
	if (!root_ids)
		refuse(root_name, "the root task has no namespace ids");
	auto field = [](const NamespaceField *f) { return std::string("ids.") + f->field; };
	for (const auto &ns : kNamespaces) {
		const NamespaceField *f = &ns;
		const std::string type = f->oci_type;
		const bool has = ((*root_ids).*(f->has))();
		const bool dumpers = has && (host.*(f->has))() && ((*root_ids).*(f->get))() == (host.*(f->get))();
		if (listed(expect.caller_joined_namespaces, type))
			continue;
		if (listed(expect.new_namespaces, type)) {
			if (!has)
				refuse(root_name,
				       field(f) + " is missing, but the config asks for a new " + type + " namespace");
			if (dumpers)
				refuse(root_name, field(f) + " is the dumping host's " + type +
							  " namespace, but the config asks for a new one: the "
							  "checkpoint is not of a container with its own " +
							  type + " namespace");
			continue;
		}
		if (type == "mount") {
			if (!has || dumpers)
				refuse(root_name, field(f) + " is " + (has ? "the dumping host's" : "missing") +
							  ": the restored root would be the host's /, not the "
							  "container's rootfs");
			continue;
		}
		if (listed(expect.joined_namespaces, type)) {
			for (const auto &kind : kExternalKinds) {
				if (type != kind.oci_type)
					continue;
				if (dumpers && listed(expect.joined_own_namespaces, type))
					continue;
				if (!has || dumpers)
					refuse(root_name,
					       field(f) + " is " + (has ? "the dumping host's" : "missing") +
						       ", but the config joins a " + type +
						       " namespace by path: CRIU would leave the task in the "
						       "restoring host's");
				check_external_namespace(dirfd, kind, ((*root_ids).*(f->get))());
			}
			continue;
		}
		if (type != "cgroup" && type != "time" && has && (host.*(f->has))() && !dumpers)
			refuse(root_name, field(f) + " is the container's own " + type +
						  " namespace, but the config does not ask for one: CRIU would make a "
						  "new " +
						  type + " namespace");
	}

	NamespaceFacts facts;
	facts.root_mnt_ns = root_ids->mnt_ns_id();
	facts.mnt_ns_ids.insert(facts.root_mnt_ns);
	for (size_t i = 1; i < tasks.size(); i++) {
		auto ids = task_ids(dirfd, tasks[i].pid);
		if (!ids)
			continue;
		const std::string name = ids_image(tasks[i].pid);
		for (const auto &f : kNamespaces) {
			const bool confined =
				listed(expect.new_namespaces, f.oci_type) || std::string(f.oci_type) == "mount";
			if (confined && (host.*(f.has))() && ((*ids).*(f.has))() &&
			    ((*ids).*(f.get))() == (host.*(f.get))())
				refuse(name, field(&f) + " is the dumping host's " + f.oci_type +
						     " namespace: the task left the container's");
		}
		if (ids->has_mnt_ns_id())
			facts.mnt_ns_ids.insert(ids->mnt_ns_id());
	}
	return facts;
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

// Whether CRIU, given a new cgroup root for the controller, moves the set's
// path `path` below it. CRIU rewrites a path that starts (as a string) with
// the controller's top directory `dir` to the new root plus what follows
// `dir`, or, with a cgroup namespace prefix of `prefix` characters, to the
// new root plus what follows the prefix. Either rest must start a new
// component, or the task would land in a sibling of the new root
// ("/ccr/box" + "2").
bool rewritten_below_new_root(const std::string &path, const std::string &dir, uint32_t prefix)
{
	const std::string top = "/" + dir;
	if (path.compare(0, top.size(), top) != 0)
		return false;
	if (prefix == 0)
		return path == top || (path.size() > top.size() && path[top.size()] == '/' && !dir.empty());
	if (prefix > path.size() || prefix - 1 > dir.size())
		return false;
	const std::string rest = path.substr(prefix), dir_rest = dir.substr(prefix - 1);
	return (rest.empty() || rest.front() == '/') && (dir_rest.empty() || dir_rest.front() == '/');
}

// Every task's cgroup at or below the container's: each set's path must be
// one CRIU moves below the cgroup root ccr gives it (the container's new
// cgroup), and each controller's directories must hang from one top
// directory that such a path renames (an unrenamed one is made at the root
// of the host's hierarchy).
void check_cgroups_below_root(const criu::cgroup_entry &cg)
{
	const std::string name = "cgroup.img";
	auto names_of = [](const criu::cg_controller_entry &c) {
		std::string names;
		for (const auto &n : c.cnames())
			names += (names.empty() ? "" : ",") + n;
		return "controller \"" + names + "\"";
	};
	std::vector<bool> renamed(cg.controllers_size(), false);
	for (int i = 0; i < cg.controllers_size(); i++)
		if (cg.controllers(i).dirs_size() > 1)
			refuse(name, names_of(cg.controllers(i)) + " has " +
					     std::to_string(cg.controllers(i).dirs_size()) +
					     " top directories, where the container's cgroup was expected alone");
	for (const auto &set : cg.sets())
		for (const auto &ctl : set.ctls()) {
			const std::string field =
				"set " + std::to_string(set.id()) + " " + ctl.name() + " path \"" + ctl.path() + "\"";
			int owner = -1;
			for (int i = 0; i < cg.controllers_size() && owner < 0; i++)
				for (const auto &n : cg.controllers(i).cnames())
					if (n == ctl.name())
						owner = i;
			if (owner < 0 || cg.controllers(owner).dirs_size() == 0)
				refuse(name,
				       field + ": no controller entry with a directory lists " + ctl.name() +
					       ", so CRIU would put the task at that path of the host's hierarchy");
			const std::string &dir = cg.controllers(owner).dirs(0).dir_name();
			if (!rewritten_below_new_root(ctl.path(), dir, ctl.cgns_prefix()))
				refuse(name,
				       field +
					       (ctl.cgns_prefix()
							? " (cgns_prefix " + std::to_string(ctl.cgns_prefix()) + ")"
							: "") +
					       " is not at or below the container's cgroup \"/" + dir +
					       "\": CRIU would put the task outside the restore's cgroup");
			renamed[owner] = true;
		}
	for (int i = 0; i < cg.controllers_size(); i++)
		if (!renamed[i] && cg.controllers(i).dirs_size() > 0)
			refuse(name,
			       names_of(cg.controllers(i)) + " directory \"" + cg.controllers(i).dirs(0).dir_name() +
				       "\" holds no task's cgroup: CRIU would create it at the root of the host's "
				       "hierarchy");
}

} // namespace

namespace image_check {

void check_cgroups(int dirfd)
{
	const std::string name = "cgroup.img";
	std::optional<CriuImage> image = read_if_present(dirfd, name, kCgroupMagic);
	if (!image)
		return; // CRIU restores no cgroup then (a dump with cgroups management off)
	auto cg = single_entry<criu::cgroup_entry>(*image, name, "cgroup entry");
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
	check_cgroups_below_root(cg);
}

} // namespace image_check

void verify_images(int images_dirfd, const ImageExpectations &expect)
{
	std::vector<Task> tasks = read_process_tree(images_dirfd);
	NamespaceFacts facts = check_namespaces(images_dirfd, tasks, expect);
	image_check::check_mounts(images_dirfd, facts.root_mnt_ns, facts.mnt_ns_ids, expect);
	image_check::check_devices(images_dirfd, expect);
	image_check::check_cgroups(images_dirfd);
}

} // namespace ccr
