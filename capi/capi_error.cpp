// SPDX-License-Identifier: Apache-2.0
// ccr_error: construction from the core's exceptions, and its accessors.
#include "capi_internal.hpp"

namespace ccr::capi {
namespace {

// Returned when not even an error object can be allocated. Never freed.
ccr_error out_of_memory{CCR_ERR_NO_MEMORY, ENOMEM, 0, {}, {}, {}, {}};

} // namespace

ccr_error *make_error(ccr_error_code code, std::string message, int sys_errno) noexcept
{
	try {
		auto *e = new ccr_error{};
		e->code = code;
		e->sys_errno = sys_errno;
		e->message = std::move(message);
		return e;
	} catch (...) {
		return &out_of_memory;
	}
}

ccr_error *from_exception(const ccr::Error &ex) noexcept
{
	ccr_error *e = make_error(ex.code(), ex.message(), ex.sys_errno());
	if (e == &out_of_memory)
		return e;
	try {
		e->criu_errno = ex.criu_errno;
		e->criu_message = ex.criu_message;
		e->log_path = ex.log_path;
		e->log_excerpt = ex.log_excerpt;
	} catch (...) {
	}
	return e;
}

} // namespace ccr::capi

extern "C" {

void ccr_error_free(ccr_error *err)
{
	if (err != &ccr::capi::out_of_memory)
		delete err;
}

ccr_error_code ccr_error_code_of(const ccr_error *err)
{
	return err ? err->code : CCR_OK;
}

const char *ccr_error_code_name(ccr_error_code code)
{
	switch (ccr::capi::enum_arg(code)) {
	case CCR_OK:
		return "ok";
	case CCR_ERR_INVALID_ARGUMENT:
		return "invalid-argument";
	case CCR_ERR_NO_MEMORY:
		return "no-memory";
	case CCR_ERR_SYSTEM:
		return "system";
	case CCR_ERR_NOT_FOUND:
		return "not-found";
	case CCR_ERR_CONFIG:
		return "config";
	case CCR_ERR_UNSAFE_PATH:
		return "unsafe-path";
	case CCR_ERR_CRIU_START:
		return "criu-start";
	case CCR_ERR_CRIU_FAILED:
		return "criu-failed";
	case CCR_ERR_CRIU_DIED:
		return "criu-died";
	case CCR_ERR_PROTOCOL:
		return "protocol";
	case CCR_ERR_UNSUPPORTED:
		return "unsupported";
	case CCR_ERR_CALLBACK:
		return "callback";
	case CCR_ERR_TIMEOUT:
		return "timeout";
	case CCR_ERR_CANCELED:
		return "canceled";
	case CCR_ERR_IMAGE:
		return "image";
	case CCR_ERR_INTERNAL:
		return "internal";
	}
	return "unknown";
}

const char *ccr_error_message(const ccr_error *err)
{
	if (!err)
		return nullptr;
	return err->message.empty() ? ccr_error_code_name(err->code) : err->message.c_str();
}

int ccr_error_errno(const ccr_error *err)
{
	return err ? err->sys_errno : 0;
}

int ccr_error_criu_errno(const ccr_error *err)
{
	return err ? err->criu_errno : 0;
}

const char *ccr_error_criu_message(const ccr_error *err)
{
	return err && err->criu_message ? err->criu_message->c_str() : nullptr;
}

const char *ccr_error_log_path(const ccr_error *err)
{
	return err && !err->log_path.empty() ? err->log_path.c_str() : nullptr;
}

const char *ccr_error_log_excerpt(const ccr_error *err)
{
	return err && !err->log_excerpt.empty() ? err->log_excerpt.c_str() : nullptr;
}

} // extern "C"
