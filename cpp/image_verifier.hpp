// SPDX-License-Identifier: Apache-2.0
// Checks a checkpoint's images against the caller's container description
// before CRIU restores them (issue 19, case 1). CRIU restores what its
// images say; without these checks a checkpoint of a host process restored
// "into" a bundle asking for new namespaces comes back in the host's
// namespaces, and a crafted cgroup.img makes CRIU create directories
// anywhere in the host's cgroup hierarchies.
//
// What is checked (each refusal is CCR_ERR_IMAGE naming the image file and
// the field; docs/image_verifier.md has the reasons):
//   - pstree.img holds one process tree: exactly one root (ppid 0), every
//     ppid names a task of the tree, no pid twice, at most kMaxImageTasks;
//   - namespaces (ids-<pid>.img against inventory.img root_ids, the
//     dumping CRIU's own): one the config makes new is not the dumper's,
//     for no task; the mount namespace is never the dumper's (the root
//     would be the host's /); network or pid joined by path is recorded as
//     external (netns-/pidns-<id>.img ext_key) under ccr's key; a type the
//     config does not list is the dumper's (time and cgroup aside); types
//     joined through join_ns are CRIU's to join;
//   - mounts (mountpoints-<id>.img of every task's mount namespace): one
//     root mount, at "/" in the root task's namespace (CRIU mounts ccr's
//     restore root there); every other mount is external with a key the
//     restore provides, a bind from the rootfs or an external mount, a
//     proc, sysfs, tmpfs, devpts or mqueue, or a mount the config lists
//     (read-only when the config says "ro"); nothing else, so no disk, no
//     overlay and no bind of a host path;
//   - devices: device nodes in tmpfs contents (tmpfs-dev-*.tar.gz.img),
//     files the tasks had open below /dev (files.img, reg-files.img) and
//     virtual terminals or serial lines (tty-info.img) are devices the
//     config lists (linux.devices, runc's defaults), with their numbers;
//   - cgroup.img: no path component "." or ".." or empty, depth and count
//     capped; every task's cgroup is one CRIU moves at or below the cgroup
//     root ccr gives it (the container's new cgroup), and every directory
//     CRIU would create hangs below it.
// Everything else in the images (memory, registers, credentials and
// capabilities, seccomp and LSM state, file contents) is still restored as
// written: see docs/reliability.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ccr {

inline constexpr size_t kMaxImageTasks = 65536;
inline constexpr size_t kMaxCgroupDepth = 64;
inline constexpr size_t kMaxCgroupEntries = 65536;

// A mount the config asks for that is not a bind (binds are external
// mounts, matched by key).
struct ExpectedMount {
	std::string destination; // inside the container
	std::string type;        // as the config says ("proc", "cgroup", ...)
	std::string source;
	bool read_only = false; // "ro" among the options
};

struct DeviceNode {
	char type = 'c';    // 'c' or 'b'
	int64_t major = -1; // -1: any (the config gave no number)
	int64_t minor = -1;
};

struct ImageExpectations {
	// OCI namespace types ("pid", "network", "mount", ...) the config asks
	// to be new (listed without a path).
	std::vector<std::string> new_namespaces;
	// OCI types the config gives by path.
	std::vector<std::string> joined_namespaces;
	// Of those, the ones whose path names the restoring process's own
	// namespace (a host-network pod's containers join the host's network
	// namespace by path): a task CRIU leaves in the restoring side's
	// namespace is then in the one the config names.
	std::vector<std::string> joined_own_namespaces;
	// OCI types the caller's own join_ns options join.
	std::vector<std::string> caller_joined_namespaces;

	// The keys of the external mounts the restore hands CRIU: the config's
	// binds, devices and masked files, and the caller's ext_mounts.
	std::set<std::string> ext_mount_keys;
	// The caller let CRIU take external mounts' host paths from the images
	// (auto_ext_mnt): the images' "autodetected" mounts are then accepted.
	bool auto_ext_mounts = false;
	// The caller's --external entries ("dev[...]:...", ...).
	std::vector<std::string> externals;
	// The config's mounts that are not binds.
	std::vector<ExpectedMount> config_mounts;
	// The device nodes the container may have, by path inside it: the
	// config's linux.devices and runc's defaults (null, zero, full, random,
	// urandom, tty, console, ptmx).
	std::map<std::string, DeviceNode> devices;
	// Where the config mounts something below /dev (pts, shm, mqueue):
	// files there are the container's own.
	std::vector<std::string> dev_mounts;
};
// Reads the images above under `images_dirfd`, never following a symlink.
// Throws CCR_ERR_IMAGE on the first mismatch, CCR_ERR_NOT_FOUND when
// pstree.img or inventory.img is missing.
void verify_images(int images_dirfd, const ImageExpectations &expect);

} // namespace ccr
