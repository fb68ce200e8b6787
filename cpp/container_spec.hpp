// SPDX-License-Identifier: Apache-2.0
// What the caller tells ccr about a container; the C ABI's ccr_container
// handle wraps one ContainerSpec.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace ccr {

struct ContainerSpec {
	std::string id;
	int pid = 0;
	std::string bundle;
	std::string config_path;                   // empty: <bundle>/config.json
	std::optional<nlohmann::json> config_json; // set: used instead of a file
	std::string rootfs;                        // empty: from the config
	std::string state_dir;                     // empty: a private temporary directory
	// Cgroup path per v1 hierarchy; the key "" applies to every hierarchy.
	std::map<std::string, std::string> cgroup_paths;
	int stdio[3] = {-1, -1, -1};
	// Checkpoint a plain process tree in the caller's pid namespace: the
	// pid need not be a pid namespace's init (checkpoint_target.hpp).
	bool process_tree = false;
};

} // namespace ccr
