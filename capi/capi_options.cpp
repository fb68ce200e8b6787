// SPDX-License-Identifier: Apache-2.0
// ccr_options: the options handle, its setters, and the notify and log callbacks.
#include <fcntl.h>

#include "capi_internal.hpp"
#include "log.hpp"

using namespace ccr::capi;

namespace {

ccr_error *set_flag(ccr_options *options, bool ccr::Options::*field, int enable)
{
	return firewall([&] { require(options, "options").opts.*field = enable != 0; });
}

ccr_error *set_text(ccr_options *options, std::string ccr::Options::*field, const char *value, const char *name,
		    bool absolute)
{
	return firewall([&] {
		auto &o = require(options, "options");
		std::string v = require_string(value, name);
		if (absolute && (v.empty() || v[0] != '/'))
			invalid(std::string(name) + " must be an absolute path, not \"" + v + "\"");
		o.opts.*field = v;
	});
}

// A descriptor the caller keeps: it must be open now.
int require_fd(int fd, const char *name)
{
	if (fd < 0 || ::fcntl(fd, F_GETFD) < 0)
		invalid(std::string(name) + " " + std::to_string(fd) + " is not an open descriptor");
	return fd;
}

std::string require_nonempty(const char *s, const char *name)
{
	std::string v = require_string(s, name);
	if (v.empty())
		invalid(std::string(name) + " is empty");
	return v;
}

ccr_error *add_text(ccr_options *options, std::vector<std::string> ccr::Options::*field, const char *value,
		    const char *name)
{
	return firewall([&] {
		auto &o = require(options, "options");
		(o.opts.*field).push_back(require_nonempty(value, name));
	});
}

void release_payload(ccr_options &o)
{
	if (o.free_payload && o.payload)
		o.free_payload(o.payload);
	o.payload = nullptr;
	o.free_payload = nullptr;
}

void release_log_payload(ccr_options &o)
{
	if (o.free_log_payload && o.log_payload)
		o.free_log_payload(o.log_payload);
	o.log_payload = nullptr;
	o.free_log_payload = nullptr;
}

} // namespace

extern "C" {

ccr_error *ccr_options_new(ccr_options **out)
{
	return firewall([&] {
		require(out, "out");
		*out = new ccr_options();
	});
}

void ccr_options_free(ccr_options *options)
{
	if (!options)
		return;
	release_payload(*options);
	options->opts.log.reset();
	release_log_payload(*options);
	// A status descriptor no checkpoint used is still ccr's to close.
	int status = options->opts.status_fd->exchange(-1);
	if (status >= 0)
		::close(status);
	delete options;
}

ccr_error *ccr_options_set_criu_path(ccr_options *options, const char *path)
{
	return firewall([&] {
		auto &o = require(options, "options");
		std::string p = require_string(path, "criu path");
		if (p.empty())
			invalid("criu path is empty");
		o.opts.criu_path = p;
	});
}

ccr_error *ccr_options_set_images_dir(ccr_options *options, const char *path)
{
	return set_text(options, &ccr::Options::images_dir, path, "images directory", true);
}

ccr_error *ccr_options_set_work_dir(ccr_options *options, const char *path)
{
	return set_text(options, &ccr::Options::work_dir, path, "work directory", true);
}

ccr_error *ccr_options_set_parent_path(ccr_options *options, const char *path)
{
	return firewall([&] {
		auto &o = require(options, "options");
		std::string p = require_string(path, "parent path");
		if (!p.empty() && p[0] == '/')
			invalid("parent path \"" + p + "\" must be relative to the images directory");
		o.opts.parent_path = p;
	});
}

ccr_error *ccr_options_set_pre_dump(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::pre_dump, enable);
}

ccr_error *ccr_options_set_leave_running(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::leave_running, enable);
}

ccr_error *ccr_options_set_allow_processes_outside_tree(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::allow_processes_outside_tree, enable);
}

ccr_error *ccr_options_set_tcp_established(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::tcp_established, enable);
}

ccr_error *ccr_options_set_ext_unix_sk(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::ext_unix_sk, enable);
}

ccr_error *ccr_options_set_shell_job(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::shell_job, enable);
}

ccr_error *ccr_options_set_file_locks(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::file_locks, enable);
}

