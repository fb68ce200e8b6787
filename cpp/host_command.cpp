// SPDX-License-Identifier: Apache-2.0
#include "host_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "spawn_setup.hpp"
#include "unique_fd.hpp"

extern char **environ;

namespace ccr {
namespace {

constexpr size_t kMaxOutput = 64 << 10;

bool make_pipe(UniqueFd &read_end, UniqueFd &write_end)
{
	int p[2];
	if (::pipe2(p, O_CLOEXEC) < 0)
		return false;
	read_end.reset(p[0]);
	write_end.reset(p[1]);
	return true;
}

// Reaps `pid`, killing it first when it outlives `until`.
int reap(pid_t pid, std::chrono::steady_clock::time_point until)
{
	for (;;) {
		int status = 0;
		pid_t r = ::waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (std::chrono::steady_clock::now() >= until) {
			::kill(pid, SIGKILL);
			while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
			}
			return -1;
		}
		::usleep(1000);
	}
}

} // namespace

HostCommandResult run_host_command(const std::vector<std::string> &argv, const std::string &input,
				   std::chrono::milliseconds limit)
{
	HostCommandResult result;
	if (argv.empty())
		return result;
	UniqueFd in_r, in_w, out_r, out_w;
	if (!make_pipe(in_r, in_w) || !make_pipe(out_r, out_w))
		return result;

	SpawnSetup setup;
	setup.place(in_r.get(), 0);
	setup.place(out_w.get(), 1);
	setup.place(out_w.get(), 2);
	setup.close_from(3);

	std::vector<char *> args;
	for (const auto &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);
	pid_t pid = -1;
	int err = ::posix_spawnp(&pid, args[0], setup.actions(), setup.attr(), args.data(), environ);
	if (err != 0)
		return result;
	result.started = true;
	in_r.reset();
	out_w.reset();

	auto until = std::chrono::steady_clock::now() + limit;
	// The input is a few lines: far below a pipe's capacity, so this write
	// cannot block on a program that does not read it.
	if (!input.empty())
		(void)!::write(in_w.get(), input.data(), input.size());
	in_w.reset();
	char buf[4096];
	for (;;) {
		auto left =
			std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
		if (left.count() <= 0)
			break;
		struct pollfd p = {out_r.get(), POLLIN, 0};
		int n = ::poll(&p, 1, static_cast<int>(left.count()));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ssize_t got = ::read(out_r.get(), buf, sizeof buf);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (result.output.size() < kMaxOutput)
			result.output.append(buf, static_cast<size_t>(got));
	}
	result.exit_code = reap(pid, until);
	return result;
}

} // namespace ccr
