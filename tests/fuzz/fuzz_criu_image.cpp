// SPDX-License-Identifier: Apache-2.0
// Fuzzes the CRIU image reader and the stats decoding on top of it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "criu_image.hpp"
#include "error.hpp"
#include "stats.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view bytes(reinterpret_cast<const char *>(data), size);
	try {
		auto image = ccr::parse_criu_image(bytes, ccr::kStatsMagic, "fuzz");
		for (const auto &e : image.entries) {
			ccr::criu::stats_entry entry;
			(void)entry.ParseFromString(e);
		}
	} catch (const ccr::Error &) {
	}
	return 0;
}
