// SPDX-License-Identifier: Apache-2.0
// Steps every CRIU operation shares: its directories, its deadline, the
// version check on the operation's own CRIU process, the caller's notify
// callback, and quoting CRIU's log into an error.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroup2_options.hpp"
#include "cgroup_yard.hpp"
#include "cgroups.hpp"
#include "criu_exchange.hpp"
#include "criu_session.hpp"
#include "error.hpp"
#include "options.hpp"
#include "unique_fd.hpp"

namespace ccr {

struct OperationDirs {
	UniqueFd images;
	UniqueFd work;
	std::string images_path;
	std::string work_path;
};

// Opens (and with `create`, makes, 0700) the images and work directories.
OperationDirs open_operation_dirs(const Options &opts, bool create);

std::optional<CriuSession::Clock::time_point> deadline_of(const Options &opts);

// Makes sure the CRIU at the other end is new enough: from the cache, or by
// asking on this very session (keep_open), so no second CRIU is started.
void check_criu_version(CriuSession &session, const std::string &identity);

// Calls the caller's callback; a non-zero return becomes CCR_ERR_CALLBACK.
// Not once the operation is canceled: that throws CCR_ERR_CANCELED.
void call_user_notify(const Options &opts, const NotifyEvent &ev);

// Adds CRIU's log path and the lines around its errors to `err`, and what to
// change on the host when the log shows a known cause (criu_host_hints.hpp).
// `lazy_dump`: the operation was a dump serving lazy pages.
void attach_criu_log(Error &err, const OperationDirs &dirs, const std::string &log_name, bool lazy_dump = false);

// ccr's cgroup yard for one CRIU run at <state_dir>/cgroup-yard, so that CRIU
// does not mount cgroup2 afresh (cgroup_yard.hpp). None when CRIU is told to
// ignore cgroups (it mounts none then), or on a restore whose caller named a
// yard of its own (the caller's yard is a restore option: a checkpoint gets
// ccr's all the same). `memberships`: the hierarchies CRIU will look for, as
// in /proc/<pid>/cgroup.
CgroupYard operation_cgroup_yard(const Options &opts, bool restore, const std::string &state_dir,
				 const std::vector<CgroupHierarchy> &hierarchies,
				 const std::vector<CgroupMembership> &memberships);

// Logs (warning) what the cgroup2 guard had to put back after a CRIU run,
// and adds it to `warnings` when given (a successful operation's result).
void check_cgroup2_options(Cgroup2OptionsGuard &guard, const Options &opts,
			   std::vector<std::string> *warnings = nullptr) noexcept;

// Runs a step that follows CRIU's success (reading its statistics, say).
// Whatever it throws becomes a warning naming `what`, never a failure: the
// container was dumped or restored, and a caller told otherwise would retry
// and run it twice.
void after_success(std::vector<std::string> &warnings, const std::shared_ptr<spdlog::logger> &log,
		   const std::string &what, const std::function<void()> &step) noexcept;

} // namespace ccr
