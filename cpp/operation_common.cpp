// SPDX-License-Identifier: Apache-2.0
#include "operation_common.hpp"

#include <fcntl.h>

#include "cgroup2_options.hpp"
#include "criu_host_hints.hpp"
#include "criu_log.hpp"
#include "criu_version.hpp"
#include "log.hpp"
#include "secure_dir.hpp"

namespace ccr {

OperationDirs open_operation_dirs(const Options &opts, bool create)
{
	if (opts.images_dir.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "no images directory was set");
	OperationDirs d;
	d.images_path = opts.images_dir;
	d.images = open_private_dir(opts.images_dir, create, "images directory");
	if (opts.work_dir.empty()) {
		d.work_path = d.images_path;
		d.work = UniqueFd(::fcntl(d.images.get(), F_DUPFD_CLOEXEC, 0));
		if (!d.work)
			throw_errno("cannot duplicate the images directory descriptor");
	} else {
		d.work_path = opts.work_dir;
		d.work = open_private_dir(opts.work_dir, true, "work directory");
	}
	return d;
}

std::optional<CriuSession::Clock::time_point> deadline_of(const Options &opts)
{
	if (opts.timeout.count() <= 0)
		return std::nullopt;
	return CriuSession::Clock::now() + opts.timeout;
}

void check_criu_version(CriuSession &session, const std::string &identity)
{
	unsigned version;
	if (auto cached = cached_criu_version(identity)) {
		version = *cached;
	} else {
		version = ask_criu_version(session, true);
		remember_criu_version(identity, version);
	}
	require_supported(version);
}

void call_user_notify(const Options &opts, const NotifyEvent &ev)
{
	if (!opts.notify)
		return;
	// A canceled operation stops at this notification (exchange() stops
	// CRIU before the ack); the caller, who canceled, hears of no more.
	if (opts.cancellation && opts.cancellation->canceled())
		throw Error(CCR_ERR_CANCELED, "the operation was canceled");
	int rc = opts.notify(ev);
	if (rc != 0)
		throw Error(CCR_ERR_CALLBACK, "the notify callback failed at \"" + ev.script + "\" (returned " +
						      std::to_string(rc) + ")");
}

void attach_criu_log(Error &err, const OperationDirs &dirs, const std::string &log_name, bool lazy_dump)
{
	if (!dirs.work)
		return;
	err.log_path = dirs.work_path + "/" + log_name;
	std::string tail;
	try {
		tail = read_log_tail(dirs.work.get(), log_name);
		err.log_excerpt = criu_log_excerpt(tail);
	} catch (...) {
		// The log is a help, not a requirement: keep the original error.
	}
	// CRIU's RPC answer often says only "dump failed"; its log says why.
	if (err.code() == CCR_ERR_CRIU_FAILED || err.code() == CCR_ERR_CRIU_DIED) {
		// A CRIU that died is explained by how it died unless it logged an
		// error of its own first; the output of a program it ran is not a
		// reason for its death.
		std::string first = failure_cause(tail, err.code() == CCR_ERR_CRIU_FAILED);
		bool repeats = err.criu_message && err.criu_message->find(first) != std::string::npos;
		if (!first.empty() && !repeats)
			err.appended("; " + first + " (see " + err.log_path + ")");
		else
			err.appended(" (see " + err.log_path + ")");
		if (std::string hint = host_hint(err.log_excerpt, lazy_dump, read_host_facts()); !hint.empty())
			err.appended("; " + hint);
	}
}

CgroupYard operation_cgroup_yard(const Options &opts, bool restore, const std::string &state_dir,
				 const std::vector<CgroupHierarchy> &hierarchies,
				 const std::vector<CgroupMembership> &memberships)
{
	if ((restore && !opts.cgroup_yard.empty()) || opts.cgroup_mode == CCR_CGROUP_IGNORE)
		return {};
	CgroupYard yard(state_dir + "/cgroup-yard", hierarchies, memberships);
	if (yard.path().empty())
		log_debug(opts.log, "no cgroup yard for CRIU ({}): CRIU mounts the hierarchies itself", yard.why_not());
	else
		log_debug(opts.log, "cgroup yard for CRIU: {}", yard.path());
	return yard;
}

void check_cgroup2_options(Cgroup2OptionsGuard &guard, const Options &opts, std::vector<std::string> *warnings) noexcept
{
	try {
		std::string what = guard.restore();
		if (what.empty())
			return;
		log_warning(opts.log, "{}", what);
		if (warnings)
			warnings->push_back(what);
	} catch (...) {
		// Out of memory for the note: the operation's outcome stands.
	}
}

void after_success(std::vector<std::string> &warnings, const std::shared_ptr<spdlog::logger> &log,
		   const std::string &what, const std::function<void()> &step) noexcept
{
	std::string why;
	try {
		step();
		return;
	} catch (const Error &e) {
		why = e.message();
	} catch (const std::exception &e) {
		why = e.what();
	} catch (...) {
		why = "unknown error";
	}
	try {
		warnings.push_back(what + ": " + why);
		log_warning(log, "{}", warnings.back());
	} catch (...) {
		// Out of memory for the warning itself: the operation stands.
	}
}

} // namespace ccr
