// SPDX-License-Identifier: Apache-2.0
#include "criu_session.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "criu_safe_stop.hpp"
#include "error.hpp"

namespace ccr {
namespace {

bool acts_on_processes(int request)
{
	return request == criu::DUMP || request == criu::PRE_DUMP || request == criu::RESTORE;
}

} // namespace

std::pair<UniqueFd, UniqueFd> seqpacket_pair()
{
	int sv[2];
	if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		throw_errno("cannot create the socketpair for criu");
	return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

CriuSession start_criu_session(CriuLaunch launch, std::optional<CriuSession::Clock::time_point> deadline,
			       std::shared_ptr<const Cancellation> cancellation)
{
	if (cancellation && cancellation->canceled())
		throw Error(CCR_ERR_CANCELED, "the operation was canceled before criu started");
	auto [ours, theirs] = seqpacket_pair();
	launch.socket_fd = theirs.get();
	CriuProcess proc = spawn_criu_swrk(launch);
	theirs.reset();
	return CriuSession(std::move(ours), std::move(proc), deadline, std::move(cancellation));
}

CriuSession::CriuSession(UniqueFd socket, CriuProcess peer, std::optional<Clock::time_point> deadline,
			 std::shared_ptr<const Cancellation> cancellation)
    : socket_(std::move(socket)), peer_(std::move(peer)), deadline_(deadline), cancellation_(std::move(cancellation)),
      safe_stop_bound_(kSafeStopBound)
{}

void CriuSession::set_watchdog(std::function<void()> check, std::chrono::milliseconds every)
{
	watchdog_ = std::move(check);
	watchdog_every_ = every;
	watchdog_due_ = Clock::now() + every;
}

void CriuSession::send(const criu::criu_req &req)
{
	if (req.type() != criu::NOTIFY) {
		request_type_ = req.type();
		last_notification_.clear();
	}
	std::string bytes;
	if (!req.SerializeToString(&bytes))
		throw Error(CCR_ERR_INTERNAL, "cannot serialize the request for criu");
	for (;;) {
		ssize_t n = ::send(socket_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
		if (n >= 0)
			return;
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			died("while ccr was sending a request");
		throw_errno("cannot send a request to criu");
	}
}

[[noreturn]] void CriuSession::died(const std::string &while_doing)
{
	std::string how = peer_.pid() > 0 ? peer_.wait_at_most(std::chrono::seconds(2)) : "";
	throw Error(CCR_ERR_CRIU_DIED,
		    "criu closed its connection " + while_doing + (how.empty() ? "" : " (criu " + how + ")"));
}

bool CriuSession::interrupted() const
{
	return (cancellation_ && cancellation_->canceled()) || (deadline_ && Clock::now() >= *deadline_);
}

void CriuSession::throw_if_interrupted() const
{
	if (cancellation_ && cancellation_->canceled())
		throw Error(CCR_ERR_CANCELED, "the operation was canceled");
	if (deadline_ && Clock::now() >= *deadline_)
		throw Error(CCR_ERR_TIMEOUT, "criu did not finish within the time limit");
}

CriuMessage CriuSession::receive()
{
	// Wait for a message, in slices so EINTR, the deadline, the watchdog and
	// the safe-stop bound are honoured.
	for (;;) {
		auto now = Clock::now();
		if (!stop_asked_ && interrupted()) {
			// Only a dump or restore has CRIU working on processes; a
			// version or feature query is stopped at once.
			if (!acts_on_processes(request_type_))
				throw_if_interrupted();
			stop_asked_ = now;
		}
		if (stop_asked_ && now - *stop_asked_ >= safe_stop_bound_) {
			bool canceled = cancellation_ && cancellation_->canceled();
			auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(safe_stop_bound_).count() /
				    1000.0;
			char bound[32];
			std::snprintf(bound, sizeof bound, "%g", secs);
			throw Error(canceled ? CCR_ERR_CANCELED : CCR_ERR_TIMEOUT,
				    std::string(canceled ? "the operation was canceled"
							 : "criu did not finish within the time limit") +
					    ", and criu did not reach a point where stopping it is safe for the "
					    "container within " +
					    bound + " s; ccr killed it " +
					    state_after_forced_stop(request_type_, last_notification_));
		}
		auto wait_until = stop_asked_ ? std::optional(*stop_asked_ + safe_stop_bound_) : deadline_;
		if (watchdog_ && (!wait_until || watchdog_due_ < *wait_until))
			wait_until = watchdog_due_;
		int timeout_ms = -1;
		if (wait_until) {
			auto left = std::chrono::ceil<std::chrono::milliseconds>(*wait_until - now);
			timeout_ms = int(std::clamp<long long>(left.count(), 0, 1 << 30));
		}
		// Once a stop is asked the eventfd stays readable: poll the socket
		// alone then.
		int stop_fd = cancellation_ && !stop_asked_ ? cancellation_->fd() : -1;
		pollfd p[2] = {{socket_.get(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
		int r = ::poll(p, 2, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			throw_errno("cannot wait for criu");
		if (watchdog_ && Clock::now() >= watchdog_due_) {
			watchdog_due_ = Clock::now() + watchdog_every_;
			watchdog_();
		}
		if (p[0].revents)
			break;
	}

	// Peek at the size of the next packet, so no fixed buffer limits it.
	ssize_t size;
	do
		size = ::recv(socket_.get(), nullptr, 0, MSG_PEEK | MSG_TRUNC);
	while (size < 0 && errno == EINTR);
	if (size < 0) {
		if (errno == ECONNRESET)
			died("while ccr waited for its answer");
		throw_errno("cannot read from criu");
	}
	if (size == 0)
		died("while ccr waited for its answer");
	if (size_t(size) > kMaxCriuMessage)
		throw Error(CCR_ERR_PROTOCOL,
			    "criu sent a " + std::to_string(size) + "-byte message, more than ccr accepts");

	std::string buf(size_t(size), '\0');
	constexpr int kMaxFds = 16;
	alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
	iovec iov{buf.data(), buf.size()};
	msghdr msg{};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof control;
	ssize_t n;
	do
		n = ::recvmsg(socket_.get(), &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		throw_errno("cannot read from criu");

	CriuMessage out;
	for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int fd;
			std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			out.fds.emplace_back(fd);
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		throw Error(CCR_ERR_PROTOCOL, "criu sent more descriptors with one message than ccr accepts");
	if (size_t(n) != buf.size() || (msg.msg_flags & MSG_TRUNC))
		throw Error(CCR_ERR_PROTOCOL, "criu's message was cut short");
	if (!out.resp.ParseFromString(buf))
		throw Error(CCR_ERR_PROTOCOL, "criu sent a message ccr cannot parse (" + std::to_string(n) + " bytes)");
	if (out.resp.type() == criu::NOTIFY)
		last_notification_ = out.resp.notify().script();
	return out;
}

std::string CriuSession::finish()
{
	socket_.reset();
	return peer_.wait();
}

} // namespace ccr
