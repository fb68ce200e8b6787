// SPDX-License-Identifier: Apache-2.0
#include "criu_exchange.hpp"

#include <exception>

#include "criu_log.hpp"
#include "error.hpp"

namespace ccr {

std::string request_type_name(int type)
{
	if (criu::criu_req_type_IsValid(type))
		return criu::criu_req_type_Name(criu::criu_req_type(type));
	return "type " + std::to_string(type);
}

criu::criu_resp exchange(CriuSession &session, const criu::criu_req &req, const NotifyHandler &on_notify,
			 const std::string &what)
{
	// CRIU waits for its next request: nothing of it runs in the
	// container, so a cancel or time limit that came meanwhile stops here.
	session.throw_if_interrupted();
	session.send(req);
	std::exception_ptr notify_failure;
	// CRIU may hang up after a failed notification instead of answering, even
	// before our negative ack reaches it: the notification's failure is then
	// the real cause, not the hang-up.
	auto guarded = [&](auto &&io) {
		try {
			return io();
		} catch (const Error &e) {
			if (notify_failure && e.code() == CCR_ERR_CRIU_DIED)
				std::rethrow_exception(notify_failure);
			throw;
		}
	};
	for (;;) {
		CriuMessage msg = guarded([&] { return session.receive(); });
		const criu::criu_resp &resp = msg.resp;
		if (resp.type() == criu::NOTIFY) {
			NotifyEvent ev;
			ev.script = resp.notify().script();
			ev.pid = resp.notify().pid();
			ev.fd = msg.fds.empty() ? -1 : msg.fds.front().get();
			bool ok = true;
			if (!notify_failure) {
				try {
					if (on_notify)
						on_notify(ev);
				} catch (...) {
					notify_failure = std::current_exception();
					ok = false;
				}
			} else {
				ok = false;
			}
			// CRIU waits for this answer with the processes frozen and
			// nothing of its own in them yet: the one safe place to stop
			// it. A cancel or time limit that came meanwhile (the callback
			// may have been slow) ends the operation here, before the
			// answer lets CRIU go on to inject its parasite code, which a
			// CRIU killed then would leave inside the container's process.
			session.throw_if_interrupted();
			criu::criu_req ack;
			ack.set_type(criu::NOTIFY);
			ack.set_notify_success(ok);
			guarded([&] { session.send(ack); });
			continue;
		}
		if (notify_failure)
			std::rethrow_exception(notify_failure);
		// An answer that comes after a cancel or time limit (CRIU was past
		// its last notification, where it could have been stopped) is
		// taken as it is: a successful dump has already stopped the
		// container, and a successful restore runs it.
		if (resp.type() != req.type())
			throw Error(CCR_ERR_PROTOCOL, what + ": criu answered a " + request_type_name(req.type()) +
							      " request with " + request_type_name(resp.type()));
		if (!resp.success()) {
			// CRIU's errmsg is the first error it logged, which can be an
			// incidental one; the log then names the cause.
			bool telling = resp.has_cr_errmsg() && !resp.cr_errmsg().empty() &&
				       !is_incidental_criu_error(resp.cr_errmsg());
			std::string detail = telling ? resp.cr_errmsg() : "criu gave no reason in its answer";
			if (resp.cr_errno() != 0)
				detail += " (errno " + std::to_string(resp.cr_errno()) + ")";
			Error err(CCR_ERR_CRIU_FAILED, what + " failed: " + detail, resp.cr_errno());
			err.criu_errno = resp.cr_errno();
			if (resp.has_cr_errmsg())
				err.criu_message = resp.cr_errmsg();
			throw err;
		}
		return resp;
	}
}

} // namespace ccr
