// SPDX-License-Identifier: Apache-2.0
// ccr's public enums in CRIU's RPC terms. The numbers differ between the two
// (CCR_CGROUP_SOFT is 1, CRIU's SOFT is 3), so every enum goes through an
// explicit table here rather than a cast that would be right only by luck.
#pragma once

#include <optional>

#include "ccr.h"
#include "rpc.pb.h"

namespace ccr {

// The CRIU value of a ccr cgroup mode; CCR_CGROUP_DEFAULT is CRIU's DEFAULT.
criu::criu_cg_mode to_criu_cg_mode(ccr_cgroup_mode mode);

// The CRIU value of a network lock method; nullopt for
// CCR_NETWORK_LOCK_DEFAULT (the request leaves the field unset).
std::optional<criu::criu_network_lock_method> to_criu_network_lock(ccr_network_lock method);

// The CRIU value of a pre-dump mode.
criu::criu_pre_dump_mode to_criu_pre_dump_mode(ccr_pre_dump_mode mode);

} // namespace ccr
