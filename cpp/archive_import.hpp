// SPDX-License-Identifier: Apache-2.0
// Importing a checkpoint archive (ccr's, CRI-O's, Podman's, containerd's)
// into a fresh directory. The archive comes from elsewhere and may be hostile,
// and tools that trusted theirs paid for it: CRI-O mounted the host paths the
// archive recorded rather than those the pod asked for (CVE-2024-8676), and
// Podman deleted files outside the container named by "../" paths in
// deleted.files (podman#27977). So the unpack rules here are strict, nothing
// in the archive is interpreted (spec.dump, config.dump, deleted.files and
// rootfs-diff.tar are only stored). The images themselves still describe
// what CRIU restores (namespaces, mounts, memory): unpacking them safely does
// not make them safe to restore (see ccr_restore() in ccr.h).
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "options.hpp"

namespace ccr {

struct ImportLimits {
	// One entry's size as its header declares it, and the sum over all
	// entries; refused before a byte of it is written.
	uint64_t max_entry_bytes = 64ull << 30;
	uint64_t max_total_bytes = 64ull << 30;
	// Entries, directories included: a million empty files would exhaust
	// inodes long before the byte limit. A checkpoint has a few files per
	// process (core, mm, pagemap, pages, fds...): this fits thousands.
	uint64_t max_entries = 1u << 17;
	// What the entries declare in all may not pass max_ratio times the
	// archive's own size, once past ratio_floor: a compressed archive of a
	// few KiB must not fill a disk. gzip cannot pass about 1032:1; memory
	// images compress a few times, zeroed ones up to gzip's limit.
	uint32_t max_ratio = 1000;
	uint64_t ratio_floor = 256ull << 20;
	// Components in one entry's path. CRIU's images are one level below
	// checkpoint/; no archive layout needs more than a few.
	unsigned max_depth = 32;
};

// How an import may be stopped from outside: ccr_options_cancel() and the
// options' time limit, checked between entries and between data blocks.
struct ImportControl {
	std::shared_ptr<Cancellation> cancellation; // null: none
	std::optional<std::chrono::steady_clock::time_point> deadline;
};

// Unpacks the tar (uncompressed, gzip or zstd) at `archive_path` into
// `dest_dir`, which must not exist: it is created 0700 (its parent must
// exist) and every entry is made relative to descriptors of directories
// made here, never following a symlink, files with O_CREAT | O_EXCL |
// O_NOFOLLOW, mode 0600 for files and 0700 for directories whatever the
// archive says, owners not applied. An entry is refused, and the whole import
// with it, when it:
//   - is anything but a regular file or a directory (symlink, hard link,
//     character or block device, fifo, socket);
//   - has an absolute path, a ".." component, an empty name, a component
//     longer than NAME_MAX or more than max_depth components;
//   - declares more than max_entry_bytes, or brings the total past
//     max_total_bytes, or past max_ratio times the archive's size (once
//     past ratio_floor), or is one entry past max_entries;
//   - appears twice, or would put a file where a directory is or a
//     directory (or anything below it) where a file is.
// The archive must be a regular file (checked without blocking: a fifo is
// refused, not waited on) and hold checkpoint/inventory.img. Memory use
// grows with the depth of the archive's paths, not with its entry count:
// duplicates are found in the destination itself (files with O_EXCL,
// directories by a mode bit held only while the import runs). Afterwards the images
// directory for a restore is <dest_dir>/checkpoint; rootfs-diff.tar stays a
// file there, for the caller to apply (or not) to a rootfs it controls.
//
// On any failure `dest_dir` is removed with everything made in it, and
// nothing outside it was touched. Throws CCR_ERR_IMAGE naming the archive,
// the entry (non-printable bytes escaped) and what is wrong with it;
// CCR_ERR_INVALID_ARGUMENT when `dest_dir` exists or a path is empty;
// CCR_ERR_NOT_FOUND when the archive or `dest_dir`'s parent is missing;
// CCR_ERR_SYSTEM when a write fails; CCR_ERR_CANCELED or CCR_ERR_TIMEOUT
// when `control` stops it.
//
// `layout` says what the unpacked tree must hold to be a checkpoint: called
// with the destination's descriptor once every entry is in, it throws
// CCR_ERR_IMAGE when the tree is not one. Empty: a container checkpoint
// (checkpoint/inventory.img, as above).
using ArchiveLayoutCheck = std::function<void(int dest_fd)>;
void import_archive(const std::string &archive_path, const std::string &dest_dir, const ImportLimits &limits = {},
		    const ImportControl &control = {}, const ArchiveLayoutCheck &layout = {});

} // namespace ccr
