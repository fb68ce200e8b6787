// SPDX-License-Identifier: Apache-2.0
// The operations and queries of the C ABI, and the library version.
#include "capi_internal.hpp"
#include "cgroups.hpp"
#include "operations.hpp"

using namespace ccr::capi;

namespace {

const ccr::Options &options_or_default(const ccr_options *options)
{
	static const ccr::Options defaults;
	return options ? options->opts : defaults;
}

} // namespace

extern "C" {

unsigned ccr_version(void)
{
	return CCR_VERSION_NUMBER;
}

const char *ccr_version_string(void)
{
	return CCR_VERSION_STRING;
}

void ccr_result_free(ccr_result *result)
{
	delete result;
}

int ccr_result_pid(const ccr_result *result)
{
	return result ? result->pid : 0;
}

size_t ccr_result_warning_count(const ccr_result *result)
{
	return result ? result->warnings.size() : 0;
}

const char *ccr_result_warning(const ccr_result *result, size_t index)
{
	if (!result || index >= result->warnings.size())
		return nullptr;
	return result->warnings[index].c_str();
}

int ccr_result_stat(uint64_t *out, const ccr_result *result, ccr_stat which)
{
	if (!out || !result)
		return 0;
	const ccr::OperationStats &s = result->stats;
	std::optional<uint64_t> v;
	switch (enum_arg(which)) {
	case CCR_STAT_FREEZING_TIME_US:
		v = s.freezing_time_us;
		break;
	case CCR_STAT_FROZEN_TIME_US:
		v = s.frozen_time_us;
		break;
	case CCR_STAT_MEMDUMP_TIME_US:
		v = s.memdump_time_us;
		break;
	case CCR_STAT_MEMWRITE_TIME_US:
		v = s.memwrite_time_us;
		break;
	case CCR_STAT_PAGES_SCANNED:
		v = s.pages_scanned;
		break;
	case CCR_STAT_PAGES_SKIPPED_PARENT:
		v = s.pages_skipped_parent;
		break;
	case CCR_STAT_PAGES_WRITTEN:
		v = s.pages_written;
		break;
	case CCR_STAT_PAGES_LAZY:
		v = s.pages_lazy;
		break;
	case CCR_STAT_IRMAP_RESOLVE_US:
		v = s.irmap_resolve_us;
		break;
	case CCR_STAT_PAGE_PIPES:
		v = s.page_pipes;
		break;
	case CCR_STAT_PAGE_PIPE_BUFS:
		v = s.page_pipe_bufs;
		break;
	case CCR_STAT_SHPAGES_SCANNED:
		v = s.shpages_scanned;
		break;
	case CCR_STAT_SHPAGES_SKIPPED_PARENT:
		v = s.shpages_skipped_parent;
		break;
	case CCR_STAT_SHPAGES_WRITTEN:
		v = s.shpages_written;
		break;
	case CCR_STAT_PAGES_COMPARED:
		v = s.pages_compared;
		break;
	case CCR_STAT_PAGES_SKIPPED_COW:
		v = s.pages_skipped_cow;
		break;
	case CCR_STAT_FORKING_TIME_US:
		v = s.forking_time_us;
		break;
	case CCR_STAT_RESTORE_TIME_US:
		v = s.restore_time_us;
		break;
	case CCR_STAT_PAGES_RESTORED:
		v = s.pages_restored;
		break;
	case CCR_STAT_WALL_TIME_US:
		v = s.wall_time_us;
		break;
	case CCR_STAT_CRIU_TIME_US:
		v = s.criu_time_us;
		break;
	case CCR_STAT_OUTSIDE_CRIU_TIME_US:
		if (s.wall_time_us && s.criu_time_us)
			v = *s.wall_time_us > *s.criu_time_us ? *s.wall_time_us - *s.criu_time_us : 0;
		break;
	}
	if (!v)
		return 0;
	*out = *v;
	return 1;
}

ccr_error *ccr_checkpoint(ccr_result **out, const ccr_container *container, const ccr_options *options)
{
	return firewall([&] {
		const auto &c = require(container, "container");
		const auto &o = require(options, "options");
		auto result = std::make_unique<ccr_result>();
		auto r = ccr::checkpoint(c.spec, o.opts);
		result->pid = r.pid;
		result->stats = r.stats;
		result->warnings = std::move(r.warnings);
		if (out)
			*out = result.release();
	});
}

ccr_error *ccr_restore(ccr_result **out, const ccr_container *container, const ccr_options *options)
{
	return firewall([&] {
		const auto &c = require(container, "container");
		const auto &o = require(options, "options");
		auto result = std::make_unique<ccr_result>();
		auto r = ccr::restore(c.spec, o.opts);
		result->pid = r.pid;
		result->stats = r.stats;
		result->warnings = std::move(r.warnings);
		if (out)
			*out = result.release();
	});
}

ccr_error *ccr_stats_read(ccr_result **out, const char *work_dir)
{
	return firewall([&] {
		require(out, "out");
		std::string dir = require_string(work_dir, "work directory");
		auto result = std::make_unique<ccr_result>();
		result->stats = ccr::read_stats_dir(dir);
		*out = result.release();
	});
}

ccr_error *ccr_criu_version(unsigned *out, const ccr_options *options)
{
	return firewall([&] {
		unsigned &version = require(out, "out"); // before CRIU is started
		version = ccr::criu_version(options_or_default(options));
	});
}

ccr_error *ccr_host_cgroup_layout(ccr_cgroup_layout *out, ccr_freezer_kind *freezer)
{
	return firewall([&] {
		ccr_cgroup_layout &layout = require(out, "out");
		ccr::HostCgroups host = ccr::host_cgroups(ccr::host_cgroup_hierarchies());
		layout = host.layout;
		if (freezer)
			*freezer = host.freezer;
	});
}

ccr_error *ccr_criu_features(unsigned *out, const ccr_options *options)
{
	return firewall([&] {
		unsigned &features = require(out, "out"); // before CRIU is started
		features = ccr::criu_features(options_or_default(options));
	});
}

} // extern "C"
