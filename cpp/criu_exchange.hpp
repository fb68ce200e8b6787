// SPDX-License-Identifier: Apache-2.0
// Drives one request through a CRIU session: sends it, answers each notify
// script CRIU sends on the way, and returns the final answer.
#pragma once

#include <functional>
#include <string>

#include "criu_session.hpp"
#include "options.hpp"

namespace ccr {

// Handles one notification. Throws to fail it: CRIU is told the script
// failed, the operation aborts, and the exception is what the caller sees.
using NotifyHandler = std::function<void(const NotifyEvent &)>;

// Returns CRIU's final answer to `req`. Throws CCR_ERR_CRIU_FAILED when CRIU
// reports failure (with cr_errno and cr_errmsg), the handler's exception when
// a notification failed, and the session's errors otherwise. `what` names the
// step in messages ("criu dump").
criu::criu_resp exchange(CriuSession &session, const criu::criu_req &req, const NotifyHandler &on_notify,
			 const std::string &what);

// The readable name of a request type ("DUMP").
std::string request_type_name(int type);

} // namespace ccr
