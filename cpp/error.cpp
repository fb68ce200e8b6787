// SPDX-License-Identifier: Apache-2.0
#include "error.hpp"

#include <cstring>

namespace ccr {

[[noreturn]] void throw_errno_as(Code code, const std::string &what, int err)
{
	throw Error(code, what + ": " + std::strerror(err), err);
}

[[noreturn]] void throw_errno(const std::string &what, int err)
{
	Code code = (err == ENOENT || err == ESRCH) ? CCR_ERR_NOT_FOUND
		    : err == ENOMEM                 ? CCR_ERR_NO_MEMORY
						    : CCR_ERR_SYSTEM;
	throw_errno_as(code, what, err);
}

} // namespace ccr
