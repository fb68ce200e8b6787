// SPDX-License-Identifier: Apache-2.0
#include "services.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace e2e {

namespace {

// Waits until `fd` is readable, up to `timeout`; false on timeout.
bool wait_readable(int fd, std::chrono::milliseconds timeout)
{
	auto deadline = std::chrono::steady_clock::now() + timeout;
	for (;;) {
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
										  std::chrono::steady_clock::now());
		if (left.count() <= 0)
			return false;
		pollfd pfd{fd, POLLIN, 0};
		int r = poll(&pfd, 1, (int)left.count());
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			throw_errno("poll");
		if (r > 0)
			return true;
	}
}

} // namespace

int free_tcp_port()
{
	UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (!s)
		throw_errno("socket");
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (bind(s.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) < 0)
		throw_errno("bind 127.0.0.1:0");
	socklen_t len = sizeof a;
	if (getsockname(s.get(), reinterpret_cast<sockaddr *>(&a), &len) < 0)
		throw_errno("getsockname");
	return ntohs(a.sin_port);
}

TcpListener::TcpListener() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0))
{
	if (!fd_)
		throw_errno("socket");
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (bind(fd_.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) < 0 || listen(fd_.get(), 1) < 0 ||
	    getsockname(fd_.get(), reinterpret_cast<sockaddr *>(&a), &len) < 0)
		throw_errno("listen on 127.0.0.1");
	port_ = ntohs(a.sin_port);
}

std::string describe_status(int status)
{
	if (WIFEXITED(status))
		return "exited with " + std::to_string(WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return "killed by signal " + std::to_string(WTERMSIG(status));
	return "status " + std::to_string(status);
}

// ---------------------------------------------------------------------------
// CRIU daemons
// ---------------------------------------------------------------------------

CriuDaemon::CriuDaemon(const std::vector<std::string> &args, std::string output_file,
		       std::chrono::milliseconds ready_timeout)
    : output_file_(std::move(output_file))
{
	std::string criu = find_in_path("criu");
	if (criu.empty())
		throw std::runtime_error("criu not found in PATH");
	std::vector<std::string> argv = {criu};
	argv.insert(argv.end(), args.begin(), args.end());
	argv.insert(argv.end(), {"--status-fd", "3"});
	std::vector<char *> cargv;
	for (auto &a : argv)
		cargv.push_back(const_cast<char *>(a.c_str()));
	cargv.push_back(nullptr);

	int st[2];
	if (pipe2(st, O_CLOEXEC) < 0)
		throw_errno("pipe2");
	UniqueFd st_read(st[0]), st_write(st[1]);
	UniqueFd out(open(output_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	if (!out)
		throw_errno("open " + output_file_);
	UniqueFd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));

	pid_ = fork();
	if (pid_ < 0)
		throw_errno("fork");
	if (pid_ == 0) {
		// All four are >= 3 here (0..2 are open in the test), so dup2
		// makes inheritable copies and fd 3 is free to take.
		if (dup2(devnull.get(), 0) < 0 || dup2(out.get(), 1) < 0 || dup2(out.get(), 2) < 0 ||
		    dup2(st_write.get(), 3) < 0)
			_exit(126);
		close_from(4);
		execv(cargv[0], cargv.data());
		_exit(127);
	}
	st_write.reset(); // EOF on st_read now means CRIU is gone

	std::string what = "criu " + (args.empty() ? std::string() : args[0]);
	bool readable = wait_readable(st_read.get(), ready_timeout);
	char c = 1;
	ssize_t n = readable ? read(st_read.get(), &c, 1) : -1;
	if (n == 1 && c == '\0')
		return;
	// Not ready: collect why, and leave nothing running.
	auto status = wait_exit(readable ? 5s : 0ms);
	std::string why = !readable ? "not ready after " + std::to_string(ready_timeout.count()) + " ms"
			  : status  ? describe_status(*status)
				    : "closed its status descriptor without a ready byte";
	kill(pid_, SIGKILL);
	while (!status_ && waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
	}
	status_ = 0;
	throw std::runtime_error(what + " failed to start (" + why + "): " + output());
}

CriuDaemon::~CriuDaemon()
{
	if (pid_ > 0 && !status_) {
		kill(pid_, SIGKILL);
		while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
		}
	}
}

