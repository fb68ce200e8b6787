// Steps every CRIU operation shares: its directories, its deadline, the
// version check on the operation's own CRIU process, the caller's notify
// callback, and quoting CRIU's log into an error.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
void call_user_notify(const Options &opts, const NotifyEvent &ev);

// Adds CRIU's log path and the lines around its errors to `err`, and what to
// change on the host when the log shows a known cause (criu_host_hints.hpp).
// `lazy_dump`: the operation was a dump serving lazy pages.
void attach_criu_log(Error &err, const OperationDirs &dirs, const std::string &log_name, bool lazy_dump = false);

// Runs a step that follows CRIU's success (reading its statistics, say).
// Whatever it throws becomes a warning naming `what`, never a failure: the
// container was dumped or restored, and a caller told otherwise would retry
// and run it twice.
void after_success(std::vector<std::string> &warnings, const std::shared_ptr<spdlog::logger> &log,
		   const std::string &what, const std::function<void()> &step) noexcept;

} // namespace ccr