ccr_error *ccr_options_set_auto_dedup(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::auto_dedup, enable);
}

ccr_error *ccr_options_set_leave_stopped(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::leave_stopped, enable);
}

ccr_error *ccr_options_set_empty_ns(ccr_options *options, unsigned flags)
{
	return firewall([&] {
		auto &o = require(options, "options");
		constexpr unsigned kNewNet = 0x40000000; // CLONE_NEWNET
		if (flags & ~kNewNet)
			invalid("empty namespaces: only CLONE_NEWNET is supported");
		o.opts.empty_ns = flags;
	});
}

ccr_error *ccr_options_set_cgroup_mode(ccr_options *options, ccr_cgroup_mode mode)
{
	return firewall([&] {
		auto &o = require(options, "options");
		int m = enum_arg(mode);
		if (m < CCR_CGROUP_DEFAULT || m > CCR_CGROUP_PROPS)
			invalid("cgroup mode " + std::to_string(m) + " is not a ccr_cgroup_mode");
		o.opts.cgroup_mode = ccr_cgroup_mode(m);
	});
}

ccr_error *ccr_options_set_log_level(ccr_options *options, int level)
{
	return firewall([&] {
		auto &o = require(options, "options");
		if (level < 0 || level > 4)
			invalid("log level " + std::to_string(level) + " is outside 0..4");
		o.opts.log_level = level;
	});
}

ccr_error *ccr_options_set_log_file(ccr_options *options, const char *name)
{
	return firewall([&] {
		auto &o = require(options, "options");
		std::string n = require_string(name, "log file");
		if (n.empty() || n.find('/') != std::string::npos || n == "." || n == "..")
			invalid("log file \"" + n + "\" must be a plain file name (it goes in the work directory)");
		o.opts.log_file = n;
	});
}

ccr_error *ccr_options_set_criu_config_file(ccr_options *options, const char *path)
{
	return firewall([&] {
		auto &o = require(options, "options");
		o.opts.criu_config_file = require_string(path, "criu config file");
	});
}

ccr_error *ccr_options_set_lsm_profile(ccr_options *options, const char *profile)
{
	return set_text(options, &ccr::Options::lsm_profile, profile, "LSM profile", false);
}

ccr_error *ccr_options_set_lsm_mount_context(ccr_options *options, const char *context)
{
	return set_text(options, &ccr::Options::lsm_mount_context, context, "LSM mount context", false);
}

ccr_error *ccr_options_set_timeout_ms(ccr_options *options, uint32_t ms)
{
	return firewall([&] { require(options, "options").opts.timeout = std::chrono::milliseconds(ms); });
}

ccr_error *ccr_options_set_notify(ccr_options *options, ccr_notify_cb cb, void *payload, void (*free_payload)(void *))
{
	return firewall([&] {
		auto &o = require(options, "options");
		// Setting the same payload again must not finalize what stays in use.
		if (payload != o.payload || free_payload != o.free_payload)
			release_payload(o);
		o.payload = payload;
		o.free_payload = free_payload;
		if (!cb) {
			o.opts.notify = nullptr;
			return;
		}
		o.opts.notify = [cb, payload](const ccr::NotifyEvent &ev) {
			ccr_notify n{&ev};
			return cb(&n, payload);
		};
	});
}

ccr_error *ccr_options_set_log(ccr_options *options, ccr_log_level max_level, ccr_log_cb cb, void *payload,
			       void (*free_payload)(void *))
{
	return firewall([&] {
		auto &o = require(options, "options");
		const int level = enum_arg(max_level);
		if (cb && (level < CCR_LOG_ERROR || level > CCR_LOG_DEBUG))
			invalid("log level " + std::to_string(level) +
				" is not one of CCR_LOG_ERROR (1) to CCR_LOG_DEBUG (4)");
		std::shared_ptr<spdlog::logger> log;
		if (cb)
			log = ccr::make_logger(static_cast<ccr_log_level>(level),
					       [cb, payload](ccr_log_level l, std::string_view line) {
						       std::string text(line);
						       cb(l, text.c_str(), payload);
					       });
		o.opts.log = std::move(log);
		if (payload != o.log_payload || free_payload != o.free_log_payload)
			release_log_payload(o);
		o.log_payload = payload;
		o.free_log_payload = free_payload;
	});
}

