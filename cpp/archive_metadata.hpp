// SPDX-License-Identifier: Apache-2.0
// config.dump, the container description every CRI checkpoint archive
// carries beside its images: the JSON of Podman's ContainerConfig that CRI-O
// and containerd also write, reduced to the fields checkpointctl reads
// (`show` prints id, rootfsImageName, runtime and createdTime; `inspect` adds
// checkpointedTime).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace ccr {

inline constexpr const char *kConfigDumpFile = "config.dump";
inline constexpr const char *kSpecDumpFile = "spec.dump";
inline constexpr const char *kCheckpointDir = "checkpoint";
inline constexpr const char *kStatsDumpFile = "stats-dump";
inline constexpr const char *kDumpLogFile = "dump.log";
inline constexpr const char *kRootfsDiffTar = "rootfs-diff.tar";
inline constexpr const char *kDeletedFilesFile = "deleted.files";

using SystemTime = std::chrono::system_clock::time_point;

struct CheckpointMetadata {
	std::string id;
	std::string name;
	// The image the rootfs came from; ccr is given a rootfs directory, not
	// an image, so these stay empty unless a caller knows better.
	std::string rootfs_image;
	std::string rootfs_image_ref;
	std::string rootfs_image_name;
	// The OCI runtime that runs the container (restore recreates it with
	// this runtime): ccr checkpoints and restores runc containers.
	std::string runtime = "runc";
	// Unset when unknown: the key is left out and readers see Go's zero
	// time, as Podman's own restoredTime before a restore.
	std::optional<SystemTime> created;
	std::optional<SystemTime> checkpointed;
};

// The config.dump text for `m`: a JSON object with "id", "name",
// "rootfsImage", "rootfsImageRef", "rootfsImageName", "runtime",
// "createdTime", "checkpointedTime" and "restored": false. Times are RFC 3339
// in UTC with nanoseconds, as Go's time.Time encodes them.
std::string config_dump_json(const CheckpointMetadata &m);

// `t` as RFC 3339 in UTC with nanoseconds ("2026-01-02T03:04:05.000000006Z").
std::string rfc3339_utc(SystemTime t);

// When process `pid` started, from /proc/<pid>/stat and the boot time in
// /proc/stat (to the kernel's clock tick), or nullopt when it does not exist.
std::optional<SystemTime> process_start_time(int pid);

} // namespace ccr
