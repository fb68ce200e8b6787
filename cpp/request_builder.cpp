// SPDX-License-Identifier: Apache-2.0
#include "request_builder.hpp"

#include "criu_enums.hpp"
#include "criu_log.hpp"

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
	if (opts.lazy_pages)
		o.set_lazy_pages(true);
	if (opts.ghost_limit)
		o.set_ghost_limit(*opts.ghost_limit);
	if (opts.auto_ext_mnt)
		o.set_auto_ext_mnt(true);
	if (opts.ext_sharing)
		o.set_ext_sharing(true);
	if (opts.ext_masters)
		o.set_ext_masters(true);
	for (const auto &fs : opts.enable_fs)
		o.add_enable_fs(fs);
	for (const auto &e : opts.externals)
		o.add_external(e);
	for (const auto &[key, val] : opts.ext_mounts) {
		auto *m = o.add_ext_mnt();
		m->set_key(key);
		m->set_val(val);
	}
	if (opts.criu_timeout)
		o.set_timeout(opts.criu_timeout);
	if (opts.cpu_cap)
		o.set_cpu_cap(*opts.cpu_cap);
	if (opts.unprivileged)
		o.set_unprivileged(true);
	if (opts.display_stats)
		o.set_display_stats(true);
	if (opts.log_to_stderr)
		o.set_log_to_stderr(true);
	if (opts.tls.enable) {
		o.set_tls(true);
		if (!opts.tls.cacert.empty())
			o.set_tls_cacert(opts.tls.cacert);
		if (!opts.tls.cacrl.empty())
			o.set_tls_cacrl(opts.tls.cacrl);
		if (!opts.tls.cert.empty())
			o.set_tls_cert(opts.tls.cert);
		if (!opts.tls.key.empty())
			o.set_tls_key(opts.tls.key);
		if (opts.tls.no_cn_verify)
			o.set_tls_no_cn_verify(true);
	}
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
	// A restore takes the method the images' inventory records, whatever
	// the request says: only the dump's choice counts.
	if (auto method = plan.network_lock ? plan.network_lock : to_criu_network_lock(opts.network_lock))
		o.set_network_lock(*method);
	if (!plan.freeze_cgroup.empty())
		o.set_freeze_cgroup(plan.freeze_cgroup);
	if (!plan.cgroup_yard.empty())
		o.set_cgroup_yard(plan.cgroup_yard);
	if (!opts.parent_path.empty())
		o.set_parent_img(opts.parent_path);
	if (opts.pre_dump || !opts.parent_path.empty())
		o.set_track_mem(true);
	add_ext_mounts(o, plan.ext_mounts);
	for (const auto &e : plan.external)
		o.add_external(e);
	if (plan.config_file)
		o.set_config_file(*plan.config_file);
	if (opts.track_mem)
		o.set_track_mem(true);
	if (opts.pre_dump_mode)
		o.set_pre_dump_mode(to_criu_pre_dump_mode(*opts.pre_dump_mode));
	if (opts.page_server.set()) {
		auto *ps = o.mutable_ps();
		if (!opts.page_server.address.empty())
			ps->set_address(opts.page_server.address);
		if (opts.page_server.port)
			ps->set_port(opts.page_server.port);
		if (plan.page_server_fd >= 0)
			ps->set_fd(plan.page_server_fd);
	}
	if (plan.pidfd_store_fd >= 0)
		o.set_pidfd_store_sk(plan.pidfd_store_fd);
	if (opts.tcp_skip_in_flight)
		o.set_tcp_skip_in_flight(true);
	if (opts.link_remap)
		o.set_link_remap(true);
	if (opts.force_irmap)
		o.set_force_irmap(true);
	for (const auto &p : opts.irmap_scan_paths)
		o.add_irmap_scan_paths(p);
	for (const auto &m : opts.skip_mounts)
		o.add_skip_mnt(m);
	for (uint32_t ino : opts.unix_sk_inodes)
		o.add_unix_sk_ino()->set_inode(ino);
	for (const auto &c : opts.cgroup_dump_controllers)
		o.add_cgroup_dump_controller(c);
	// Which cgroup properties go into the images: CRIU reads these while
	// dumping only.
	if (!opts.cgroup_props.empty())
		o.set_cgroup_props(opts.cgroup_props);
	if (!opts.cgroup_props_file.empty())
		o.set_cgroup_props_file(opts.cgroup_props_file);
	return req;
}

std::vector<std::pair<std::string, int>> caller_inherit_fds(const Options &opts, const std::function<int(int)> &place)
{
	std::vector<std::pair<std::string, int>> out;
	for (const auto &[key, fd] : opts.inherit_fds)
		out.emplace_back(key, place(fd));
	return out;
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
	o.set_evasive_devices(opts.evasive_devices);
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
	if (opts.tcp_close)
		o.set_tcp_close(true);
	for (const auto &[in, out] : opts.veth_pairs) {
		auto *v = o.add_veths();
		v->set_if_in(in);
		v->set_if_out(out);
	}
	if (opts.skip_file_rwx_check)
		o.set_skip_file_rwx_check(true);
	if (opts.mntns_compat_mode)
		o.set_mntns_compat_mode(true);
	for (const auto &[ns, file, extra] : opts.join_ns) {
		auto *n = o.add_join_ns();
		n->set_ns(ns);
		n->set_ns_file(file);
		if (!extra.empty())
			n->set_extra_opt(extra);
	}
	if (opts.weak_sysctls)
		o.set_weak_sysctls(true);
	for (const auto &[ctrl, path] : opts.cgroup_roots) {
		auto *r = o.add_cg_root();
		if (!ctrl.empty())
			r->set_ctrl(ctrl);
		r->set_path(path);
	}
	if (!opts.cgroup_yard.empty())
		o.set_cgroup_yard(opts.cgroup_yard);
	else if (!plan.cgroup_yard.empty())
		o.set_cgroup_yard(plan.cgroup_yard);
	for (const auto &arg : opts.exec_cmd)
		o.add_exec_cmd(arg);
	return req;
}

} // namespace ccr
