// SPDX-License-Identifier: Apache-2.0
// The parts of an OCI runtime config.json that checkpoint and restore need.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "container_spec.hpp"

namespace ccr {

struct OciMount {
	std::string destination;
	std::string source;
	std::string type;
	std::vector<std::string> options;

	// A bind mount, by type or by a "bind"/"rbind" option (runc's rule).
	bool is_bind() const;
};

// A linux.devices entry: the node runc makes in the container.
struct OciDevice {
	std::string path;
	std::string type;   // "c", "b", "u", "p"
	int64_t major = -1; // -1 when the config gives none
	int64_t minor = -1;
};

struct OciNamespace {
	std::string type; // "network", "pid", "mount", "ipc", "uts", "cgroup", "user", "time"
	std::string path; // empty: a new namespace
};

struct OciConfig {
	std::string root_path;
	bool terminal = false;
	std::vector<OciMount> mounts;
	std::vector<std::string> masked_paths;
	std::vector<std::string> device_paths;
	std::vector<OciDevice> devices; // the same entries, with type and numbers
	std::vector<OciNamespace> namespaces;
	std::string cgroups_path;
	std::map<std::string, std::string> annotations;

	// The namespace of `type`, or nullptr when the config does not list it.
	const OciNamespace *find_namespace(const std::string &type) const;
};

// Parses a config.json document. Throws CCR_ERR_CONFIG naming the field
// that is wrong; `origin` (a path, or "config JSON") goes into messages.
OciConfig parse_oci_config(const nlohmann::json &doc, const std::string &origin);

// Reads the config a container description points at: its JSON text, its
// config path, or <bundle>/config.json.
OciConfig load_oci_config(const ContainerSpec &spec);

// The container's rootfs on the host, absolute and with symlinks resolved:
// the description's rootfs, else the config's root.path (relative to the
// bundle). Throws CCR_ERR_CONFIG or CCR_ERR_NOT_FOUND.
std::string resolve_rootfs(const ContainerSpec &spec, const OciConfig &config);

} // namespace ccr
