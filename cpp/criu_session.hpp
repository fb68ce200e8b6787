// SPDX-License-Identifier: Apache-2.0
// One conversation with `criu swrk` over a SOCK_SEQPACKET socketpair: protobuf
// messages of any size, descriptors passed with SCM_RIGHTS, and a deadline.
#pragma once

#include <chrono>
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
	// CCR_ERR_TIMEOUT past the deadline, CCR_ERR_PROTOCOL on garbage.
	CriuMessage receive();
	// Throws CCR_ERR_CANCELED or CCR_ERR_TIMEOUT when the operation was
	// canceled or its time is up.
	void throw_if_interrupted() const;

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
};

// A connected SOCK_SEQPACKET pair, both ends close-on-exec.
std::pair<UniqueFd, UniqueFd> seqpacket_pair();

// Starts CRIU on a fresh socketpair; the server end is closed in this process
// as soon as CRIU has it, so a crashed CRIU reads as EOF rather than a hang.
CriuSession start_criu_session(CriuLaunch launch, std::optional<CriuSession::Clock::time_point> deadline,
			       std::shared_ptr<const Cancellation> cancellation = nullptr);

} // namespace ccr
