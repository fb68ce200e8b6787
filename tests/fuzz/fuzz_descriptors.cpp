// SPDX-License-Identifier: Apache-2.0
// Fuzzes the descriptors.json checks restore applies to what it reads.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "descriptors.hpp"
#include "error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try {
		auto fds = ccr::parse_descriptors(std::string_view(reinterpret_cast<const char *>(data), size));
		(void)fds;
	} catch (const ccr::Error &) {
	}
	return 0;
}
