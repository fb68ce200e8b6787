// SPDX-License-Identifier: Apache-2.0
// How an operation learns, from another thread, that its caller gave up on
// it (ccr_cancel() and the time limit).
#pragma once

#include <atomic>

namespace ccr {

// Shared between an operation and whoever cancels it from another thread:
// a flag plus an eventfd the operation's waits poll on.
class Cancellation {
public:
	Cancellation();
	~Cancellation();
	Cancellation(const Cancellation &) = delete;
	Cancellation &operator=(const Cancellation &) = delete;
	void cancel() noexcept;
	bool canceled() const noexcept;
	int fd() const noexcept { return fd_; }

private:
	int fd_ = -1;
	std::atomic<bool> canceled_{false};
};

} // namespace ccr
