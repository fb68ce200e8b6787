// SPDX-License-Identifier: Apache-2.0
#include "archive_metadata.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace ccr {
namespace {

std::optional<std::string> read_small_file(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		return std::nullopt;
	std::ostringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

} // namespace

std::string rfc3339_utc(SystemTime t)
{
	using namespace std::chrono;
	auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
	time_t secs = static_cast<time_t>(ns / 1000000000);
	long frac = static_cast<long>(ns % 1000000000);
	if (frac < 0) {
		frac += 1000000000;
		secs -= 1;
	}
	struct tm tm {};
	::gmtime_r(&secs, &tm);
	char buf[64];
	std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return buf;
}

std::string config_dump_json(const CheckpointMetadata &m)
{
	nlohmann::ordered_json j;
	j["id"] = m.id;
	j["name"] = m.name;
	j["rootfsImage"] = m.rootfs_image;
	j["rootfsImageRef"] = m.rootfs_image_ref;
	j["rootfsImageName"] = m.rootfs_image_name;
	j["runtime"] = m.runtime;
	if (m.created)
		j["createdTime"] = rfc3339_utc(*m.created);
	if (m.checkpointed)
		j["checkpointedTime"] = rfc3339_utc(*m.checkpointed);
	j["restored"] = false;
	return j.dump(2) + "\n";
}

std::optional<SystemTime> process_start_time(int pid)
{
	if (pid <= 0)
		return std::nullopt;
	auto stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
	auto sys = read_small_file("/proc/stat");
	if (!stat || !sys)
		return std::nullopt;
	// The command name (field 2) is in parentheses and may hold spaces or
	// parentheses itself: count fields from the last ')'.
	size_t close = stat->rfind(')');
	if (close == std::string::npos)
		return std::nullopt;
	std::istringstream fields(stat->substr(close + 1));
	std::string field;
	// Field 3 (state) is the first after ')'; starttime is field 22.
	for (int i = 3; i <= 22; i++)
		if (!(fields >> field))
			return std::nullopt;
	unsigned long long ticks = std::strtoull(field.c_str(), nullptr, 10);

	size_t at = sys->find("\nbtime ");
	if (at == std::string::npos)
		return std::nullopt;
	unsigned long long btime = std::strtoull(sys->c_str() + at + 7, nullptr, 10);
	long hz = ::sysconf(_SC_CLK_TCK);
	if (btime == 0 || hz <= 0)
		return std::nullopt;

	using namespace std::chrono;
	auto since_boot = nanoseconds(static_cast<long long>(ticks / hz) * 1000000000LL +
				      static_cast<long long>(ticks % hz) * 1000000000LL / hz);
	return SystemTime(duration_cast<SystemTime::duration>(seconds(btime) + since_boot));
}

} // namespace ccr
