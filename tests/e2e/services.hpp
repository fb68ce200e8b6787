// SPDX-License-Identifier: Apache-2.0
// What an end-to-end test stands up next to its container: CRIU's own
// daemons (page server, lazy-pages), a named network namespace, a console
// socket with the terminal it receives, a free TCP port.
//
// Each is an RAII object: its destructor kills, deletes or unlinks what it
// made, so a failing test leaves nothing behind.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "harness.hpp"

namespace e2e {

// A TCP port on 127.0.0.1 that nothing listens on right now (bound with
// port 0 and released, so another process could still take it).
int free_tcp_port();

// A socket listening on 127.0.0.1 at a port the kernel chose, held until
// destruction: a port something else certainly uses.
class TcpListener {
public:
	TcpListener();
	int port() const { return port_; }

private:
	UniqueFd fd_;
	int port_ = 0;
};

// `criu <args...> --status-fd 3` as our child, its stdout and stderr going
// to `output_file`. The constructor returns once CRIU wrote its ready byte
// (its socket listens), and throws with CRIU's output when it exits first or
// is not ready within `ready_timeout`.
class CriuDaemon {
public:
	CriuDaemon(const std::vector<std::string> &args, std::string output_file,
		   std::chrono::milliseconds ready_timeout = 30s);
	~CriuDaemon();
	CriuDaemon(const CriuDaemon &) = delete;
	CriuDaemon &operator=(const CriuDaemon &) = delete;

	pid_t pid() const { return pid_; }
	// Its waitpid status once it exited within `timeout`; nullopt while it
	// still runs (it is left running).
	std::optional<int> wait_exit(std::chrono::milliseconds timeout);
	// What it wrote to stdout and stderr so far.
	std::string output() const;

private:
	pid_t pid_ = -1;
	std::optional<int> status_;
	std::string output_file_;
};

// "exited with 0", "exited with 1", "killed by signal 9".
std::string describe_status(int status);

// `ip netns add <name>`; `ip netns delete <name>` on destruction.
class NamedNetns {
public:
	explicit NamedNetns(std::string name);
	~NamedNetns();
	NamedNetns(const NamedNetns &) = delete;
	NamedNetns &operator=(const NamedNetns &) = delete;

	const std::string &name() const { return name_; }
	// /var/run/netns/<name>, the bind-mounted namespace file.
	std::string path() const { return "/var/run/netns/" + name_; }
	// The namespace's inode (what /proc/<pid>/ns/net of its members shows).
	ino_t inode() const;

private:
	std::string name_;
};

// The inode of /proc/<pid>/ns/<ns>, or 0 when unreadable.
ino_t ns_inode(pid_t pid, const std::string &ns);

// A listening unix socket at `path` that receives descriptors sent with
// SCM_RIGHTS, as runc's recvtty does for --console-socket. Unlinked on
// destruction.
class ConsoleSocket {
public:
	explicit ConsoleSocket(std::string path);
	~ConsoleSocket();
	ConsoleSocket(const ConsoleSocket &) = delete;
	ConsoleSocket &operator=(const ConsoleSocket &) = delete;

	const std::string &path() const { return path_; }
	// Accepts the next connection and returns the descriptor that came
	// with its first message (the message's bytes go to `payload`).
	// Throws when none arrives within `timeout`.
	UniqueFd receive(std::chrono::milliseconds timeout = 10s, std::string *payload = nullptr);

private:
	std::string path_;
	UniqueFd listener_;
};

// Talks to a program through its terminal's master side, a line at a time.
// The terminal turns "\n" into "\r\n" on output; read_line() drops the '\r'.
class Terminal {
public:
	explicit Terminal(UniqueFd master) : master_(std::move(master)) {}
	int fd() const { return master_.get(); }
	bool send_line(const std::string &line);
	// The next line, or nullopt after `timeout` or when the other side is
	// gone (EIO once no process holds the terminal).
	std::optional<std::string> read_line(std::chrono::milliseconds timeout = 10s);
	// Sends `line` and returns the answer ("" on timeout).
	std::string ask(const std::string &line, std::chrono::milliseconds timeout = 10s);

private:
	UniqueFd master_;
	std::string buf_;
};

// Sets /proc/sys/fs/pipe-max-size to at least `bytes` and puts the old value
// back on destruction. `changed()` says whether a write was needed.
class PipeMaxSize {
public:
	explicit PipeMaxSize(long bytes);
	~PipeMaxSize();
	PipeMaxSize(const PipeMaxSize &) = delete;
	PipeMaxSize &operator=(const PipeMaxSize &) = delete;
	bool changed() const { return old_ > 0; }

private:
	long old_ = 0;
};

// The current /proc/sys/fs/pipe-max-size.
long pipe_max_size();

// Whether this process has CAP_SYS_RESOURCE in its effective set (CRIU,
// started by us, has the same capabilities).
bool has_cap_sys_resource();

} // namespace e2e
