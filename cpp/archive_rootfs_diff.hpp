// SPDX-License-Identifier: Apache-2.0
// rootfs-diff.tar and deleted.files: the container's writable layer inside a
// checkpoint archive, as CRI-O and Podman put it there. The caller names the
// layer's directory (an overlayfs upper directory, say); ccr never guesses it.
#pragma once

#include <string>
#include <vector>

namespace ccr {

// Writes everything under `dir` as an uncompressed tar to `out_fd` (which
// stays the caller's), names relative to `dir`, with owners, modes and
// mtimes kept. Regular files, directories, symlinks (stored, never followed),
// devices and fifos go in; sockets cannot be stored in a tar and are left out,
// as GNU tar does; a file with several hard links is stored once per name.
// Nothing on another mount below `dir` is entered.
//
// An overlayfs whiteout (a 0/0 character device) marks a file deleted from
// the layers below: it does not go into the tar; its path, absolute inside
// the container ("/etc/motd"), goes into the returned list, which is what
// deleted.files holds. Opaque directories (the trusted.overlay.opaque xattr)
// are stored as plain directories: xattrs are not kept.
//
// Throws CCR_ERR_NOT_FOUND when `dir` is missing, CCR_ERR_INVALID_ARGUMENT
// when it is not a directory, CCR_ERR_SYSTEM on read or write failures.
std::vector<std::string> write_rootfs_diff(int out_fd, const std::string &dir);

// deleted.files: the paths as a JSON array of strings ("[]" when none).
std::string deleted_files_json(const std::vector<std::string> &paths);

} // namespace ccr
