// SPDX-License-Identifier: Apache-2.0
// Taking away a network lock that a killed CRIU left behind.
//
// Right after the network-lock notification CRIU makes the container's
// network namespace drop every packet: an iptables chain "CRIU" that INPUT
// and OUTPUT jump to (the default), or an nftables table "inet CRIU-<run id>"
// (CRIU 4; "inet CRIU-<pid>" before it).
// CRIU removes it itself when a dump fails or ends with the container left
// running. A CRIU killed in between (time limit, cancel, a signal, a crash)
// cannot, and the container runs on with its network cut off: runc leaves it
// so. ccr removes exactly what CRIU adds, in the container's namespace.
#pragma once

#include <string>

namespace ccr {

// Removes CRIU's lock from the network namespace of `pid` if it is there.
// `criu_run_id`: the killed CRIU's run id from its log (read_criu_run_id());
// when "", every nftables table named "CRIU-..." there is taken for the
// lock. Best effort, never throws; returns what it removed ("iptables chain
// CRIU", ...) for the error message, "" when nothing was found.
std::string remove_leftover_network_lock(int pid, const std::string &criu_run_id);

} // namespace ccr
