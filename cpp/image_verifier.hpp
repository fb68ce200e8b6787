// SPDX-License-Identifier: Apache-2.0
// Checks a checkpoint's images against the caller's container description
// before CRIU restores them (issue 19, case 1). CRIU restores what its
// images say; without these checks a checkpoint of a host process restored
// "into" a bundle asking for new namespaces comes back in the host's
// namespaces, and a crafted cgroup.img makes CRIU create directories
// anywhere in the host's cgroup hierarchies.
//
// What is checked (each refusal is CCR_ERR_IMAGE naming the image file and
// the field):
//   - pstree.img holds one process tree: exactly one root (ppid 0), every
//     ppid names a task of the tree, no pid twice, at most kMaxImageTasks;
//   - for every namespace type the config creates (listed without a path),
//     the root task's namespace (ids-<root>.img) is not the dumping
//     CRIU's own (inventory.img root_ids): it was the container's, so CRIU
//     makes a new one rather than leaving the task in the host's; and no
//     other task of the tree is in the dumper's namespace of that type;
//   - cgroup.img: no path component "." or ".." or empty in a set's path or
//     a directory name, depth and count capped.
// Everything else in the images (memory, registers, files, mounts, devices)
// is still restored as written: see docs/reliability.md.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ccr {

inline constexpr size_t kMaxImageTasks = 65536;
inline constexpr size_t kMaxCgroupDepth = 64;
inline constexpr size_t kMaxCgroupEntries = 65536;

struct ImageExpectations {
	// OCI namespace types ("pid", "network", "mount", ...) the config asks
	// to be new (listed without a path).
	std::vector<std::string> new_namespaces;
};

// Reads pstree.img, inventory.img, ids-<pid>.img of each task and
// cgroup.img (when present) under `images_dirfd`, never following a
// symlink. Throws CCR_ERR_IMAGE on the first mismatch, CCR_ERR_NOT_FOUND
// when pstree.img or inventory.img is missing.
void verify_images(int images_dirfd, const ImageExpectations &expect);

} // namespace ccr
