// SPDX-License-Identifier: Apache-2.0
// Fuzzes what ccr does with a message from CRIU: the bytes arrive on a real
// SOCK_SEQPACKET socket and go through CriuSession::receive() and exchange(),
// which must answer with a result or a typed ccr::Error.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "criu_exchange.hpp"
#include "criu_session.hpp"
#include "error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	auto [ours, theirs] = ccr::seqpacket_pair();
	// The fuzzed answer, then a hang-up: exchange() must end either way.
	if (::send(theirs.get(), data, size, MSG_NOSIGNAL) < 0)
		return 0;
	theirs.reset();
	ccr::CriuSession session(std::move(ours), ccr::CriuProcess(), std::nullopt);
	ccr::criu::criu_req req;
	req.set_type(ccr::criu::DUMP);
	try {
		ccr::exchange(
			session, req, [](const ccr::NotifyEvent &) {}, "fuzz");
	} catch (const ccr::Error &) {
	}
	return 0;
}
