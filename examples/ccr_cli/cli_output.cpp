// SPDX-License-Identifier: Apache-2.0
// How results and errors are printed: readable text, or one JSON object.
#include <cstdio>
#include <sstream>

#include "cli.hpp"

namespace cli {
namespace {

struct StatName {
	ccr_stat stat;
	const char *key;
};

const StatName kStats[] = {
	{CCR_STAT_FREEZING_TIME_US, "freezing_time_us"},
	{CCR_STAT_FROZEN_TIME_US, "frozen_time_us"},
	{CCR_STAT_MEMDUMP_TIME_US, "memdump_time_us"},
	{CCR_STAT_MEMWRITE_TIME_US, "memwrite_time_us"},
	{CCR_STAT_PAGES_SCANNED, "pages_scanned"},
	{CCR_STAT_PAGES_SKIPPED_PARENT, "pages_skipped_parent"},
	{CCR_STAT_PAGES_WRITTEN, "pages_written"},
	{CCR_STAT_PAGES_LAZY, "pages_lazy"},
	{CCR_STAT_IRMAP_RESOLVE_US, "irmap_resolve_us"},
	{CCR_STAT_PAGE_PIPES, "page_pipes"},
	{CCR_STAT_PAGE_PIPE_BUFS, "page_pipe_bufs"},
	{CCR_STAT_SHPAGES_SCANNED, "shpages_scanned"},
	{CCR_STAT_SHPAGES_SKIPPED_PARENT, "shpages_skipped_parent"},
	{CCR_STAT_SHPAGES_WRITTEN, "shpages_written"},
	{CCR_STAT_PAGES_COMPARED, "pages_compared"},
	{CCR_STAT_PAGES_SKIPPED_COW, "pages_skipped_cow"},
	{CCR_STAT_FORKING_TIME_US, "forking_time_us"},
	{CCR_STAT_RESTORE_TIME_US, "restore_time_us"},
	{CCR_STAT_PAGES_RESTORED, "pages_restored"},
	{CCR_STAT_WALL_TIME_US, "wall_time_us"},
	{CCR_STAT_CRIU_TIME_US, "criu_time_us"},
	{CCR_STAT_OUTSIDE_CRIU_TIME_US, "outside_criu_time_us"},
};

} // namespace

int exit_code_for(ccr_error_code code)
{
	switch (code) {
	case CCR_OK:
		return kOk;
	case CCR_ERR_INVALID_ARGUMENT:
	case CCR_ERR_CONFIG:
	case CCR_ERR_UNSAFE_PATH:
		return kBadInput;
	case CCR_ERR_NOT_FOUND:
		return kNotFound;
	case CCR_ERR_CRIU_START:
	case CCR_ERR_CRIU_FAILED:
	case CCR_ERR_CRIU_DIED:
	case CCR_ERR_PROTOCOL:
		return kCriu;
	case CCR_ERR_UNSUPPORTED:
		return kUnsupported;
	case CCR_ERR_TIMEOUT:
	case CCR_ERR_CANCELED:
		return kInterrupted;
	case CCR_ERR_CALLBACK:
		return kCallback;
	case CCR_ERR_IMAGE:
		return kImage;
	case CCR_ERR_NO_MEMORY:
	case CCR_ERR_SYSTEM:
	case CCR_ERR_INTERNAL:
		return kSystem;
	}
	return kSystem;
}

void print_json(const Json &doc)
{
	// Invalid UTF-8 (a path, say) is replaced rather than thrown on.
	std::printf("%s\n", doc.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
}

int report_error(ccr_error *err, const Args &args)
{
	ccr_error_code code = ccr_error_code_of(err);
	int exit = exit_code_for(code);
	auto opt = [](const char *s) { return s ? Json(s) : Json(nullptr); };
	if (args.json) {
		print_json({{"ok", false},
			    {"command", args.command},
			    {"exit_code", exit},
			    {"error",
			     {{"code", int(code)},
			      {"name", ccr_error_code_name(code)},
			      {"message", ccr_error_message(err)},
			      {"errno", ccr_error_errno(err)},
			      {"criu_errno", ccr_error_criu_errno(err)},
			      {"criu_message", opt(ccr_error_criu_message(err))},
			      {"log_path", opt(ccr_error_log_path(err))},
			      {"log_excerpt", opt(ccr_error_log_excerpt(err))}}}});
	} else {
		std::fprintf(stderr, "ccr %s: %s [%s]\n", args.command.c_str(), ccr_error_message(err),
			     ccr_error_code_name(code));
		if (const char *log = ccr_error_log_excerpt(err))
			std::fprintf(stderr, "from CRIU's log %s:\n%s\n", ccr_error_log_path(err), log);
	}
	ccr_error_free(err);
	return exit;
}

Json stats_json(const ccr_result *result)
{
	Json out = Json::object();
	for (const auto &s : kStats) {
		uint64_t v;
		if (ccr_result_stat(&v, result, s.stat))
			out[s.key] = v;
	}
	return out;
}

Json warnings_json(const ccr_result *result)
{
	Json out = Json::array();
	for (size_t i = 0; i < ccr_result_warning_count(result); i++)
		out.push_back(ccr_result_warning(result, i));
	return out;
}

std::string stats_text(const ccr_result *result)
{
	std::ostringstream out;
	for (const auto &s : kStats) {
		uint64_t v;
		if (!ccr_result_stat(&v, result, s.stat))
			continue;
		char line[96];
		std::snprintf(line, sizeof line, "  %-24s %llu\n", s.key, static_cast<unsigned long long>(v));
		out << line;
	}
	return out.str();
}

} // namespace cli
