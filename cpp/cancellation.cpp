// SPDX-License-Identifier: Apache-2.0
#include "cancellation.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include "error.hpp"

namespace ccr {

Cancellation::Cancellation() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
	if (fd_ < 0)
		throw_errno("cannot create the cancellation eventfd");
}

Cancellation::~Cancellation()
{
	if (fd_ >= 0)
		::close(fd_);
}

void Cancellation::cancel() noexcept
{
	canceled_.store(true);
	uint64_t one = 1;
	// Wakes every wait polling the eventfd; it stays readable from now on.
	[[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}

bool Cancellation::canceled() const noexcept
{
	return canceled_.load();
}

} // namespace ccr
