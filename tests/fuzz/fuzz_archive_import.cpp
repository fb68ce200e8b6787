// SPDX-License-Identifier: Apache-2.0
// Fuzzes checkpoint archive import: any bytes, as a file, must unpack into the
// fresh directory or be refused with a typed ccr::Error, and nothing may
// appear outside that directory.
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "archive_import.hpp"
#include "error.hpp"

namespace {

const std::string &work()
{
	static const std::string dir = [] {
		char tmpl[] = "/dev/shm/ccr-fuzz-import.XXXXXX";
		const char *d = ::mkdtemp(tmpl);
		if (!d)
			std::abort();
		return std::string(d);
	}();
	return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::string archive = work() + "/in.tar", dest = work() + "/out/dest";
	FILE *f = std::fopen(archive.c_str(), "we");
	if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0)
		std::abort();
	::mkdir((work() + "/out").c_str(), 0700);
	ccr::ImportLimits limits;
	limits.max_total_bytes = limits.max_entry_bytes = 1 << 20; // keep each run small
	try {
		ccr::import_archive(archive, dest, limits);
	} catch (const ccr::Error &) {
	}
	// Whatever happened, out/ holds at most dest: remove it all, never
	// following links (the import must not have made any).
	::nftw((work() + "/out").c_str(),
	       [](const char *path, const struct stat *, int, struct FTW *) { return ::remove(path); }, 16,
	       FTW_DEPTH | FTW_PHYS);
	return 0;
}
