// SPDX-License-Identifier: Apache-2.0
#include "criu_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "error.hpp"
#include "spawn_setup.hpp"
#include "unique_fd.hpp"

extern char **environ;

namespace ccr {
namespace {

// posix_spawn's file actions run in order in the child. To place N sources at
// fixed numbers without one dup2 clobbering a source still to be moved, every
// source is first duplicated (in the parent, close-on-exec) above the highest
// target; dup2 from there can then never collide.
struct StagedFds {
	std::vector<UniqueFd> staged;
	std::vector<int> targets;
};

StagedFds stage(const CriuLaunch &l, int devnull)
{
	StagedFds s;
	int highest = kCriuFirstExtraFd + int(l.extra_fds.size());
	auto add = [&](int src, int target) {
		int fd = ::fcntl(src, F_DUPFD_CLOEXEC, highest + 1);
		if (fd < 0)
			throw_errno_as(CCR_ERR_CRIU_START,
				       "cannot hand descriptor " + std::to_string(src) + " to criu");
		s.staged.emplace_back(fd);
		s.targets.push_back(target);
	};
	for (int i = 0; i < 3; i++)
		add(l.stdio[i] >= 0 ? l.stdio[i] : devnull, i);
	add(l.socket_fd, kCriuSocketFd);
	for (size_t i = 0; i < l.extra_fds.size(); i++)
		add(l.extra_fds[i], kCriuFirstExtraFd + int(i));
	return s;
}

} // namespace

CriuProcess::CriuProcess(CriuProcess &&o) noexcept
    : pid_(std::exchange(o.pid_, -1)), leads_group_(std::exchange(o.leads_group_, false))
{}

CriuProcess &CriuProcess::operator=(CriuProcess &&o) noexcept
{
	if (this != &o) {
		kill();
		pid_ = std::exchange(o.pid_, -1);
		leads_group_ = std::exchange(o.leads_group_, false);
	}
	return *this;
}

CriuProcess::~CriuProcess()
{
	kill();
}

void CriuProcess::kill() noexcept
{
	if (pid_ <= 0)
		return;
	if (leads_group_)
		::kill(-pid_, SIGKILL);
	::kill(pid_, SIGKILL);
	int status;
	while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
	}
	pid_ = -1;
}

namespace {

std::string describe_wait_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 0 ? "" : "exited with status " + std::to_string(WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) +
		       ")";
	return "ended with wait status " + std::to_string(status);
}

} // namespace

std::string CriuProcess::wait()
{
	if (pid_ <= 0)
		return {};
	int status = 0;
	pid_t r;
	while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
	}
	pid_ = -1;
	if (r < 0)
		return std::string("could not be reaped: ") + std::strerror(errno);
	return describe_wait_status(status);
}

std::string CriuProcess::wait_at_most(std::chrono::milliseconds grace)
{
	if (pid_ <= 0)
		return {};
	auto until = std::chrono::steady_clock::now() + grace;
	for (;;) {
		int status = 0;
		pid_t r = ::waitpid(pid_, &status, WNOHANG);
		if (r == pid_) {
			pid_ = -1;
			return describe_wait_status(status);
		}
		if (r < 0 && errno != EINTR) {
			pid_ = -1;
			return std::string("could not be reaped: ") + std::strerror(errno);
		}
		if (std::chrono::steady_clock::now() >= until) {
			kill();
			return "still running after it hung up, killed by ccr";
		}
		::usleep(1000);
	}
}

CriuProcess spawn_criu_swrk(const CriuLaunch &launch)
{
	UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
	if (!devnull)
		throw_errno_as(CCR_ERR_CRIU_START, "cannot open /dev/null for criu");
	StagedFds s = stage(launch, devnull.get());

	SpawnSetup setup;
	for (size_t i = 0; i < s.staged.size(); i++)
		setup.place(s.staged[i].get(), s.targets[i]);
	// Nothing of the caller's leaks into CRIU, close-on-exec or not.
	setup.close_from(kCriuFirstExtraFd + int(launch.extra_fds.size()));
	if (launch.own_process_group)
		setup.own_process_group();

	std::string fd_arg = std::to_string(kCriuSocketFd);
	char *argv[] = {const_cast<char *>(launch.criu_path.c_str()), const_cast<char *>("swrk"), fd_arg.data(),
			nullptr};
	pid_t pid = -1;
	bool has_slash = launch.criu_path.find('/') != std::string::npos;
	int err = has_slash ? posix_spawn(&pid, argv[0], setup.actions(), setup.attr(), argv, environ)
			    : posix_spawnp(&pid, argv[0], setup.actions(), setup.attr(), argv, environ);
	if (err != 0) {
		std::string where = has_slash ? launch.criu_path : launch.criu_path + " (looked up in PATH)";
		if (err == ENOENT)
			throw Error(CCR_ERR_CRIU_START,
				    "cannot start criu: " + where +
					    " does not exist; install CRIU >= 4.1 or set the criu path",
				    err);
		throw_errno_as(CCR_ERR_CRIU_START, "cannot start criu " + where, err);
	}
	return CriuProcess(pid, launch.own_process_group);
}

} // namespace ccr
