// Importing a checkpoint archive (ccr's, CRI-O's, Podman's, containerd's)
// into a fresh directory. The archive comes from elsewhere and may be hostile,
// and tools that trusted theirs paid for it: CRI-O mounted the host paths the
// archive recorded rather than those the pod asked for (CVE-2024-8676), and
// Podman deleted files outside the container named by "../" paths in
// deleted.files (podman#27977). So the unpack rules here are strict, nothing
// in the archive is interpreted (spec.dump, config.dump, deleted.files and
// rootfs-diff.tar are only stored), and mounts and devices for a restore come
// from the caller's spec alone.
#pragma once

#include <cstdint>
#include <string>

namespace ccr {

struct ImportLimits {
	// One entry's size as its header declares it, and the sum over all
	// entries; refused before a byte of it is written.
	uint64_t max_entry_bytes = 64ull << 30;
	uint64_t max_total_bytes = 64ull << 30;
	// Entries, directories included: a million empty files would exhaust
	// inodes long before the byte limit.
	uint64_t max_entries = 1u << 20;
	// Components in one entry's path. CRIU's images are one level below
	// checkpoint/; no archive layout needs more than a few.
	unsigned max_depth = 32;
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
//     max_total_bytes, or is one entry past max_entries;
//   - appears twice, or would put a file where a directory is or a
//     directory (or anything below it) where a file is.
// The archive must hold checkpoint/inventory.img. Afterwards the images
// directory for a restore is <dest_dir>/checkpoint; rootfs-diff.tar stays a
// file there, for the caller to apply (or not) to a rootfs it controls.
//
// On any failure `dest_dir` is removed with everything made in it, and
// nothing outside it was touched. Throws CCR_ERR_IMAGE naming the archive,
// the entry (non-printable bytes escaped) and what is wrong with it;
// CCR_ERR_INVALID_ARGUMENT when `dest_dir` exists or a path is empty;
// CCR_ERR_NOT_FOUND when the archive or `dest_dir`'s parent is missing;
// CCR_ERR_SYSTEM when a write fails.
void import_archive(const std::string &archive_path, const std::string &dest_dir, const ImportLimits &limits = {});

} // namespace ccr
