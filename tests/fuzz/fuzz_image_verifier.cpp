// SPDX-License-Identifier: Apache-2.0
// Fuzzes the image verifier over a directory of images made from the input:
// a sequence of records, each a byte choosing the file's name from kNames,
// a 16-bit little-endian length, then that many bytes of the file. Every
// run starts from an empty directory. The expectations are those of the
// runc-spec busybox container the seeds were checkpointed from: new pid,
// network, ipc, uts and mount namespaces, runc's mounts, devices, masked
// paths and v1 cgroup binds.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "error.hpp"
#include "image_verifier.hpp"
#include "runc_spec_expectations.hpp"

namespace {

// The first eight are the names of the first seeds; the others were added
// with the mount and device checks (a byte picks index byte % kNameCount).
const char *const kNames[] = {"pstree.img",         "inventory.img", "cgroup.img",   "ids-1.img",
			      "ids-2.img",          "ids-3.img",     "ids-7.img",    "ids-8.img",
			      "mountpoints-13.img", "files.img",     "tty-info.img", "netns-10.img",
			      "pidns-11.img",       "reg-files.img", "tty.img",      "tmpfs-dev-43.tar.gz.img"};
constexpr size_t kNameCount = sizeof(kNames) / sizeof(kNames[0]);

int images_dir()
{
	static int fd = [] {
		char tmpl[] = "/tmp/fuzz-image-verifier-XXXXXX";
		if (!::mkdtemp(tmpl))
			::abort();
		return ::open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}();
	return fd;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int dir = images_dir();
	for (const char *name : kNames)
		::unlinkat(dir, name, 0);
	size_t pos = 0;
	while (pos + 3 <= size) {
		const char *name = kNames[data[pos] % kNameCount];
		size_t len = size_t(data[pos + 1]) | (size_t(data[pos + 2]) << 8);
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		int fd = ::openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			::abort();
		if (len && ::write(fd, data + pos, len) != ssize_t(len))
			::abort();
		::close(fd);
		pos += len;
	}
	static const ccr::ImageExpectations expect = ccr::testing::runc_spec_expectations();
	try {
		ccr::verify_images(dir, expect);
	} catch (const ccr::Error &) {
	}
	return 0;
}
