// SPDX-License-Identifier: Apache-2.0
// A checkpoint, from the container description to CRIU's answer: work out
// what CRIU must know (freezer, external mounts and namespaces, stdio), start
// one CRIU, drive the dump, and on any failure leave the container running.
#include <signal.h>
#include <sys/stat.h>

#include "builtin_notify.hpp"
#include "cgroups.hpp"
#include "checkpoint_target.hpp"
#include "stopwatch.hpp"
#include "criu_config_file.hpp"
#include "criu_host_hints.hpp"
#include "criu_dir_check.hpp"
#include "criu_log.hpp"
#include "criu_version.hpp"
#include "descriptors.hpp"
#include "external_mounts.hpp"
#include "log.hpp"
#include "namespaces.hpp"
#include "network_lock_choice.hpp"
#include "network_lock_cleanup.hpp"
#include "oci_config.hpp"
#include "operation_common.hpp"
#include "operations.hpp"
#include "processes_outside_tree.hpp"
#include "request_builder.hpp"
#include "secure_dir.hpp"

namespace ccr {
namespace {

void require_live_process(const ContainerSpec &spec)
{
	if (spec.pid <= 0)
		throw Error(CCR_ERR_INVALID_ARGUMENT, "container " + spec.id + ": no init pid was set");
	if (::kill(spec.pid, 0) != 0 && errno == ESRCH)
		throw Error(CCR_ERR_NOT_FOUND,
			    "container " + spec.id + ": process " + std::to_string(spec.pid) + " does not exist",
			    ESRCH);
}

void require_parent_images(const Options &opts, const OperationDirs &dirs)
{
	if (opts.parent_path.empty())
		return;
	if (opts.parent_path[0] == '/')
		throw Error(CCR_ERR_INVALID_ARGUMENT,
			    "parent path " + opts.parent_path + " must be relative to the images directory");
	struct stat st;
	if (::fstatat(dirs.images.get(), opts.parent_path.c_str(), &st, 0) != 0 || !S_ISDIR(st.st_mode))
		throw Error(CCR_ERR_NOT_FOUND,
			    "parent images " + dirs.images_path + "/" + opts.parent_path + " do not exist");
}

// The container's own freezer, or the one the caller named ("" for none:
// CRIU then seizes the processes with ptrace alone).
Freezer chosen_freezer(int pid, const Options &opts, const std::vector<CgroupHierarchy> &hierarchies)
{
	if (!opts.freeze_cgroup)
		return freezer_of(pid, hierarchies);
	if (opts.freeze_cgroup->empty())
		return {};
	struct stat st;
	bool v2 = ::stat((*opts.freeze_cgroup + "/cgroup.freeze").c_str(), &st) == 0;
	return Freezer{*opts.freeze_cgroup, v2};
}

} // namespace

OperationResult checkpoint(const ContainerSpec &spec, const Options &opts)
{
	Stopwatch wall;
	// The status descriptor is ours to close from here on, whatever happens.
	StatusFd status(opts.status_fd->exchange(-1));
	const auto &log = opts.log;
	log_info(log, "{} of container {} (pid {}) into {}", opts.pre_dump ? "pre-dump" : "checkpoint", spec.id,
		 spec.pid, opts.images_dir);
	require_live_process(spec);
	OciConfig config = load_oci_config(spec);
	const OciNamespace *pid_ns = config.find_namespace("pid");
	require_container_init(spec, pid_ns ? pid_ns->path : "");
	std::string rootfs = resolve_rootfs(spec, config);
	std::string identity = criu_binary_identity(opts.criu_path);
	// A lazy dump serves pages from its own page server: refuse it before
	// the container is frozen where CRIU could not serve a single page.
	if (opts.lazy_pages && !opts.pre_dump)
		if (std::string limit = lazy_pages_host_limit(read_host_facts()); !limit.empty())
			throw Error(CCR_ERR_UNSUPPORTED,
				    "container " + spec.id + ": a lazy checkpoint cannot work here: " + limit);
	OperationDirs dirs = open_operation_dirs(opts, true);
	require_parent_images(opts, dirs);
	check_criu_dirs(dirs);

	auto hierarchies = host_cgroup_hierarchies();
	Freezer freezer = chosen_freezer(spec.pid, opts, hierarchies);
	require_private_freezer(spec, freezer, hierarchies);
	// A container the caller had paused stays paused if we fail.
	bool was_frozen = freezer && freezer.frozen();
	if (freezer)
		log_debug(log, "freezer: {} (cgroup v{}{})", freezer.dir, freezer.v2 ? 2 : 1,
			  was_frozen ? ", paused by the caller: stays paused" : "");
	else
		log_debug(log, "no freezer cgroup: CRIU stops the processes with ptrace");

	// CRIU takes the init's tree only: a process beside it in the cgroup
	// (runc exec) would be lost without a word.
	std::vector<OutsideProcess> outside;
	if (freezer)
		outside = processes_outside_tree(spec.pid, freezer.dir);
	if (!outside.empty() && !opts.allow_processes_outside_tree)
		throw Error(CCR_ERR_UNSUPPORTED,
			    "container " + spec.id + ": process" + (outside.size() > 1 ? "es " : " ") +
				    describe(outside) + " in its cgroup " + freezer.dir +
				    (outside.size() > 1 ? " are" : " is") + " not in the process tree of its init " +
				    std::to_string(spec.pid) +
				    " (started from outside, as with runc exec): CRIU dumps only that tree, so the "
				    "restored container would lack " +
				    (outside.size() > 1 ? "them" : "it") + "; stop " +
				    (outside.size() > 1 ? "them" : "it") +
				    " first, or allow it with ccr_options_set_allow_processes_outside_tree()");

	DumpPlan plan;
	plan.pid = spec.pid;
	plan.images_dir_fd = dirs.images.get();
	plan.work_dir_fd = dirs.work.get();
	plan.root = rootfs;
	plan.freeze_cgroup = freezer.dir;
	// CRIU reads the container's cgroups through ccr's yard of binds rather
	// than mounts of its own, which would strip the host's cgroup2 options.
	std::optional<TempDir> state;
	CgroupYard yard;
	if (opts.cgroup_mode != CCR_CGROUP_IGNORE) {
		state.emplace(TempDir::create("/run/ccr", spec.id + "-"));
		yard = operation_cgroup_yard(opts, false, state->path(), hierarchies, read_proc_cgroup(spec.pid));
		plan.cgroup_yard = yard.path();
	}
	std::string proc_root = "/proc/" + std::to_string(spec.pid) + "/root";
	plan.ext_mounts = dump_external_mounts(config, rootfs, hierarchies, [&](const std::string &p) {
		struct stat st;
		return ::stat((proc_root + "/" + p).c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
	});
	plan.external = dump_external_namespaces(config);
	plan.config_file = choose_criu_config_file(opts, config);
	const OciNamespace *net_ns = config.find_namespace("network");
	plan.network_lock = chosen_network_lock(opts, identity, net_ns && net_ns->path.empty());
	log_debug(log, "rootfs {}; {} external mounts; {} external namespaces; CRIU config file: {}; network lock: {}",
		  rootfs, plan.ext_mounts.size(), plan.external.size(), plan.config_file.value_or("none"),
		  plan.network_lock == criu::NFTABLES   ? "nftables"
		  : plan.network_lock == criu::IPTABLES ? "iptables"
		  : plan.network_lock == criu::SKIP     ? "none (skip)"
							: "CRIU's default (iptables)");
	CriuLaunch launch;
	launch.criu_path = opts.criu_path;
	launch.own_process_group = !opts.shell_job;
	if (opts.page_server.fd >= 0)
		plan.page_server_fd = launch.pass(opts.page_server.fd);
	if (opts.pidfd_store_fd >= 0)
		plan.pidfd_store_fd = launch.pass(opts.pidfd_store_fd);
	criu::criu_req req = build_dump_request(opts, plan);
	std::string log_name = log_file_name(opts, false);
	std::string what = opts.pre_dump ? "criu pre-dump" : "criu dump";

	// Restore needs to know what the container's stdio were (pipes are
	// handed back by the caller); record them before CRIU touches anything.
	if (!opts.pre_dump)
		write_descriptors(dirs.images.get(), read_process_stdio(spec.pid));

	OperationResult result;
	// From the network-lock notification on, CRIU may have cut the
	// container's network off; a CRIU that dies cannot undo that itself.
	bool network_locked = false;
	Cgroup2OptionsGuard cgroup2_options;
	try {
		Stopwatch criu;
		CriuSession session = start_criu_session(launch, deadline_of(opts), opts.cancellation);
		log_info(log, "criu {} started (pid {}), log {}/{}", opts.criu_path, session.process().pid(),
			 dirs.work_path, log_name);
		check_criu_version(session, identity);
		require_features(session, identity, features_needed(opts, false));
		exchange(
			session, req,
			[&](const NotifyEvent &ev) {
				log_debug(log, "notification {} (pid {})", ev.script, ev.pid);
				if (ev.script == "status-ready")
					status.ready();
				if (ev.script == "network-lock")
					network_locked = true;
				call_user_notify(opts, ev);
			},
			what);
		result.stats.criu_time_us = criu.elapsed_us();
		session.finish();
	} catch (Error &err) {
		// The session is gone (CRIU killed and reaped) by now. A CRIU that
		// died while the container was frozen leaves it frozen and its
		// network locked: undo both.
		log_warning(log, "{} failed: {}", what, err.message());
		check_cgroup2_options(cgroup2_options, opts);
		std::string unlocked =
			network_locked
				? remove_leftover_network_lock(spec.pid, read_criu_run_id(dirs.work.get(), log_name))
				: "";
		if (!unlocked.empty())
			log_info(log, "removed the network lock CRIU left: {}", unlocked);
		if (freezer && !was_frozen) {
			freezer.thaw();
			log_debug(log, "thawed {}", freezer.dir);
		} else if (freezer && !freezer.frozen()) {
			// CRIU thaws the cgroup once it holds the tasks with ptrace
			// and freezes it again only when it finishes: a paused
			// container whose CRIU died would run. Pause it again.
			freezer.freeze();
			log_debug(log, "froze {} again: the container was paused before the checkpoint", freezer.dir);
		}
		attach_criu_log(err, dirs, log_name, opts.lazy_pages && !opts.pre_dump);
		if (!unlocked.empty())
			err.appended("; ccr removed the network lock CRIU left in the container (" + unlocked + ")");
		err.prefixed("checkpoint of container " + spec.id + " (pid " + std::to_string(spec.pid) + ")");
		throw;
	}
	check_cgroup2_options(cgroup2_options, opts, &result.warnings);
	try {
		for (const auto &p : outside) {
			result.warnings.push_back(
				"process " + std::to_string(p.pid) + " (" + p.command +
				") was left out: it is not in the process tree of the container's init");
			log_warning(log, "{}", result.warnings.back());
		}
	} catch (...) {
		// Out of memory for a note: the checkpoint stands.
	}
	// The container is dumped (and, without leave_running, gone): nothing
	// from here on may turn that into a failure.
	after_success(result.warnings, log, "CRIU's dump statistics could not be read",
		      [&] { read_dump_stats(dirs.work.get(), result.stats); });
	result.stats.wall_time_us = wall.elapsed_us();
	log_info(log, "{} done in {} ms, {} ms of it in CRIU", what, result.stats.wall_time_us.value_or(0) / 1000,
		 result.stats.criu_time_us.value_or(0) / 1000);
	return result;
}

} // namespace ccr