const char *ccr_notify_script(const ccr_notify *notify)
{
	return notify ? notify->event->script.c_str() : "";
}

int ccr_notify_pid(const ccr_notify *notify)
{
	return notify ? notify->event->pid : 0;
}

int ccr_notify_fd(const ccr_notify *notify)
{
	return notify ? notify->event->fd : -1;
}

ccr_error *ccr_options_cancel(ccr_options *options)
{
	return firewall([&] { require(options, "options").opts.cancellation->cancel(); });
}

/* --- Memory transfer ------------------------------------------------------ */

ccr_error *ccr_options_set_track_mem(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::track_mem, enable);
}

ccr_error *ccr_options_set_pre_dump_mode(ccr_options *options, ccr_pre_dump_mode mode)
{
	return firewall([&] {
		auto &o = require(options, "options");
		int m = enum_arg(mode);
		if (m != CCR_PRE_DUMP_SPLICE && m != CCR_PRE_DUMP_READ)
			invalid("pre-dump mode " + std::to_string(m) + " is not a ccr_pre_dump_mode");
		o.opts.pre_dump_mode = static_cast<ccr_pre_dump_mode>(m);
	});
}

ccr_error *ccr_options_set_page_server(ccr_options *options, const char *address, int port)
{
	return firewall([&] {
		auto &o = require(options, "options");
		std::string a = require_nonempty(address, "page server address");
		if (port <= 0 || port > 65535)
			invalid("page server port " + std::to_string(port) + " is outside 1..65535");
		o.opts.page_server = {a, port, -1};
	});
}

ccr_error *ccr_options_set_page_server_fd(ccr_options *options, int fd)
{
	return firewall([&] {
		auto &o = require(options, "options");
		o.opts.page_server = {"", 0, require_fd(fd, "page server descriptor")};
	});
}

ccr_error *ccr_options_set_lazy_pages(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::lazy_pages, enable);
}

ccr_error *ccr_options_set_status_fd(ccr_options *options, int fd)
{
	return firewall([&] {
		auto &o = require(options, "options");
		if (fd == -1) {
			// Hands the descriptor back to the caller, unclosed.
			o.opts.status_fd->store(-1);
			return;
		}
		require_fd(fd, "status descriptor");
		if ((::fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY)
			invalid("status descriptor " + std::to_string(fd) + " is not open for writing");
		int old = o.opts.status_fd->exchange(fd);
		if (old >= 0 && old != fd)
			::close(old); // ccr owned it
	});
}

ccr_error *ccr_options_set_tls(ccr_options *options, int enable, const char *cacert, const char *cacrl,
			       const char *cert, const char *key, int no_cn_verify)
{
	return firewall([&] {
		auto &o = require(options, "options");
		auto opt = [](const char *s) { return s ? std::string(s) : std::string(); };
		o.opts.tls = {enable != 0, opt(cacert), opt(cacrl), opt(cert), opt(key), no_cn_verify != 0};
	});
}

/* --- Terminal ------------------------------------------------------------- */

ccr_error *ccr_options_set_console_socket(ccr_options *options, const char *path)
{
	return set_text(options, &ccr::Options::console_socket, path, "console socket", true);
}

/* --- Network -------------------------------------------------------------- */

ccr_error *ccr_options_set_tcp_close(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::tcp_close, enable);
}

ccr_error *ccr_options_set_tcp_skip_in_flight(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::tcp_skip_in_flight, enable);
}

ccr_error *ccr_options_set_network_lock(ccr_options *options, ccr_network_lock method)
{
	return firewall([&] {
		auto &o = require(options, "options");
		int m = enum_arg(method);
		if (m < CCR_NETWORK_LOCK_DEFAULT || m > CCR_NETWORK_LOCK_SKIP)
			invalid("network lock " + std::to_string(m) + " is not a ccr_network_lock");
		o.opts.network_lock = static_cast<ccr_network_lock>(m);
	});
}

