// SPDX-License-Identifier: Apache-2.0
// The progress line: redrawn a few times a second from its own thread, since
// CRIU sends no notification while it writes memory.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli.hpp"

namespace cli {
namespace {

// Bytes of memory pages written so far: the pages-*.img files.
uint64_t pages_written(const std::string &dir)
{
	uint64_t total = 0;
	DIR *d = ::opendir(dir.c_str());
	if (!d)
		return 0;
	while (dirent *e = ::readdir(d)) {
		if (std::string(e->d_name).rfind("pages-", 0) != 0)
			continue;
		struct stat st;
		if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			total += uint64_t(st.st_size);
	}
	::closedir(d);
	return total;
}

std::string mib(uint64_t bytes)
{
	char buf[32];
	std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1 << 20));
	return buf;
}

} // namespace

uint64_t resident_bytes(int pid)
{
	// The container's memory cgroup counts every process in it; the init's
	// own VmRSS is the fallback.
	std::ifstream cg("/proc/" + std::to_string(pid) + "/cgroup");
	for (std::string line; std::getline(cg, line);) {
		auto a = line.find(':'), b = line.find(':', a + 1);
		if (a == std::string::npos || b == std::string::npos)
			continue;
		std::string ctrls = line.substr(a + 1, b - a - 1);
		if (ctrls.find("memory") == std::string::npos)
			continue;
		std::ifstream stat("/sys/fs/cgroup/memory" + line.substr(b + 1) + "/memory.stat");
		std::string key;
		uint64_t value;
		while (stat >> key >> value)
			if (key == "total_rss" || key == "rss")
				return value;
	}
	std::ifstream status("/proc/" + std::to_string(pid) + "/status");
	for (std::string line; std::getline(status, line);)
		if (line.rfind("VmRSS:", 0) == 0)
			return std::stoull(line.substr(6)) * 1024;
	return 0;
}

Progress::Progress(bool enabled, std::string images_dir, uint64_t expected_bytes)
    : enabled_(enabled && ::isatty(STDERR_FILENO)), images_dir_(std::move(images_dir)), expected_bytes_(expected_bytes)
{
	if (enabled_)
		thread_ = std::thread([this] { loop(); });
}

Progress::~Progress()
{
	done();
}

void Progress::phase(const std::string &name)
{
	if (!enabled_)
		return;
	// Drawn at once, on the caller's thread: CRIU's phases can follow each
	// other faster than the refresh thread wakes, and each is worth seeing.
	std::lock_guard lock(mutex_);
	phase_ = name;
	draw();
}

void Progress::done()
{
	if (!enabled_ || !thread_.joinable())
		return;
	{
		std::lock_guard lock(mutex_);
		stop_ = true;
	}
	wake_.notify_all();
	thread_.join();
	std::fputs("\r\033[K", stderr);
}

void Progress::loop()
{
	std::unique_lock lock(mutex_);
	while (!stop_) {
		draw();
		wake_.wait_for(lock, std::chrono::milliseconds(200));
	}
}

void Progress::draw()
{
	double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
	std::ostringstream line;
	char t[16];
	std::snprintf(t, sizeof t, "%5.1fs", secs);
	line << "\r\033[K" << t << "  " << (phase_.empty() ? "starting CRIU" : phase_);
	uint64_t written = images_dir_.empty() ? 0 : pages_written(images_dir_);
	if (written) {
		line << "  memory " << mib(written);
		if (expected_bytes_)
			line << " of ~" << mib(expected_bytes_) << " ("
			     << std::min<uint64_t>(100, written * 100 / expected_bytes_) << "%)";
	}
	std::fputs(line.str().c_str(), stderr);
	std::fflush(stderr);
}

} // namespace cli
