// SPDX-License-Identifier: Apache-2.0
// What to change on the host when CRIU failed for a reason that lies there.
// CRIU's log says what broke ("splice: Bad file descriptor"); an operator
// needs the setting or package that fixes it, so these known cases get a
// hint appended to the error message.
#pragma once

#include <string>
#include <string_view>

namespace ccr {

struct HostFacts {
	long page_size = 4096;
	long pipe_max_size = -1;       // /proc/sys/fs/pipe-max-size; -1 unknown
	bool cap_sys_resource = false; // CRIU inherits our effective set
};
HostFacts read_host_facts();

// The pipe size CRIU 4.1's page server asks for when it serves lazy pages
// (PIPE_MAX_SIZE pages: as many as 8 pages of 40-byte pipe_buffers
// describe, criu/page-xfer.c). Without CAP_SYS_RESOURCE F_SETPIPE_SZ fails
// above fs.pipe-max-size, CRIU goes on without its sink and dies at the
// first page request in "page-pipe: splice: ... Bad file descriptor".
long criu_lazy_pipe_bytes(long page_size);

// Why CRIU could not serve lazy pages from a dump on this host, with the
// setting that fixes it, or "" when it can (CAP_SYS_RESOURCE, or pipes
// large enough). Checked before a lazy dump starts: CRIU would otherwise
// freeze and seize the container first and fail only at the first page
// asked for, and a lazy restore fed by it could wait for pages forever.
std::string lazy_pages_host_limit(const HostFacts &facts);

// The hint for a CRIU failure whose log excerpt is `log`, or "" when none
// applies. `lazy_dump`: the failed operation served lazy pages.
std::string host_hint(std::string_view log, bool lazy_dump, const HostFacts &facts);

} // namespace ccr
