// ccr_options: the options handle, its setters and the notify callback.
#include "capi_internal.hpp"

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

void release_payload(ccr_options &o)
{
	if (o.free_payload && o.payload)
		o.free_payload(o.payload);
	o.payload = nullptr;
	o.free_payload = nullptr;
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
		if (mode < CCR_CGROUP_DEFAULT || mode > CCR_CGROUP_PROPS)
			invalid("cgroup mode " + std::to_string(int(mode)) + " is not a ccr_cgroup_mode");
		o.opts.cgroup_mode = mode;
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

ccr_error *ccr_options_set_notify(ccr_options *options, ccr_notify_cb cb, void *payload,
				  void (*free_payload)(void *))
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

const char *ccr_notify_script(const ccr_notify *notify)
{
	return notify ? notify->event->script.c_str() : "";
}

int ccr_notify_pid(const ccr_notify *notify) { return notify ? notify->event->pid : 0; }

int ccr_notify_fd(const ccr_notify *notify) { return notify ? notify->event->fd : -1; }

} // extern "C"
