// SPDX-License-Identifier: Apache-2.0
// A reader for CRIU's protobuf image files: a magic number (behind CRIU's
// common or service magic, except for the inventory), then entries, each a
// 32-bit little-endian size followed by that many bytes of protobuf.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ccr {

inline constexpr uint32_t kImgCommonMagic = 0x54564319;
inline constexpr uint32_t kImgServiceMagic = 0x55105940;
inline constexpr uint32_t kStatsMagic = 0x57093306;
inline constexpr uint32_t kInventoryMagic = 0x58313116;

// Files and entries larger than this are refused rather than read.
inline constexpr size_t kMaxImageFile = 64u << 20;
inline constexpr size_t kMaxImageEntry = 16u << 20;

struct CriuImage {
	uint32_t magic = 0;
	std::vector<std::string> entries; // each entry's protobuf bytes
};

// Parses an image held in memory. `name` goes into messages. Throws
// CCR_ERR_IMAGE on a wrong magic, a truncated entry or an oversized one.
CriuImage parse_criu_image(std::string_view bytes, uint32_t expected_magic, const std::string &name);

// Reads `name` under `dirfd` (never following a symlink) and parses it.
// CCR_ERR_NOT_FOUND when the file does not exist.
CriuImage read_criu_image(int dirfd, const std::string &name, uint32_t expected_magic);

} // namespace ccr
