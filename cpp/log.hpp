// SPDX-License-Identifier: Apache-2.0
// ccr's own log. A caller who wants it gives a callback (ccr_options_set_log);
// each operation then logs through an spdlog logger whose one sink is that
// callback. Without one nothing is formatted, and nothing is ever printed:
// the logger is not registered with spdlog, and its error handler is silent.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include <spdlog/logger.h>

#include "ccr.h"

namespace ccr {

using LogSink = std::function<void(ccr_log_level, std::string_view line)>;

// A logger passing lines up to `max_level` to `sink`, one call at a time.
std::shared_ptr<spdlog::logger> make_logger(ccr_log_level max_level, LogSink sink);

// The logging calls of the core: no-ops without a logger.
template <class... Args>
void log_debug(const std::shared_ptr<spdlog::logger> &log, fmt::format_string<Args...> f, Args &&...args)
{
	if (log)
		log->debug(f, std::forward<Args>(args)...);
}
template <class... Args>
void log_info(const std::shared_ptr<spdlog::logger> &log, fmt::format_string<Args...> f, Args &&...args)
{
	if (log)
		log->info(f, std::forward<Args>(args)...);
}
template <class... Args>
void log_warning(const std::shared_ptr<spdlog::logger> &log, fmt::format_string<Args...> f, Args &&...args)
{
	if (log)
		log->warn(f, std::forward<Args>(args)...);
}
template <class... Args>
void log_error(const std::shared_ptr<spdlog::logger> &log, fmt::format_string<Args...> f, Args &&...args)
{
	if (log)
		log->error(f, std::forward<Args>(args)...);
}

} // namespace ccr
