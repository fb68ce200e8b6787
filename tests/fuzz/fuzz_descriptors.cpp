// Fuzzes the descriptors.json reader through a real file, as restore reads it.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "descriptors.hpp"
#include "error.hpp"

namespace {

int images_dir()
{
	static int fd = [] {
		char tmpl[] = "/tmp/ccr-fuzz-descriptors.XXXXXX";
		const char *dir = ::mkdtemp(tmpl);
		return dir ? ::open(dir, O_DIRECTORY | O_CLOEXEC) : -1;
	}();
	return fd;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int dir = images_dir();
	if (dir < 0)
		std::abort();
	int fd = ::openat(dir, "descriptors.json", O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || ::write(fd, data, size) != ssize_t(size))
		std::abort();
	::close(fd);
	try {
		auto fds = ccr::read_descriptors(dir);
		(void)fds;
	} catch (const ccr::Error &) {
	}
	return 0;
}
