// SPDX-License-Identifier: Apache-2.0
#include "log.hpp"

#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

namespace ccr {
namespace {

ccr_log_level to_ccr(spdlog::level::level_enum l)
{
	switch (l) {
	case spdlog::level::critical:
	case spdlog::level::err:
		return CCR_LOG_ERROR;
	case spdlog::level::warn:
		return CCR_LOG_WARNING;
	case spdlog::level::info:
		return CCR_LOG_INFO;
	default:
		return CCR_LOG_DEBUG;
	}
}

spdlog::level::level_enum to_spdlog(ccr_log_level l)
{
	switch (l) {
	case CCR_LOG_ERROR:
		return spdlog::level::err;
	case CCR_LOG_WARNING:
		return spdlog::level::warn;
	case CCR_LOG_INFO:
		return spdlog::level::info;
	default:
		return spdlog::level::debug;
	}
}

// base_sink's mutex keeps calls from overlapping.
class CallbackSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
	explicit CallbackSink(LogSink sink) : sink_(std::move(sink)) {}

protected:
	void sink_it_(const spdlog::details::log_msg &msg) override
	{
		sink_(to_ccr(msg.level), std::string_view(msg.payload.data(), msg.payload.size()));
	}
	void flush_() override {}

private:
	LogSink sink_;
};

} // namespace

std::shared_ptr<spdlog::logger> make_logger(ccr_log_level max_level, LogSink sink)
{
	auto logger = std::make_shared<spdlog::logger>("ccr", std::make_shared<CallbackSink>(std::move(sink)));
	logger->set_level(to_spdlog(max_level));
	// spdlog's default handler prints to stderr; a library must not.
	logger->set_error_handler([](const std::string &) {});
	return logger;
}

} // namespace ccr
