// SPDX-License-Identifier: Apache-2.0
// Fuzzes the OCI config parser: any bytes must give a config or a typed
// ccr::Error, never a crash, a hang or another exception.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "oci_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
	if (doc.is_discarded())
		return 0;
	try {
		ccr::parse_oci_config(doc, "fuzz");
	} catch (const ccr::Error &) {
	}
	return 0;
}
