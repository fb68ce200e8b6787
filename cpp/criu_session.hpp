// SPDX-License-Identifier: Apache-2.0
// One conversation with `criu swrk` over a SOCK_SEQPACKET socketpair: protobuf
// messages of any size, descriptors passed with SCM_RIGHTS, and a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "criu_process.hpp"
#include "options.hpp"
#include "rpc.pb.h"
#include "unique_fd.hpp"

namespace ccr {

// Messages larger than this are refused as garbage rather than allocated.
inline constexpr size_t kMaxCriuMessage = 16 << 20;

struct CriuMessage {
	criu::criu_resp resp;
	std::vector<UniqueFd> fds; // descriptors that came with it, close-on-exec
};

class CriuSession {
public:
	using Clock = std::chrono::steady_clock;

	// Wraps our end of a connected socket. `peer` (may be empty, in tests)
	// is the CRIU process at the other end, killed if the session is
	// dropped before CRIU finished.
	CriuSession(UniqueFd socket, CriuProcess peer, std::optional<Clock::time_point> deadline,
		    std::shared_ptr<const Cancellation> cancellation = nullptr);

	void send(const criu::criu_req &req);
	// Waits for the next message. Throws CCR_ERR_CRIU_DIED on EOF,
	// CCR_ERR_PROTOCOL on garbage. A cancel or a time limit that comes
	// while CRIU works does not stop the wait (criu_safe_stop.hpp): the
	// next message, a notification or an answer, is where CRIU may be
	// stopped, and the caller (exchange()) decides with
	// throw_if_interrupted(). Only when none comes within the safe-stop
	// bound does it throw CCR_ERR_CANCELED or CCR_ERR_TIMEOUT, saying what
	// state the container is left in.
	CriuMessage receive();
	// Throws CCR_ERR_CANCELED or CCR_ERR_TIMEOUT when the operation was
	// canceled or its time is up.
	void throw_if_interrupted() const;
	bool interrupted() const;

	// Runs `check` about every `every` while receive() waits; what it
	// throws ends the wait (and, with the session, CRIU).
	void set_watchdog(std::function<void()> check, std::chrono::milliseconds every);
	// How long a stop waits for CRIU to reach a safe point (tests shorten it).
	void set_safe_stop_bound(std::chrono::milliseconds bound) { safe_stop_bound_ = bound; }

	// Ends the session: closes the socket and reaps CRIU. Returns how CRIU
	// ended ("" when it exited cleanly).
	std::string finish();
	CriuProcess &process() { return peer_; }

private:
	[[noreturn]] void died(const std::string &while_doing);
	UniqueFd socket_;
	CriuProcess peer_;
	std::optional<Clock::time_point> deadline_;
	std::shared_ptr<const Cancellation> cancellation_;
	std::chrono::milliseconds safe_stop_bound_;
	std::optional<Clock::time_point> stop_asked_; // when a cancel or time limit was first seen
	int request_type_ = 0;                        // the request CRIU works on
	std::string last_notification_;               // its last notification during it
	std::function<void()> watchdog_;
	std::chrono::milliseconds watchdog_every_{0};
	Clock::time_point watchdog_due_{};
};

// A connected SOCK_SEQPACKET pair, both ends close-on-exec.
std::pair<UniqueFd, UniqueFd> seqpacket_pair();

// Starts CRIU on a fresh socketpair; the server end is closed in this process
// as soon as CRIU has it, so a crashed CRIU reads as EOF rather than a hang.
CriuSession start_criu_session(CriuLaunch launch, std::optional<CriuSession::Clock::time_point> deadline,
			       std::shared_ptr<const Cancellation> cancellation = nullptr);

} // namespace ccr
