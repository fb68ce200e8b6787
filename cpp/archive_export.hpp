// SPDX-License-Identifier: Apache-2.0
// Exporting a checkpoint as the archive kubelet's checkpoint API, CRI-O,
// Podman and containerd write, so checkpointctl and those engines can read
// what ccr checkpointed.
#pragma once

#include <optional>
#include <string>

#include "container_spec.hpp"
#include "options.hpp"

namespace ccr {

// Writes an uncompressed tar at `archive_path` holding:
//   checkpoint/        every regular file of the options' images directory
//                      (CRIU's images and descriptors.json), but not CRIU's
//                      logs and statistics should they share the directory
//   config.dump        the container's id and name, runtime "runc", and the
//                      checkpoint time (inventory.img's mtime); its creation
//                      time only while its init can still be seen
//   spec.dump          the container's OCI config, byte for byte as given
//   stats-dump         from the work directory, when CRIU wrote it
//   dump.log           CRIU's dump log from the work directory, when present
//   rootfs-diff.tar    with `rootfs_diff_dir`: write_rootfs_diff() of it
//   deleted.files      with `rootfs_diff_dir`: its whiteouts, "[]" if none
// The archive is written to a temporary file (0600) beside `archive_path`
// and renamed over it once complete: readers never see half an archive, and
// a failure leaves what was at `archive_path` as it was.
//
// Throws CCR_ERR_INVALID_ARGUMENT (no path, no images directory),
// CCR_ERR_NOT_FOUND (a directory or the config is missing), CCR_ERR_UNSAFE_PATH
// (the images or work directory fails open_private_dir()'s checks),
// CCR_ERR_IMAGE (no inventory.img; a file in the images directory that is not
// a regular file, or that changed while it was archived), CCR_ERR_UNSUPPORTED
// (images that need a parent pre-dump), CCR_ERR_CONFIG (the config is not a
// JSON object), CCR_ERR_CANCELED (the options were canceled), CCR_ERR_SYSTEM.
void export_archive(const std::string &archive_path, const ContainerSpec &spec, const Options &opts,
		    const std::optional<std::string> &rootfs_diff_dir);

} // namespace ccr
