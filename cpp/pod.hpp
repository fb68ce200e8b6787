// SPDX-License-Identifier: Apache-2.0
// Pods: several containers checkpointed at one instant and restored
// together (docs/pod.md). The C ABI's ccr_pod handle wraps one PodSpec.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "container_spec.hpp"
#include "operations.hpp"
#include "options.hpp"

namespace ccr {

// One container of a pod and the options that are its own (NULL in the C
// ABI: the pod's). The images and work directories, leave_running, the
// time limit, the cancellation and the notify callback are the pod's.
struct PodMember {
	ContainerSpec spec;
	std::optional<Options> opts;
};

struct PodSpec {
	std::string id;
	// The pod's parent cgroup, relative to each hierarchy's root
	// ("/kubepods/pod1234"): every container's cgroup is below it.
	std::string cgroup_parent;
	// The network namespace the containers share, by path (a bind mount
	// such as /run/netns/pod1234), or "" when they share none.
	std::string network_ns;
	std::vector<PodMember> members;
};

struct PodResult {
	std::vector<std::string> ids;            // in the pod's order
	std::vector<OperationResult> containers; // the same order
	std::optional<uint64_t> frozen_time_us;  // checkpoint: pod freeze to thaw (or kill)
	std::optional<uint64_t> wall_time_us;
	std::vector<std::string> warnings; // the pod's own
};

// The name of the pod's metadata file in its checkpoint directory.
inline constexpr const char *kPodMetadataFile = "pod.json";

// Checkpoints every member into <dir>/<id>/checkpoint (CRIU's work
// directory, with dump.log and stats-dump, is <dir>/<id>). `dir` must not
// exist; it is made 0700 and removed again on failure.
PodResult pod_checkpoint(const PodSpec &pod, const std::string &dir, const Options &opts);

// Restores every member from what pod_checkpoint() wrote in `dir`,
// matching members to the checkpoint's containers by id.
PodResult pod_restore(const PodSpec &pod, const std::string &dir, const Options &opts);

} // namespace ccr
