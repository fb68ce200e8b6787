// SPDX-License-Identifier: Apache-2.0
#include "criu_enums.hpp"

namespace ccr {

criu::criu_cg_mode to_criu_cg_mode(ccr_cgroup_mode mode)
{
	switch (mode) {
	case CCR_CGROUP_SOFT:
		return criu::SOFT;
	case CCR_CGROUP_FULL:
		return criu::FULL;
	case CCR_CGROUP_STRICT:
		return criu::STRICT;
	case CCR_CGROUP_IGNORE:
		return criu::IGNORE;
	case CCR_CGROUP_NONE:
		return criu::CG_NONE;
	case CCR_CGROUP_PROPS:
		return criu::PROPS;
	case CCR_CGROUP_DEFAULT:
		break;
	}
	return criu::DEFAULT;
}

std::optional<criu::criu_network_lock_method> to_criu_network_lock(ccr_network_lock method)
{
	switch (method) {
	case CCR_NETWORK_LOCK_IPTABLES:
		return criu::IPTABLES;
	case CCR_NETWORK_LOCK_NFTABLES:
		return criu::NFTABLES;
	case CCR_NETWORK_LOCK_SKIP:
		return criu::SKIP;
	case CCR_NETWORK_LOCK_DEFAULT:
		break;
	}
	return std::nullopt;
}

criu::criu_pre_dump_mode to_criu_pre_dump_mode(ccr_pre_dump_mode mode)
{
	switch (mode) {
	case CCR_PRE_DUMP_READ:
		return criu::VM_READ;
	case CCR_PRE_DUMP_SPLICE:
		break;
	}
	return criu::SPLICE;
}

} // namespace ccr
