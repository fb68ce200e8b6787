// SPDX-License-Identifier: Apache-2.0
// Paths inside a container's root filesystem, resolved the way the container
// itself would see them. The rootfs is untrusted: a symlink in it may point
// anywhere ("/", "../../../etc"), and following it on the host would read or
// create files outside the container. Everything here walks the rootfs with
// the kernel's openat2(RESOLVE_IN_ROOT), which treats the rootfs as "/".
#pragma once

#include <string>

namespace ccr {

// The absolute path `path` names inside `rootfs`, as the container sees it:
// starts with "/", lexically clean, no trailing slash (except "/" itself).
// Existing components are resolved with symlinks followed inside the rootfs
// (absolute targets are relative to it, ".." stops at its root); components
// that do not exist are appended lexically, after a dangling symlink has been
// followed to its target. `path` may be relative; it is taken from "/".
// Throws CCR_ERR_UNSAFE_PATH when the result would be outside the rootfs or a
// symlink loops, CCR_ERR_NOT_FOUND/CCR_ERR_SYSTEM when the rootfs cannot be
// opened, CCR_ERR_UNSUPPORTED on kernels without openat2 (before 5.6).
std::string resolve_in_rootfs(const std::string &rootfs, const std::string &path);

// Makes sure a mountpoint exists at `container_path` inside `rootfs`: a
// directory, or (directory false) an empty regular file of mode 0644. Missing
// parents are created as 0755 directories. The path is resolved as by
// resolve_in_rootfs() and every component is created relative to a directory
// opened with RESOLVE_IN_ROOT, so nothing is ever created outside the rootfs.
// An existing entry is left alone, whatever its type.
void create_mountpoint(const std::string &rootfs, const std::string &container_path, bool directory);

} // namespace ccr
