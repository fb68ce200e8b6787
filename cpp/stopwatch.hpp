// SPDX-License-Identifier: Apache-2.0
// Elapsed time on the monotonic clock, for the statistics ccr reports.
#pragma once

#include <chrono>
#include <cstdint>

namespace ccr {

class Stopwatch {
public:
	uint64_t elapsed_us() const
	{
		return uint64_t(
			std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_)
				.count());
	}

private:
	std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

} // namespace ccr
