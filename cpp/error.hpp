// SPDX-License-Identifier: Apache-2.0
// The one error type of the C++ core. Every failure becomes a ccr::Error that
// carries a stable code; the C ABI turns it into a ccr_error object.
#pragma once

#include <cerrno>
#include <exception>
#include <optional>
#include <string>

#include "ccr.h"

namespace ccr {

using Code = ccr_error_code;

class Error : public std::exception {
public:
	Error(Code code, std::string message, int sys_errno = 0)
	    : code_(code), sys_errno_(sys_errno), message_(std::move(message))
	{}

	const char *what() const noexcept override { return message_.c_str(); }
	Code code() const { return code_; }
	int sys_errno() const { return sys_errno_; }
	const std::string &message() const { return message_; }

	// Details that only CRIU failures carry.
	int criu_errno = 0;
	std::optional<std::string> criu_message;
	std::string log_path;
	std::string log_excerpt;

	// Puts `context` in front of the message ("checkpoint of pid 42: ...").
	Error &prefixed(const std::string &context)
	{
		message_ = context + ": " + message_;
		return *this;
	}

	Error &appended(const std::string &more)
	{
		message_ += more;
		return *this;
	}

private:
	Code code_;
	int sys_errno_;
	std::string message_;
};

// Throws CCR_ERR_SYSTEM (or CCR_ERR_NOT_FOUND for ENOENT/ESRCH) for the current
// errno: "what: strerror".
[[noreturn]] void throw_errno(const std::string &what, int err = errno);

// Throws an error of `code` whose message ends with strerror(err).
[[noreturn]] void throw_errno_as(Code code, const std::string &what, int err = errno);

} // namespace ccr