ccr_error *ccr_options_add_veth_pair(ccr_options *options, const char *inside, const char *outside)
{
	return firewall([&] {
		auto &o = require(options, "options");
		o.opts.veth_pairs.emplace_back(require_nonempty(inside, "veth inside name"),
					       require_nonempty(outside, "veth outside name"));
	});
}

/* --- Files and mounts ----------------------------------------------------- */

ccr_error *ccr_options_set_link_remap(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::link_remap, enable);
}

ccr_error *ccr_options_set_ghost_limit(ccr_options *options, uint32_t bytes)
{
	return firewall([&] { require(options, "options").opts.ghost_limit = bytes; });
}

ccr_error *ccr_options_set_force_irmap(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::force_irmap, enable);
}

ccr_error *ccr_options_add_irmap_scan_path(ccr_options *options, const char *path)
{
	return add_text(options, &ccr::Options::irmap_scan_paths, path, "irmap scan path");
}

ccr_error *ccr_options_set_skip_file_rwx_check(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::skip_file_rwx_check, enable);
}

ccr_error *ccr_options_set_evasive_devices(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::evasive_devices, enable);
}

ccr_error *ccr_options_add_ext_mount(ccr_options *options, const char *key, const char *value)
{
	return firewall([&] {
		auto &o = require(options, "options");
		o.opts.ext_mounts.emplace_back(require_nonempty(key, "external mount key"),
					       require_nonempty(value, "external mount value"));
	});
}

ccr_error *ccr_options_set_auto_ext_mnt(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::auto_ext_mnt, enable);
}

ccr_error *ccr_options_set_ext_sharing(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::ext_sharing, enable);
}

ccr_error *ccr_options_set_ext_masters(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::ext_masters, enable);
}

ccr_error *ccr_options_add_skip_mount(ccr_options *options, const char *mountpoint)
{
	return add_text(options, &ccr::Options::skip_mounts, mountpoint, "skipped mountpoint");
}

ccr_error *ccr_options_add_enable_fs(ccr_options *options, const char *fstype)
{
	return add_text(options, &ccr::Options::enable_fs, fstype, "file system type");
}

ccr_error *ccr_options_set_mntns_compat_mode(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::mntns_compat_mode, enable);
}

ccr_error *ccr_options_add_external(ccr_options *options, const char *resource)
{
	return add_text(options, &ccr::Options::externals, resource, "external resource");
}

ccr_error *ccr_options_add_unix_sk_inode(ccr_options *options, uint32_t inode)
{
	return firewall([&] { require(options, "options").opts.unix_sk_inodes.push_back(inode); });
}

ccr_error *ccr_options_add_inherit_fd(ccr_options *options, const char *key, int fd)
{
	return firewall([&] {
		auto &o = require(options, "options");
		std::string k = require_nonempty(key, "inherit-fd key");
		o.opts.inherit_fds.emplace_back(k, require_fd(fd, "inherited descriptor"));
	});
}

/* --- Namespaces ----------------------------------------------------------- */

ccr_error *ccr_options_add_join_ns(ccr_options *options, const char *ns, const char *ns_file, const char *extra)
{
	return firewall([&] {
		auto &o = require(options, "options");
		o.opts.join_ns.push_back({require_nonempty(ns, "namespace"),
					  require_nonempty(ns_file, "namespace file"),
					  extra ? std::string(extra) : std::string()});
	});
}

ccr_error *ccr_options_set_weak_sysctls(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::weak_sysctls, enable);
}

/* --- cgroups -------------------------------------------------------------- */

ccr_error *ccr_options_add_cgroup_root(ccr_options *options, const char *controller, const char *path)
{
	return firewall([&] {
		auto &o = require(options, "options");
		std::string p = require_nonempty(path, "cgroup root");
		if (p[0] != '/')
			invalid("cgroup root \"" + p + "\" must start with '/'");
		o.opts.cgroup_roots.emplace_back(controller ? controller : "", p);
	});
}

ccr_error *ccr_options_set_cgroup_props(ccr_options *options, const char *yaml)
{
	return set_text(options, &ccr::Options::cgroup_props, yaml, "cgroup properties", false);
}

ccr_error *ccr_options_set_cgroup_props_file(ccr_options *options, const char *path)
{
	return set_text(options, &ccr::Options::cgroup_props_file, path, "cgroup properties file", true);
}

