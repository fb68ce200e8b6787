// SPDX-License-Identifier: Apache-2.0
// What the image verifier's parts share: how a refusal is worded, how an
// image that may be absent is read, and the checks each part makes
// (image_verifier.cpp runs them in order).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "criu_image.hpp"
#include "error.hpp"
#include "image_verifier.hpp"

namespace ccr::image_check {

inline constexpr uint32_t kMntsMagic = 0x55563928;
inline constexpr uint32_t kNetnsMagic = 0x55933752;
inline constexpr uint32_t kPidnsMagic = 0x61157326;
inline constexpr uint32_t kFilesMagic = 0x56303138;
inline constexpr uint32_t kRegFilesMagic = 0x50363636;
inline constexpr uint32_t kTtyFilesMagic = 0x59433025;
inline constexpr uint32_t kTtyInfoMagic = 0x59453036;

// CCR_ERR_IMAGE "CRIU image <image>: <what>".
[[noreturn]] void refuse(const std::string &image, const std::string &what);

// The image, or nullopt when the file does not exist.
std::optional<CriuImage> read_if_present(int dirfd, const std::string &name, uint32_t magic);

// "a" is "b" or below it, component-wise ("/a/b" is below "/a", "/ab" not).
bool at_or_below(const std::string &path, const std::string &dir);

// The mount namespaces the restore will build: mountpoints-<id>.img of each
// id, `root_mnt_ns` the root task's (its root mount becomes ccr's restore
// root).
void check_mounts(int dirfd, uint32_t root_mnt_ns, const std::set<uint32_t> &mnt_ns_ids,
		  const ImageExpectations &expect);

// files.img (and the older reg-files.img, tty.img) and tty-info.img.
void check_devices(int dirfd, const ImageExpectations &expect);

// The device nodes in the tar `name` (when present) CRIU unpacks into the
// tmpfs mounted at `mountpoint`.
void check_tmpfs_devices(int dirfd, const std::string &name, const std::string &mountpoint,
			 const ImageExpectations &expect);

// cgroup.img.
void check_cgroups(int dirfd);

} // namespace ccr::image_check
