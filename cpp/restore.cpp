// SPDX-License-Identifier: Apache-2.0
// A restore, from the images to a running container: prepare the restore
// root, mountpoints, namespaces and stdio, start one CRIU inside the
// container's cgroups, drive the restore, and on any failure take away every
// process, cgroup and mount made for it.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <set>

#include "builtin_notify.hpp"
#include "cgroups.hpp"
#include "stopwatch.hpp"
#include "criu_config_file.hpp"
#include "criu_dir_check.hpp"
#include "criu_log.hpp"
#include "criu_version.hpp"
#include "descriptors.hpp"
#include "external_mounts.hpp"
#include "log.hpp"
#include "image_verifier.hpp"
#include "lazy_page_watch.hpp"
#include "namespaces.hpp"
#include "oci_config.hpp"
#include "operation_common.hpp"
#include "operations.hpp"
#include "processes_outside_tree.hpp"
#include "request_builder.hpp"
#include "restore_root.hpp"
#include "secure_dir.hpp"

namespace ccr {
namespace {

std::vector<std::pair<std::string, std::string>> cgroup_paths_of(const ContainerSpec &spec, const OciConfig &config)
{
	if (!spec.cgroup_paths.empty())
		return {spec.cgroup_paths.begin(), spec.cgroup_paths.end()};
	std::string path = config.cgroups_path;
	if (path.empty())
		path = "/" + spec.id;
	else if (path[0] != '/') {
		if (path.find(':') != std::string::npos)
			throw Error(CCR_ERR_CONFIG, "linux.cgroupsPath \"" + path +
							    "\" is a systemd unit; ccr needs a cgroupfs path: set it "
							    "with ccr_container_set_cgroup_path()");
		path = "/" + path;
	}
	return {{"", path}};
}

// The caller's descriptor `fd`, if it is open; else -1 (CRIU gets /dev/null).
int open_or_none(int fd)
{
	return ::fcntl(fd, F_GETFD) >= 0 ? fd : -1;
}

// The restored init is our child (rst_sibling): a failed restore must not
// leave it behind, nor a zombie.
void kill_and_reap(int pid) noexcept
{
	if (pid <= 0)
		return;
	::kill(pid, SIGKILL);
	while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
	}
}

// A lazy restore needs a `criu lazy-pages` daemon listening on
// "lazy-pages.socket" in CRIU's work directory. CRIU's log names only that
// relative name (and its first error line is often unrelated), so when no
// socket is there, say where one was expected.
void explain_missing_lazy_pages_daemon(Error &err, const Options &opts, const OperationDirs &dirs)
{
	if (!opts.lazy_pages || !dirs.work || err.code() != CCR_ERR_CRIU_FAILED)
		return;
	struct stat st;
	if (::fstatat(dirs.work.get(), "lazy-pages.socket", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode))
		return;
	err.appended("; no criu lazy-pages daemon listens on " + dirs.work_path +
		     "/lazy-pages.socket (start `criu lazy-pages` with this work directory first)");
}

// A lazy restore waits on a page source ccr does not control: the restore's
// processes (CRIU and what it restores, all in the container's cgroups) are
// watched, and a page that does not come within kLazyPageStall fails the
// restore instead of leaving it waiting for ever.
void watch_lazy_pages(CriuSession &session, const CgroupPlacement &placement)
{
	auto watch = std::make_shared<LazyPageWatch>();
	std::vector<std::string> dirs = placement.joined_dirs();
	session.set_watchdog(
		[watch, dirs] {
			std::set<int> pids;
			for (const auto &dir : dirs)
				for (int pid : processes_in_cgroup_tree(dir))
					pids.insert(pid);
			watch->check({pids.begin(), pids.end()});
		},
		kLazyPageCheckEvery);
}

// CRIU's join_ns names, as OCI types.
std::string oci_namespace_type(const std::string &criu_name)
{
	if (criu_name == "net")
		return "network";
	if (criu_name == "mnt")
		return "mount";
	return criu_name;
}

// Whether the namespace the config names by path is this process's own
// (what CRIU's restore is in) of that type; false when either cannot be
// stat'ed (the restore then opens the path and says why).
bool is_own_namespace(const OciNamespace &ns)
{
	const std::string name = ns.type == "network" ? "net" : ns.type == "mount" ? "mnt" : ns.type;
	struct stat named, own;
	if (::stat(ns.path.c_str(), &named) != 0 || ::stat(("/proc/self/ns/" + name).c_str(), &own) != 0)
		return false;
	return named.st_dev == own.st_dev && named.st_ino == own.st_ino;
}

// The device nodes runc gives every container, with their numbers.
void add_default_devices(ImageExpectations &e)
{
	const struct {
		const char *path;
		int64_t major, minor;
	} defaults[] = {{"/dev/null", 1, 3},    {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},    {"/dev/random", 1, 8},
			{"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},  {"/dev/console", 5, 1}, {"/dev/ptmx", 5, 2}};
	for (const auto &d : defaults)
		e.devices[d.path] = {'c', d.major, d.minor};
}

// What the images must agree with: the config's namespaces, mounts and
// devices, and what the caller adds (join_ns, ext_mounts, externals).
// `ext_mounts` are the external mounts the restore hands CRIU.
ImageExpectations image_expectations(const OciConfig &config, const Options &opts,
				     const std::vector<ExtMount> &ext_mounts)
{
	ImageExpectations e;
	for (const auto &ns : config.namespaces) {
		(ns.path.empty() ? e.new_namespaces : e.joined_namespaces).push_back(ns.type);
		if (!ns.path.empty() && is_own_namespace(ns))
			e.joined_own_namespaces.push_back(ns.type);
	}
	for (const auto &j : opts.join_ns)
		e.caller_joined_namespaces.push_back(oci_namespace_type(j[0]));
	for (const auto &m : ext_mounts)
		e.ext_mount_keys.insert(m.key);
	for (const auto &[key, val] : opts.ext_mounts)
		e.ext_mount_keys.insert(key);
	e.auto_ext_mounts = opts.auto_ext_mnt;
	e.externals = opts.externals;
	for (const auto &m : config.mounts) {
		std::string dest = m.destination;
		while (dest.size() > 1 && dest.back() == '/')
			dest.pop_back();
		if (!m.is_bind())
			e.config_mounts.push_back(
				{dest, m.type, m.source,
				 std::find(m.options.begin(), m.options.end(), "ro") != m.options.end()});
		if (dest.rfind("/dev/", 0) == 0)
			e.dev_mounts.push_back(dest);
	}
	add_default_devices(e);
	for (const auto &d : config.devices)
		e.devices[d.path] = {d.type == "b" ? 'b' : 'c', d.major, d.minor};
	return e;
}

} // namespace

OperationResult restore(const ContainerSpec &spec, const Options &opts)
{
	Stopwatch wall;
	const auto &log = opts.log;
	log_info(log, "restore of container {} from {}", spec.id, opts.images_dir);
	OciConfig config = load_oci_config(spec);
	std::string rootfs = resolve_rootfs(spec, config);
	std::string identity = criu_binary_identity(opts.criu_path);
	OperationDirs dirs = open_operation_dirs(opts, false);
	check_criu_dirs(dirs);
	std::vector<std::string> descriptors = read_descriptors(dirs.images.get());
	auto hierarchies = host_cgroup_hierarchies();
	// Before anything is created: images that do not fit the container
	// description are refused with nothing to undo. The external mounts'
	// keys do not depend on where the cgroups will be.
	verify_images(dirs.images.get(),
		      image_expectations(config, opts,
					 restore_external_mounts(config, rootfs, hierarchies,
								 [](const CgroupHierarchy &) { return ""; })));

	auto cgroup_paths = cgroup_paths_of(spec, config);
	for (const auto &[controllers, path] : cgroup_paths)
		log_debug(log, "cgroup {}{}{}", controllers, controllers.empty() ? "" : ": ", path);
	CgroupPlacement placement(hierarchies, cgroup_paths);

	std::optional<TempDir> temp_state;
	std::string state_dir = spec.state_dir;
	if (state_dir.empty()) {
		temp_state.emplace(TempDir::create("/run/ccr", spec.id + "-"));
		state_dir = temp_state->path();
	} else {
		open_private_dir(state_dir, true, "state directory");
	}

	// CRIU creates the container's cgroups through ccr's yard of binds
	// rather than mounts of its own, which would strip the host's cgroup2
	// options. Declared after the state directory: it goes first.
	CgroupYard yard = operation_cgroup_yard(opts, true, state_dir, hierarchies, read_proc_cgroup(::getpid()));

	create_missing_mountpoints(config, rootfs);
	RestoreRoot root(state_dir, rootfs);
	log_debug(log, "rootfs {} bind-mounted on {}", rootfs, root.path());
	// Namespace descriptors are the first extra descriptors CRIU gets.
	RestoreNamespaces ns = restore_namespaces(config, kCriuFirstExtraFd);

	RestorePlan plan;
	plan.images_dir_fd = dirs.images.get();
	plan.work_dir_fd = dirs.work.get();
	plan.root = root.path();
	plan.ext_mounts = restore_external_mounts(config, rootfs, hierarchies,
						  [&](const CgroupHierarchy &h) { return placement.dir_for(h); });
	// Pipes cannot be reopened by path: CRIU takes them from its own stdio,
	// which is the caller's choice of descriptors.
	for (size_t i = 0; i < descriptors.size() && i < 3; i++)
		if (descriptors[i].rfind("pipe:", 0) == 0)
			plan.inherit_fds.emplace_back(descriptors[i], int(i));
	plan.inherit_fds.insert(plan.inherit_fds.end(), ns.inherit_fds.begin(), ns.inherit_fds.end());
	plan.join_ns = ns.join_ns;
	plan.cgroup_yard = yard.path();
	plan.config_file = choose_criu_config_file(opts, config);
	std::string log_name = log_file_name(opts, true);
	log_debug(log, "{} external mounts; {} namespaces joined; {} inherited descriptors; CRIU config file: {}",
		  plan.ext_mounts.size(), plan.join_ns.size(), plan.inherit_fds.size(),
		  plan.config_file.value_or("none"));

	CriuLaunch launch;
	launch.criu_path = opts.criu_path;
	launch.own_process_group = !opts.shell_job;
	for (int i = 0; i < 3; i++)
		launch.stdio[i] = spec.stdio[i] >= 0 ? spec.stdio[i] : open_or_none(i);
	for (const auto &fd : ns.fds)
		launch.pass(fd.get());
	for (const auto &entry : caller_inherit_fds(opts, [&](int fd) { return launch.pass(fd); }))
		plan.inherit_fds.push_back(entry);

	int restored_pid = 0;
	OperationResult result;
	Cgroup2OptionsGuard cgroup2_options;
	try {
		Stopwatch criu;
		CriuSession session = start_criu_session(launch, deadline_of(opts), opts.cancellation);
		log_info(log, "criu {} started (pid {}), log {}/{}", opts.criu_path, session.process().pid(),
			 dirs.work_path, log_name);
		// CRIU's children, the restored tree, inherit its cgroups.
		placement.join(session.process().pid());
		plan.cgroup_roots = placement.roots_of(session.process().pid());
		if (opts.lazy_pages)
			watch_lazy_pages(session, placement);
		criu::criu_req req = build_restore_request(opts, plan);
		check_criu_version(session, identity);
		require_features(session, identity, features_needed(opts, true));
		criu::criu_resp resp = exchange(
			session, req,
			[&](const NotifyEvent &ev) {
				log_debug(log, "notification {} (pid {})", ev.script, ev.pid);
				if (ev.script == "post-restore" || ev.script == "setup-namespaces")
					restored_pid = ev.pid;
				if (ev.script == "orphan-pts-master" && !opts.console_socket.empty())
					send_to_console_socket(opts.console_socket, ev.fd);
				call_user_notify(opts, ev);
			},
			"criu restore");
		restored_pid = resp.restore().pid();
		result.stats.criu_time_us = criu.elapsed_us();
		session.finish();
	} catch (Error &err) {
		log_warning(log, "criu restore failed: {}", err.message());
		check_cgroup2_options(cgroup2_options, opts);
		if (restored_pid > 0)
			log_debug(log, "killing the restored init {}", restored_pid);
		kill_and_reap(restored_pid);
		placement.rollback();
		remove_leftover_cgroup_yards(dirs.work_path);
		log_debug(log, "removed the cgroups, mounts and state made for the restore");
		attach_criu_log(err, dirs, log_name);
		explain_missing_lazy_pages_daemon(err, opts, dirs);
		err.prefixed("restore of container " + spec.id + " from " + dirs.images_path);
		throw;
	}
	check_cgroup2_options(cgroup2_options, opts, &result.warnings);
	placement.commit();
	result.pid = restored_pid;
	// The container runs: nothing from here on may turn that into a
	// failure, or a retry would start a second copy of it.
	after_success(result.warnings, log, "CRIU's restore statistics could not be read",
		      [&] { read_restore_stats(dirs.work.get(), result.stats); });
	result.stats.wall_time_us = wall.elapsed_us();
	log_info(log, "restored container {} as pid {} in {} ms, {} ms of it in CRIU", spec.id, restored_pid,
		 result.stats.wall_time_us.value_or(0) / 1000, result.stats.criu_time_us.value_or(0) / 1000);
	return result;
}

} // namespace ccr