ccr_error *ccr_options_add_cgroup_dump_controller(ccr_options *options, const char *controller)
{
	return add_text(options, &ccr::Options::cgroup_dump_controllers, controller, "cgroup controller");
}

ccr_error *ccr_options_set_cgroup_yard(ccr_options *options, const char *path)
{
	return set_text(options, &ccr::Options::cgroup_yard, path, "cgroup yard", true);
}

ccr_error *ccr_options_set_freeze_cgroup(ccr_options *options, const char *path)
{
	return firewall([&] {
		auto &o = require(options, "options");
		std::string p = require_string(path, "freeze cgroup");
		if (!p.empty() && p[0] != '/')
			invalid("freeze cgroup \"" + p + "\" must be an absolute path, or empty for none");
		o.opts.freeze_cgroup = p;
	});
}

/* --- The CRIU process ----------------------------------------------------- */

ccr_error *ccr_options_set_criu_timeout(ccr_options *options, uint32_t seconds)
{
	return firewall([&] { require(options, "options").opts.criu_timeout = seconds; });
}

ccr_error *ccr_options_set_cpu_cap(ccr_options *options, uint32_t mask)
{
	return firewall([&] { require(options, "options").opts.cpu_cap = mask; });
}

ccr_error *ccr_options_set_unprivileged(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::unprivileged, enable);
}

ccr_error *ccr_options_set_pidfd_store_fd(ccr_options *options, int fd)
{
	return firewall(
		[&] { require(options, "options").opts.pidfd_store_fd = require_fd(fd, "pidfd store descriptor"); });
}

ccr_error *ccr_options_set_display_stats(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::display_stats, enable);
}

ccr_error *ccr_options_set_log_to_stderr(ccr_options *options, int enable)
{
	return set_flag(options, &ccr::Options::log_to_stderr, enable);
}

ccr_error *ccr_options_add_exec_cmd(ccr_options *options, const char *arg)
{
	return add_text(options, &ccr::Options::exec_cmd, arg, "exec command argument");
}

ccr_error *ccr_options_set_import_limits(ccr_options *options, uint64_t max_entries, uint64_t max_bytes,
					 uint32_t max_ratio)
{
	return firewall([&] {
		auto &o = require(options, "options").opts;
		o.import_max_entries = max_entries;
		o.import_max_bytes = max_bytes;
		o.import_max_ratio = max_ratio;
	});
}

ccr_error *ccr_options_set_archive_engine(ccr_options *options, const char *engine)
{
	return firewall([&] {
		auto &o = require(options, "options").opts;
		std::string e = require_string(engine, "engine");
		if (e != "containerd" && e != "cri-o")
			invalid("archive engine \"" + e + "\" is not one ccr writes: containerd or cri-o");
		o.archive.engine = e;
	});
}

ccr_error *ccr_options_set_archive_container_name(ccr_options *options, const char *name)
{
	return firewall(
		[&] { require(options, "options").opts.archive.container_name = require_string(name, "name"); });
}

ccr_error *ccr_options_set_archive_image(ccr_options *options, const char *name, const char *ref)
{
	return firewall([&] {
		auto &o = require(options, "options").opts;
		o.archive.image_name = require_string(name, "name");
		o.archive.image_ref = require_string(ref, "ref");
	});
}

ccr_error *ccr_options_set_archive_times(ccr_options *options, int64_t created_unix_ns, int64_t checkpointed_unix_ns)
{
	return firewall([&] {
		auto &o = require(options, "options").opts;
		if (created_unix_ns < 0 || checkpointed_unix_ns < 0)
			invalid("archive times are nanoseconds since 1970 (0: unknown), not negative");
		if (created_unix_ns && checkpointed_unix_ns && created_unix_ns > checkpointed_unix_ns)
			invalid("the container's creation time " + std::to_string(created_unix_ns) +
				" is after its checkpoint time " + std::to_string(checkpointed_unix_ns));
		o.archive.created_ns = created_unix_ns ? std::optional<int64_t>(created_unix_ns) : std::nullopt;
		o.archive.checkpointed_ns =
			checkpointed_unix_ns ? std::optional<int64_t>(checkpointed_unix_ns) : std::nullopt;
	});
}

} // extern "C"
