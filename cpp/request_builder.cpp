#include "request_builder.hpp"

namespace ccr {
namespace {

// Options that mean the same on dump and restore.
void set_shared_options(criu::criu_opts &o, const Options &opts, bool restore)
{
	o.set_log_level(opts.log_level);
	o.set_log_file(log_file_name(opts, restore));
	o.set_notify_scripts(true);
	// The orphan pts master goes to the caller (console socket) on restore;
	// on dump CRIU only needs to know it may meet one.
	o.set_orphan_pts_master(true);
	o.set_manage_cgroups(true);
	if (opts.cgroup_mode != CCR_CGROUP_DEFAULT)
		o.set_manage_cgroups_mode(to_criu_cg_mode(opts.cgroup_mode));
	if (opts.shell_job)
		o.set_shell_job(true);
	if (opts.tcp_established)
		o.set_tcp_established(true);
	if (opts.ext_unix_sk)
		o.set_ext_unix_sk(true);
	if (opts.file_locks)
		o.set_file_locks(true);
	if (opts.auto_dedup)
		o.set_auto_dedup(true);
	if (opts.empty_ns)
		o.set_empty_ns(opts.empty_ns);
}

void add_ext_mounts(criu::criu_opts &o, const std::vector<ExtMount> &mounts)
{
	for (const auto &m : mounts) {
		auto *e = o.add_ext_mnt();
		e->set_key(m.key);
		e->set_val(m.val);
	}
}

} // namespace

std::string log_file_name(const Options &opts, bool restore)
{
	if (!opts.log_file.empty())
		return opts.log_file;
	if (restore)
		return "restore.log";
	return opts.pre_dump ? "pre-dump.log" : "dump.log";
}

criu::criu_cg_mode to_criu_cg_mode(ccr_cgroup_mode mode)
{
	switch (mode) {
	case CCR_CGROUP_SOFT:
		return criu::SOFT;
	case CCR_CGROUP_FULL:
		return criu::FULL;
	case CCR_CGROUP_STRICT:
		return criu::STRICT;
	case CCR_CGROUP_IGNORE:
		return criu::IGNORE;
	case CCR_CGROUP_NONE:
		return criu::CG_NONE;
	case CCR_CGROUP_PROPS:
		return criu::PROPS;
	case CCR_CGROUP_DEFAULT:
		break;
	}
	return criu::DEFAULT;
}

criu::criu_req build_dump_request(const Options &opts, const DumpPlan &plan)
{
	criu::criu_req req;
	req.set_type(opts.pre_dump ? criu::PRE_DUMP : criu::DUMP);
	criu::criu_opts &o = *req.mutable_opts();
	o.set_images_dir_fd(plan.images_dir_fd);
	o.set_work_dir_fd(plan.work_dir_fd);
	o.set_pid(plan.pid);
	o.set_root(plan.root);
	set_shared_options(o, opts, false);
	if (opts.leave_running)
		o.set_leave_running(true);
	if (!plan.freeze_cgroup.empty())
		o.set_freeze_cgroup(plan.freeze_cgroup);
	if (!opts.parent_path.empty())
		o.set_parent_img(opts.parent_path);
	if (opts.pre_dump || !opts.parent_path.empty())
		o.set_track_mem(true);
	add_ext_mounts(o, plan.ext_mounts);
	for (const auto &e : plan.external)
		o.add_external(e);
	if (plan.config_file)
		o.set_config_file(*plan.config_file);
	return req;
}

criu::criu_req build_restore_request(const Options &opts, const RestorePlan &plan)
{
	criu::criu_req req;
	req.set_type(criu::RESTORE);
	criu::criu_opts &o = *req.mutable_opts();
	o.set_images_dir_fd(plan.images_dir_fd);
	o.set_work_dir_fd(plan.work_dir_fd);
	o.set_root(plan.root);
	set_shared_options(o, opts, true);
	// The restored tree becomes the caller's child, not CRIU's, so it
	// outlives the CRIU process.
	o.set_rst_sibling(true);
	// Device files are reopened by path when the original is unreachable.
	o.set_evasive_devices(true);
	if (opts.leave_stopped)
		o.set_leave_stopped(true);
	if (!opts.lsm_profile.empty())
		o.set_lsm_profile(opts.lsm_profile);
	if (!opts.lsm_mount_context.empty())
		o.set_lsm_mount_context(opts.lsm_mount_context);
	add_ext_mounts(o, plan.ext_mounts);
	for (const auto &[key, fd] : plan.inherit_fds) {
		auto *i = o.add_inherit_fd();
		i->set_key(key);
		i->set_fd(fd);
	}
	for (const auto &[ctrl, path] : plan.cgroup_roots) {
		auto *r = o.add_cg_root();
		if (!ctrl.empty())
			r->set_ctrl(ctrl);
		r->set_path(path);
	}
	for (const auto &j : plan.join_ns) {
		auto *n = o.add_join_ns();
		n->set_ns(j.ns);
		n->set_ns_file(j.file);
	}
	if (plan.config_file)
		o.set_config_file(*plan.config_file);
	return req;
}

} // namespace ccr
