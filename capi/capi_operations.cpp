// The operations and queries of the C ABI, and the library version.
#include "capi_internal.hpp"
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

unsigned ccr_version(void) { return CCR_VERSION_NUMBER; }

const char *ccr_version_string(void) { return CCR_VERSION_STRING; }

void ccr_result_free(ccr_result *result) { delete result; }

int ccr_result_pid(const ccr_result *result) { return result ? result->pid : 0; }

ccr_error *ccr_checkpoint(ccr_result **out, const ccr_container *container, const ccr_options *options)
{
	return firewall([&] {
		const auto &c = require(container, "container");
		const auto &o = require(options, "options");
		auto result = std::make_unique<ccr_result>();
		result->pid = ccr::checkpoint(c.spec, o.opts).pid;
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
		result->pid = ccr::restore(c.spec, o.opts).pid;
		if (out)
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

ccr_error *ccr_criu_features(unsigned *out, const ccr_options *options)
{
	return firewall([&] {
		unsigned &features = require(out, "out"); // before CRIU is started
		features = ccr::criu_features(options_or_default(options));
	});
}

} // extern "C"
