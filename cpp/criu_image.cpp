// SPDX-License-Identifier: Apache-2.0
#include "criu_image.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "error.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

[[noreturn]] void bad(const std::string &name, const std::string &what)
{
	throw Error(CCR_ERR_IMAGE, "CRIU image " + name + ": " + what);
}

uint32_t le32(std::string_view bytes, size_t at)
{
	unsigned char b[4];
	std::memcpy(b, bytes.data() + at, 4);
	return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

std::string hex(uint32_t v)
{
	std::ostringstream s;
	s << "0x" << std::hex << v;
	return s.str();
}

} // namespace

CriuImage parse_criu_image(std::string_view bytes, uint32_t expected_magic, const std::string &name)
{
	if (bytes.size() > kMaxImageFile)
		bad(name, "larger than " + std::to_string(kMaxImageFile) + " bytes");
	if (bytes.size() < 4)
		bad(name, "too short to hold a magic number");
	size_t at = 0;
	uint32_t first = le32(bytes, 0);
	at = 4;
	uint32_t magic = first;
	if (first == kImgCommonMagic || first == kImgServiceMagic) {
		if (bytes.size() < 8)
			bad(name, "truncated after its first magic number");
		magic = le32(bytes, 4);
		at = 8;
	}
	if (magic != expected_magic)
		bad(name, "magic " + hex(magic) + " where " + hex(expected_magic) + " was expected");

	CriuImage image;
	image.magic = magic;
	while (at < bytes.size()) {
		if (bytes.size() - at < 4)
			bad(name, "truncated in the size of entry " + std::to_string(image.entries.size()));
		uint32_t size = le32(bytes, at);
		at += 4;
		if (size > kMaxImageEntry)
			bad(name, "entry " + std::to_string(image.entries.size()) + " claims " + std::to_string(size) +
					  " bytes, more than " + std::to_string(kMaxImageEntry));
		if (bytes.size() - at < size)
			bad(name, "entry " + std::to_string(image.entries.size()) + " is truncated (" +
					  std::to_string(bytes.size() - at) + " of " + std::to_string(size) +
					  " bytes)");
		image.entries.emplace_back(bytes.substr(at, size));
		at += size;
	}
	return image;
}

CriuImage read_criu_image(int dirfd, const std::string &name, uint32_t expected_magic)
{
	UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
	if (!fd) {
		if (errno == ENOENT)
			throw Error(CCR_ERR_NOT_FOUND, "CRIU image " + name + " does not exist", ENOENT);
		throw_errno_as(CCR_ERR_IMAGE, "cannot open CRIU image " + name);
	}
	struct stat st;
	if (::fstat(fd.get(), &st) != 0)
		throw_errno_as(CCR_ERR_IMAGE, "cannot stat CRIU image " + name);
	if (!S_ISREG(st.st_mode))
		bad(name, "not a regular file");
	if (size_t(st.st_size) > kMaxImageFile)
		bad(name, "larger than " + std::to_string(kMaxImageFile) + " bytes");
	std::string bytes(size_t(st.st_size), '\0');
	size_t got = 0;
	while (got < bytes.size()) {
		ssize_t n = ::read(fd.get(), bytes.data() + got, bytes.size() - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_errno_as(CCR_ERR_IMAGE, "cannot read CRIU image " + name);
		if (n == 0)
			break;
		got += size_t(n);
	}
	bytes.resize(got);
	return parse_criu_image(bytes, expected_magic, name);
}

} // namespace ccr
