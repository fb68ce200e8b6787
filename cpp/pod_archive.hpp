// SPDX-License-Identifier: Apache-2.0
// A whole pod checkpoint as one archive: the pod directory ccr_pod_checkpoint()
// writes (pod.json and one container checkpoint per id), packed as a tar and
// unpacked under the container archive's rules for hostile input.
#pragma once

#include <string>

#include "archive_import.hpp"
#include "options.hpp"

namespace ccr {

// Writes an uncompressed tar at `archive_path` of the pod checkpoint in
// `pod_dir`: pod.json, and for each container pod.json lists, <id>/ with its
// regular files (dump.log, stats-dump) and <id>/checkpoint/ with CRIU's
// images. Anything else there that is not a regular file is refused. Written
// to a temporary file (0600) beside `archive_path` and renamed over it once
// complete. Throws CCR_ERR_INVALID_ARGUMENT (empty paths, the archive inside
// the pod directory), CCR_ERR_NOT_FOUND (no pod directory or pod.json),
// CCR_ERR_UNSAFE_PATH (the directory fails open_private_dir()'s checks),
// CCR_ERR_IMAGE (a bad pod.json, a container without inventory.img, a file
// that is not a regular one), CCR_ERR_CANCELED, CCR_ERR_SYSTEM.
void export_pod_archive(const std::string &archive_path, const std::string &pod_dir, const Options &opts);

// Unpacks a pod archive into `dest_dir` (which must not exist) under
// import_archive()'s rules, then requires pod.json and, for every container
// it lists, <id>/checkpoint/inventory.img; nothing else in pod.json is acted
// on (a pod restore takes its cgroup parent and network namespace from the
// caller). On failure `dest_dir` is removed. Throws as import_archive().
void import_pod_archive(const std::string &archive_path, const std::string &dest_dir, const ImportLimits &limits,
			const ImportControl &control);

} // namespace ccr
