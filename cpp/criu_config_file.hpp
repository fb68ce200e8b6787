// SPDX-License-Identifier: Apache-2.0
// Which CRIU configuration file an operation uses, by runc's rules plus ccr's
// own default file.
#pragma once

#include <optional>
#include <string>

#include "oci_config.hpp"
#include "options.hpp"

namespace ccr {

inline constexpr const char *kCriuConfigAnnotation = "org.criu.config";

// The caller's choice wins; then the config's "org.criu.config" annotation
// ("" means no file); then /etc/criu/ccr.conf, then /etc/criu/runc.conf, when
// they exist. `exists` is injectable for tests.
std::optional<std::string> choose_criu_config_file(const Options &opts, const OciConfig &config,
						   bool (*exists)(const std::string &) = nullptr);

} // namespace ccr
