// SPDX-License-Identifier: Apache-2.0
#include "builtin_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "error.hpp"
#include "unique_fd.hpp"

namespace ccr {

void StatusFd::ready()
{
	if (fd_ < 0)
		return;
	char zero = '\0';
	ssize_t n;
	do
		n = ::write(fd_, &zero, 1);
	while (n < 0 && errno == EINTR);
	int err = errno;
	close();
	if (n != 1)
		throw_errno("cannot write to the status descriptor", err);
}

void StatusFd::close() noexcept
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = -1;
}

void send_to_console_socket(const std::string &path, int fd)
{
	if (fd < 0)
		throw Error(CCR_ERR_PROTOCOL, "criu sent orphan-pts-master without a terminal descriptor");
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	if (path.size() >= sizeof addr.sun_path)
		throw Error(CCR_ERR_INVALID_ARGUMENT, "console socket path " + path + " is too long");
	std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
	UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (!sock)
		throw_errno("cannot create a socket for the console socket");
	if (::connect(sock.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
		throw_errno("cannot connect to the console socket " + path);

	// The payload names the descriptor; receivers take the fd from the
	// control message.
	char name[] = "orphan-pts-master";
	iovec iov{name, sizeof name - 1};
	alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
	msghdr msg{};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof control;
	cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
	ssize_t n;
	do
		n = ::sendmsg(sock.get(), &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		throw_errno("cannot send the terminal to the console socket " + path);
}

} // namespace ccr
