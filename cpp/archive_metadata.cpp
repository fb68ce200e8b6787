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

std::string go_time(const std::optional<SystemTime> &t)
{
	if (!t)
		return "0001-01-01T00:00:00Z";
	std::string text = rfc3339_utc(*t); // ...:05.000000006Z
	size_t dot = text.find('.');
	size_t end = text.size() - 1; // the 'Z'
	while (end > dot + 1 && text[end - 1] == '0')
		end--;
	if (end == dot + 1)
		end = dot; // no fraction at all
	return text.substr(0, end) + "Z";
}

std::string go_json(const nlohmann::ordered_json &j)
{
	// Invalid UTF-8 becomes U+FFFD, as Go does; the characters Go escapes
	// for HTML safety can only occur inside strings here.
	const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
	std::string out;
	out.reserve(text.size());
	for (size_t i = 0; i < text.size(); i++) {
		char c = text[i];
		if (c == '<')
			out += "\\u003c";
		else if (c == '>')
			out += "\\u003e";
		else if (c == '&')
			out += "\\u0026";
		else if (c == '\xe2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
			 (text[i + 2] == '\xa8' || text[i + 2] == '\xa9')) {
			out += text[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
			i += 2;
		} else
			out += c;
	}
	return out;
}

namespace {

int64_t unix_ns(const std::optional<SystemTime> &t)
{
	using namespace std::chrono;
	return t ? duration_cast<nanoseconds>(t->time_since_epoch()).count() : 0;
}

// CRI's enums as encoding/json writes them: numbers.
constexpr int kContainerRunning = 1; // runtime.v1.ContainerState_CONTAINER_RUNNING
constexpr int kSigterm = 23;         // runtime.v1.Signal_SIGNAL_SIGTERM, the default stop signal

} // namespace

std::string config_dump_json(const CheckpointMetadata &m)
{
	nlohmann::ordered_json j;
	j["id"] = m.id;
	j["name"] = m.name;
	// containerd writes the image name as both rootfsImage and
	// rootfsImageName; omitempty drops them when empty.
	if (!m.rootfs_image_name.empty())
		j["rootfsImage"] = m.rootfs_image_name;
	if (!m.rootfs_image_ref.empty())
		j["rootfsImageRef"] = m.rootfs_image_ref;
	if (!m.rootfs_image_name.empty())
		j["rootfsImageName"] = m.rootfs_image_name;
	if (!m.runtime.empty())
		j["runtime"] = m.runtime;
	j["createdTime"] = go_time(m.created);
	j["checkpointedTime"] = go_time(m.checkpointed);
	j["restoredTime"] = go_time(std::nullopt);
	j["restored"] = false;
	return go_json(j);
}

std::string status_dump_json(const CheckpointMetadata &m)
{
	nlohmann::ordered_json j;
	if (!m.id.empty())
		j["id"] = m.id;
	nlohmann::ordered_json meta = nlohmann::ordered_json::object();
	if (!m.name.empty())
		meta["name"] = m.name;
	j["metadata"] = meta;
	j["state"] = kContainerRunning;
	if (int64_t created = unix_ns(m.created))
		j["created_at"] = created;
	if (int64_t started = unix_ns(m.started ? m.started : m.created))
		j["started_at"] = started;
	nlohmann::ordered_json image = nlohmann::ordered_json::object();
	if (!m.rootfs_image_name.empty())
		image["image"] = m.rootfs_image_name;
	j["image"] = image;
	if (!m.rootfs_image_ref.empty())
		j["image_ref"] = m.rootfs_image_ref;
	nlohmann::ordered_json linux_user = nlohmann::ordered_json::object();
	if (m.uid)
		linux_user["uid"] = m.uid;
	if (m.gid)
		linux_user["gid"] = m.gid;
	if (!m.supplemental_groups.empty())
		linux_user["supplemental_groups"] = m.supplemental_groups;
	j["user"] = {{"linux", linux_user}};
	j["stop_signal"] = kSigterm;
	return go_json(j);
}

std::string containerd_status_json(const CheckpointMetadata &m)
{
	nlohmann::ordered_json j;
	j["Version"] = "v1";
	j["Pid"] = m.pid > 0 ? m.pid : 0;
	j["CreatedAt"] = unix_ns(m.created);
	j["StartedAt"] = unix_ns(m.started ? m.started : m.created);
	j["FinishedAt"] = 0;
	j["ExitCode"] = 0;
	j["Reason"] = "";
	j["Message"] = "";
	j["Resources"] = nullptr;
	return go_json(j);
}

std::string annotated_spec(const std::string &config_text, const CheckpointMetadata &m, const std::string &engine)
{
	auto doc = nlohmann::ordered_json::parse(config_text, nullptr, false);
	if (doc.is_discarded() || !doc.is_object())
		return config_text; // the caller checked it; nothing to add to
	auto &annotations = doc["annotations"];
	if (!annotations.is_object())
		annotations = nlohmann::ordered_json::object();
	std::vector<std::pair<std::string, std::string>> wanted;
	if (engine == "cri-o") {
		wanted = {{"io.container.manager", "cri-o"},
			  {"io.kubernetes.cri-o.Metadata", go_json({{"name", m.name}})},
			  {"io.kubernetes.cri-o.Created", go_time(m.created)}};
	} else {
		wanted = {{"io.kubernetes.cri.container-type", "container"},
			  {"io.kubernetes.cri.container-name", m.name}};
		if (!m.rootfs_image_name.empty())
			wanted.emplace_back("io.kubernetes.cri.image-name", m.rootfs_image_name);
	}
	bool added = false;
	for (const auto &[key, value] : wanted)
		if (!annotations.contains(key)) {
			annotations[key] = value;
			added = true;
		}
	return added ? doc.dump(2) + "\n" : config_text;
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
