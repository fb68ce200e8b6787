// SPDX-License-Identifier: Apache-2.0
// config.dump, the container description every CRI checkpoint archive
// carries beside its images: the JSON of Podman's ContainerConfig that CRI-O
// and containerd also write, reduced to the fields checkpointctl reads
// (`show` prints id, rootfsImageName, runtime and createdTime; `inspect` adds
// checkpointedTime), and containerd's status.dump and status beside it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ccr {

inline constexpr const char *kConfigDumpFile = "config.dump";
inline constexpr const char *kSpecDumpFile = "spec.dump";
inline constexpr const char *kCheckpointDir = "checkpoint";
inline constexpr const char *kStatsDumpFile = "stats-dump";
inline constexpr const char *kDumpLogFile = "dump.log";
inline constexpr const char *kRootfsDiffTar = "rootfs-diff.tar";
inline constexpr const char *kDeletedFilesFile = "deleted.files";

using SystemTime = std::chrono::system_clock::time_point;

// The containerd-only copy of its own record of the container, beside
// status.dump (checkpointctl's lib calls it StatusFile).
inline constexpr const char *kContainerdStatusFile = "status";
inline constexpr const char *kStatusDumpFile = "status.dump";

struct CheckpointMetadata {
	std::string id;
	std::string name;
	// The image the rootfs came from; ccr is given a rootfs directory, not
	// an image, so these stay empty unless the caller says.
	std::string rootfs_image_name;
	std::string rootfs_image_ref;
	// The OCI runtime that runs the container (restore recreates it with
	// this runtime): ccr checkpoints and restores runc containers.
	std::string runtime = "runc";
	// Unset when unknown: written as Go's zero time, as the engines do.
	std::optional<SystemTime> created;
	std::optional<SystemTime> started; // when the init started
	std::optional<SystemTime> checkpointed;
	int pid = 0;
	// The OCI config's process.user, as containerd reports it.
	int64_t uid = 0;
	int64_t gid = 0;
	std::vector<int64_t> supplemental_groups;
};

// config.dump: the JSON of checkpointctl's ContainerConfig as Go's
// encoding/json writes it (containerd and CRI-O marshal that type): keys in
// its field order, empty image fields left out, every time present (Go's
// zero time when unknown), restoredTime zero and restored false.
std::string config_dump_json(const CheckpointMetadata &m);

// status.dump: the CRI ContainerStatus of a running container as containerd
// marshals it with encoding/json (snake_case keys, zero values left out,
// enums as numbers): id, metadata.name, state, created_at, started_at,
// image.image, image_ref, user.linux and stop_signal.
std::string status_dump_json(const CheckpointMetadata &m);

// status: containerd's own versioned record of the container (pid, created
// and started times in nanoseconds).
std::string containerd_status_json(const CheckpointMetadata &m);

// `t` as Go's time.Time marshals it in UTC: RFC 3339 with the fraction's
// trailing zeros cut ("2026-01-02T03:04:05.5Z"), "0001-01-01T00:00:00Z"
// when unset.
std::string go_time(const std::optional<SystemTime> &t);

// `t` as RFC 3339 in UTC with nanoseconds ("2026-01-02T03:04:05.000000006Z").
std::string rfc3339_utc(SystemTime t);

// JSON text as Go's encoding/json writes it: compact, with <, >, & and the
// line and paragraph separators escaped.
std::string go_json(const nlohmann::ordered_json &j);

// The OCI config text for spec.dump with the annotations `engine`'s own
// spec.dump carries and checkpointctl reads ("containerd": the CRI container
// and image name; "cri-o": the manager, metadata and creation time), each
// added only when the config lacks it. Returns `config_text` unchanged when
// nothing is added.
std::string annotated_spec(const std::string &config_text, const CheckpointMetadata &m, const std::string &engine);

// When process `pid` started, from /proc/<pid>/stat and the boot time in
// /proc/stat (to the kernel's clock tick), or nullopt when it does not exist.
std::optional<SystemTime> process_start_time(int pid);

} // namespace ccr
