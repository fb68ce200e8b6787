// SPDX-License-Identifier: Apache-2.0
// CRIU's version and features, asked over RPC. The version is cached per
// CRIU binary for the life of the process (a guarded cache, the one piece of
// shared state in ccr), so only the first operation pays for the question.
#pragma once

#include <optional>
#include <string>

#include "criu_session.hpp"
#include "options.hpp"

namespace ccr {

// The oldest CRIU ccr drives: what the CRI and crun ask for.
inline constexpr unsigned kMinCriuVersion = 31600;

// MAJOR * 10000 + MINOR * 100 + SUBLEVEL.
unsigned version_number(const criu::criu_version &v);

// An identity for a CRIU binary that changes when the file is replaced:
// its resolved path, device, inode, size and mtime. Throws CCR_ERR_CRIU_START
// when the binary cannot be found.
std::string criu_binary_identity(const std::string &criu_path);

std::optional<unsigned> cached_criu_version(const std::string &identity);
void remember_criu_version(const std::string &identity, unsigned version);

// Other facts about a CRIU binary, kept in the same cache under a name of
// their own ("nftables-lock", ...).
std::optional<unsigned> cached_criu_fact(const std::string &identity, const std::string &fact);
void remember_criu_fact(const std::string &identity, const std::string &fact, unsigned value);

// The resolved path an identity was made from.
std::string criu_path_of(const std::string &identity);

// Asks for the version on an open session. With keep_open, CRIU stays
// ready for the operation's real request on the same process.
unsigned ask_criu_version(CriuSession &session, bool keep_open);

// Throws CCR_ERR_UNSUPPORTED when `version` is older than ccr supports.
void require_supported(unsigned version);

// CRIU's own answer to a feature check, as ccr_feature bits.
unsigned ask_criu_features(CriuSession &session, bool keep_open);

// The features an operation with these options needs (ccr_feature bits).
unsigned features_needed(const Options &opts, bool restore);

// Fails with CCR_ERR_UNSUPPORTED "missing feature: MemTrack" (and so on) when
// CRIU lacks any of `needed`, asking on this session (keep_open) unless the
// answer is cached for this binary.
void require_features(CriuSession &session, const std::string &identity, unsigned needed);

} // namespace ccr
