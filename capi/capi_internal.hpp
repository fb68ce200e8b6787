// SPDX-License-Identifier: Apache-2.0
// What the C handles are, and the exception firewall every exported function
// runs its body through.
#pragma once

#include <cctype>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "ccr.h"
#include "container_spec.hpp"
#include "criu_stats.hpp"
#include "error.hpp"
#include "options.hpp"

struct ccr_error {
	ccr_error_code code;
	int sys_errno = 0;
	int criu_errno = 0;
	std::string message;
	std::optional<std::string> criu_message;
	std::string log_path;
	std::string log_excerpt;
};

struct ccr_container {
	ccr::ContainerSpec spec;
};

struct ccr_options {
	ccr::Options opts;
	// The notify payload and its finalizer, released with the options.
	void *payload = nullptr;
	void (*free_payload)(void *) = nullptr;
	// The log callback's, likewise.
	void *log_payload = nullptr;
	void (*free_log_payload)(void *) = nullptr;
};

struct ccr_result {
	int pid = 0;
	ccr::OperationStats stats;
	std::vector<std::string> warnings;
};

struct ccr_notify {
	const ccr::NotifyEvent *event;
};

namespace ccr::capi {

// A fresh error object; never throws (a static fallback covers no memory).
ccr_error *make_error(ccr_error_code code, std::string message, int sys_errno = 0) noexcept;
ccr_error *from_exception(const ccr::Error &e) noexcept;

// Runs `body`; turns whatever it throws into an error object. Returns NULL
// when the body returned normally.
template <class Body>
ccr_error *firewall(Body &&body) noexcept
{
	try {
		body();
		return nullptr;
	} catch (const ccr::Error &e) {
		return from_exception(e);
	} catch (const std::bad_alloc &) {
		return make_error(CCR_ERR_NO_MEMORY, "out of memory");
	} catch (const std::exception &e) {
		return make_error(CCR_ERR_INTERNAL, std::string("internal error: ") + e.what());
	} catch (...) {
		return make_error(CCR_ERR_INTERNAL, "internal error: unknown exception");
	}
}

// The number a C caller passed for an enum parameter. C lets any int through,
// while in C++ reading an enum object outside its enumerators' range is
// undefined: copy the bytes instead of loading the enum.
template <class Enum>
int enum_arg(const Enum &value)
{
	static_assert(sizeof(Enum) == sizeof(int));
	int v;
	std::memcpy(&v, &value, sizeof v);
	return v;
}

[[noreturn]] inline void invalid(const std::string &what)
{
	throw ccr::Error(CCR_ERR_INVALID_ARGUMENT, what);
}

template <class T>
T &require(T *handle, const char *name)
{
	if (!handle)
		invalid(std::string(name) + " is NULL");
	return *handle;
}

inline std::string require_string(const char *s, const char *name)
{
	if (!s)
		invalid(std::string(name) + " is NULL");
	return s;
}

// Whether `id` may name a container or a pod: it becomes a directory and
// file name (runc's state, the images' layout), so letters, digits, '.',
// '_' and '-' only, not "." nor "..", at most 128 bytes.
inline bool valid_id(const std::string &id)
{
	if (id.empty() || id.size() > 128 || id == "." || id == "..")
		return false;
	for (char c : id)
		if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
			return false;
	return true;
}

} // namespace ccr::capi