std::optional<int> CriuDaemon::wait_exit(std::chrono::milliseconds timeout)
{
	if (status_)
		return status_;
	auto deadline = std::chrono::steady_clock::now() + timeout;
	for (;;) {
		int status;
		pid_t r = waitpid(pid_, &status, WNOHANG);
		if (r == pid_) {
			status_ = status;
			return status_;
		}
		if (r < 0 && errno != EINTR)
			throw_errno("waitpid " + std::to_string(pid_));
		if (std::chrono::steady_clock::now() >= deadline)
			return std::nullopt;
		std::this_thread::sleep_for(10ms);
	}
}

std::string CriuDaemon::output() const
{
	try {
		return read_file(output_file_);
	} catch (...) {
		return "";
	}
}

// ---------------------------------------------------------------------------
// Network namespaces
// ---------------------------------------------------------------------------

NamedNetns::NamedNetns(std::string name) : name_(std::move(name))
{
	CmdResult r = run({"ip", "netns", "add", name_});
	if (!r.ok())
		throw std::runtime_error("ip netns add " + name_ + ": " + r.output);
}

NamedNetns::~NamedNetns()
{
	run({"ip", "netns", "delete", name_});
}

ino_t NamedNetns::inode() const
{
	struct stat st;
	if (stat(path().c_str(), &st) < 0)
		throw_errno("stat " + path());
	return st.st_ino;
}

ino_t ns_inode(pid_t pid, const std::string &ns)
{
	struct stat st;
	if (stat(("/proc/" + std::to_string(pid) + "/ns/" + ns).c_str(), &st) < 0)
		return 0;
	return st.st_ino;
}

// ---------------------------------------------------------------------------
// Console socket and terminal
// ---------------------------------------------------------------------------

ConsoleSocket::ConsoleSocket(std::string path) : path_(std::move(path))
{
	sockaddr_un a{};
	a.sun_family = AF_UNIX;
	if (path_.size() >= sizeof a.sun_path)
		throw std::runtime_error("console socket path too long: " + path_);
	std::memcpy(a.sun_path, path_.c_str(), path_.size() + 1);
	listener_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (!listener_)
		throw_errno("socket");
	if (bind(listener_.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) < 0)
		throw_errno("bind " + path_);
	if (listen(listener_.get(), 4) < 0)
		throw_errno("listen " + path_);
}

ConsoleSocket::~ConsoleSocket()
{
	listener_.reset();
	unlink(path_.c_str());
}

UniqueFd ConsoleSocket::receive(std::chrono::milliseconds timeout, std::string *payload)
{
	if (!wait_readable(listener_.get(), timeout))
		throw std::runtime_error("nobody connected to the console socket " + path_);
	UniqueFd conn(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
	if (!conn)
		throw_errno("accept " + path_);
	if (!wait_readable(conn.get(), timeout))
		throw std::runtime_error("nothing was sent over the console socket " + path_);
	char buf[4096];
	iovec iov{buf, sizeof buf};
	alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
	msghdr msg{};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof control;
	ssize_t n;
	do
		n = recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		throw_errno("recvmsg " + path_);
	if (payload)
		payload->assign(buf, (size_t)n);
	for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fd;
			std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
			return UniqueFd(fd);
		}
	}
	throw std::runtime_error("the message on the console socket " + path_ + " carried no descriptor");
}

bool Terminal::send_line(const std::string &line)
{
	return write_line(master_.get(), line);
}

std::optional<std::string> Terminal::read_line(std::chrono::milliseconds timeout)
{
	return read_line_from(master_.get(), buf_, timeout);
}

std::string Terminal::ask(const std::string &line, std::chrono::milliseconds timeout)
{
	if (!send_line(line))
		return "";
	return read_line(timeout).value_or("");
}

// ---------------------------------------------------------------------------
// Host settings
// ---------------------------------------------------------------------------

static const char *const kPipeMaxSize = "/proc/sys/fs/pipe-max-size";

long pipe_max_size()
{
	return std::stol(read_file(kPipeMaxSize));
}

PipeMaxSize::PipeMaxSize(long bytes)
{
	long cur = pipe_max_size();
	if (cur >= bytes)
		return;
	write_file(kPipeMaxSize, std::to_string(bytes) + "\n");
	old_ = cur;
}

PipeMaxSize::~PipeMaxSize()
{
	if (old_ > 0) {
		try {
			write_file(kPipeMaxSize, std::to_string(old_) + "\n");
		} catch (...) {
		}
	}
}

bool has_cap_sys_resource()
{
	std::ifstream f("/proc/self/status");
	std::string line;
	while (std::getline(f, line)) {
		if (line.rfind("CapEff:", 0) != 0)
			continue;
		unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
		const int cap_sys_resource = 24;
		return caps & (1ull << cap_sys_resource);
	}
	return false;
}

} // namespace e2e
