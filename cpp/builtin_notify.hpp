// SPDX-License-Identifier: Apache-2.0
// What ccr itself does at some of CRIU's notifications, before the caller's
// callback sees them: tell a waiting peer that lazy pages are ready, and hand
// a restored terminal's master to the console socket.
#pragma once

#include <string>

namespace ccr {

// The caller's status descriptor (runc's --status-fd): one '\0' byte at
// "status-ready", and closed when the operation ends, whatever happened.
class StatusFd {
public:
	explicit StatusFd(int fd) : fd_(fd) {}
	StatusFd(const StatusFd &) = delete;
	StatusFd &operator=(const StatusFd &) = delete;
	~StatusFd() { close(); }
	void ready();
	void close() noexcept;

private:
	int fd_;
};

// Sends `fd` over a fresh connection to the unix socket at `path` with
// SCM_RIGHTS, as runc's --console-socket receivers expect.
void send_to_console_socket(const std::string &path, int fd);

} // namespace ccr
