// SPDX-License-Identifier: Apache-2.0
// Which network lock a checkpoint asks CRIU for when the caller chose none.
// CRIU's own default is iptables: it execs iptables-restore (and, through a
// shell, the legacy save tools) to add and remove a chain in the
// container's network namespace. Its nftables lock does the same job
// (every packet in the namespace dropped but CRIU's own) through
// libnftables, inside CRIU, with no program started. ccr picks nftables
// when the CRIU binary is linked with libnftables and the kernel answers
// nf_tables requests; otherwise it leaves CRIU's default. Neither check
// starts a process, and the answer is cached per CRIU binary with the
// version. The method is recorded in the images' inventory, and CRIU's
// restore (ccr's, runc's, the CLI's) takes it from there.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "options.hpp"
#include "rpc.pb.h"

namespace ccr {

// The DT_NEEDED entries of an ELF executable ("libc.so.6", ...). Empty when
// the file is not a dynamically linked ELF of this machine's word size, or
// cannot be read.
std::vector<std::string> elf_needed_libraries(const std::string &path);

// Whether the running kernel answers an nf_tables request (its generation
// id) on a netlink socket: nf_tables is built in or its module loads.
bool kernel_answers_nf_tables();

// The network lock a dump asks CRIU for: the caller's, else
// NFTABLES when the container has a network namespace of its own (one CRIU
// dumps and restores, not one given by path nor the host's), the CRIU
// binary with this identity (criu_version.hpp) is linked with libnftables
// and the kernel has nf_tables; else none (CRIU's default, iptables). The
// namespace condition is not about speed: a namespace that outlives the
// container (CNI's, given by path) keeps the lock table a successful dump
// leaves until the restore removes it, and a restore into it with an empty
// network set (runc's --empty-ns network, always for runc) locks again
// with "create table", which CRIU 4.1's nftables lock fails on when the
// table exists, where the iptables lock goes on. The CRIU facts are cached
// per identity.
std::optional<criu::criu_network_lock_method> chosen_network_lock(const Options &opts, const std::string &criu_identity,
								  bool own_network_namespace);

} // namespace ccr
