// SPDX-License-Identifier: Apache-2.0
// The operations the C ABI offers, in C++ terms.
#pragma once

#include <string>
#include <vector>

#include "container_spec.hpp"
#include "criu_stats.hpp"
#include "options.hpp"

namespace ccr {

struct OperationResult {
	int pid = 0; // restore: the new init
	OperationStats stats;
	// What went wrong after CRIU had succeeded (its statistics unreadable,
	// say): the operation still happened, so these never make it fail.
	std::vector<std::string> warnings;
};

OperationResult checkpoint(const ContainerSpec &spec, const Options &opts);
OperationResult restore(const ContainerSpec &spec, const Options &opts);

// CRIU's version (cached) and its feature answer, each on a CRIU of its own.
unsigned criu_version(const Options &opts);
unsigned criu_features(const Options &opts);

} // namespace ccr
