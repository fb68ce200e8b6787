// SPDX-License-Identifier: Apache-2.0
#include "criu_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "unique_fd.hpp"

namespace ccr {
namespace {

// The tail of a log worth reading. CRIU at -v4 can write hundreds of MiB for
// a big process tree; the failure is near the end, since CRIU stops soon
// after its first error.
constexpr size_t max_log_read = 4 << 20;

constexpr std::string_view error_marker = "Error";
constexpr std::string_view gap_marker = "...";

std::vector<std::string_view> split_lines(std::string_view text)
{
	std::vector<std::string_view> lines;
	while (!text.empty()) {
		size_t nl = text.find('\n');
		if (nl == std::string_view::npos) {
			lines.push_back(text);
			break;
		}
		lines.push_back(text.substr(0, nl));
		text.remove_prefix(nl + 1);
	}
	return lines;
}

bool is_error_line(std::string_view line);

std::string_view trim(std::string_view s)
{
	const char *ws = " \t\r\n";
	size_t b = s.find_first_not_of(ws);
	if (b == std::string_view::npos)
		return {};
	size_t e = s.find_last_not_of(ws);
	return s.substr(b, e - b + 1);
}

} // namespace

std::string criu_log_excerpt(std::string_view log, int context_before, size_t max_bytes)
{
	const size_t context = context_before > 0 ? static_cast<size_t>(context_before) : 0;
	std::vector<std::string_view> lines = split_lines(log);

	// Line ranges [begin, end] ending at an error line. A range that
	// overlaps or touches the previous one extends it: a "..." between
	// them would claim lines were left out when none were.
	struct Range {
		size_t begin, end;
	};
	std::vector<Range> groups;
	for (size_t i = 0; i < lines.size(); i++) {
		if (!is_error_line(lines[i]))
			continue;
		size_t begin = i > context ? i - context : 0;
		if (!groups.empty() && begin <= groups.back().end + 1)
			groups.back().end = i;
		else
			groups.push_back({begin, i});
	}
	if (groups.empty() || max_bytes == 0)
		return {};

	// The first error line is the one that explains the failure: it always
	// goes in, cut if it alone is too long, and the context before it
	// shrinks from the top until it fits.
	size_t first_error = groups.front().begin;
	while (!is_error_line(lines[first_error]))
		first_error++;
	if (lines[first_error].size() >= max_bytes)
		return std::string(lines[first_error].substr(0, max_bytes));
	size_t head = lines[first_error].size();
	size_t begin = first_error;
	while (begin > groups.front().begin && head + 1 + lines[begin - 1].size() <= max_bytes)
		head += 1 + lines[--begin].size();
	groups.front().begin = begin;

	std::string out;
	auto add = [&](std::string_view line) {
		size_t need = (out.empty() ? 0 : 1) + line.size();
		if (out.size() + need > max_bytes)
			return false;
		if (!out.empty())
			out += '\n';
		out += line;
		return true;
	};
	bool complete = true, ends_with_gap = false;
	for (size_t g = 0; g < groups.size() && complete; g++) {
		if (g > 0) {
			if (!add(gap_marker)) {
				complete = false;
				break;
			}
			ends_with_gap = true;
		}
		for (size_t i = groups[g].begin; i <= groups[g].end; i++) {
			if (!add(lines[i])) {
				complete = false;
				break;
			}
			ends_with_gap = false;
		}
	}
	if (!complete && !ends_with_gap)
		add(gap_marker); // marks the cut, when it fits
	return out;
}

std::string read_log_tail(int dirfd, const std::string &name)
{
	try {
		// O_NONBLOCK: a FIFO in place of the log must not hang us.
		UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
		if (!fd)
			return {};
		struct stat st {};
		if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode))
			return {};
		size_t size = static_cast<size_t>(st.st_size);
		off_t start = size > max_log_read ? static_cast<off_t>(size - max_log_read) : 0;

		std::string text(std::min(size, max_log_read), '\0');
		size_t len = 0;
		while (len < text.size()) {
			ssize_t n = ::pread(fd.get(), text.data() + len, text.size() - len,
					    start + static_cast<off_t>(len));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += static_cast<size_t>(n);
		}
		text.resize(len);
		// Started in the middle of the file: the first line is partial.
		if (start > 0) {
			size_t nl = text.find('\n');
			text.erase(0, nl == std::string::npos ? text.size() : nl + 1);
		}
		return text;
	} catch (const std::bad_alloc &) {
		return {};
	}
}

std::string read_log_excerpt(int dirfd, const std::string &name)
{
	return criu_log_excerpt(read_log_tail(dirfd, name));
}

std::string read_criu_run_id(int dirfd, const std::string &name)
{
	// CRIU logs its run id among its first lines; in swrk mode twice, the
	// process's and then the one the request runs under: take the last.
	constexpr size_t head = 64 << 10;
	constexpr std::string_view marker = "CRIU run id = ";
	constexpr size_t uuid_length = 36;
	UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
	struct stat st {};
	if (!fd || ::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode))
		return {};
	char buf[head];
	ssize_t n;
	while ((n = ::pread(fd.get(), buf, sizeof buf, 0)) < 0 && errno == EINTR) {
	}
	if (n <= 0)
		return {};
	std::string_view text(buf, static_cast<size_t>(n));
	size_t at = text.rfind(marker);
	if (at == std::string_view::npos || text.size() - at - marker.size() < uuid_length)
		return {};
	std::string_view id = text.substr(at + marker.size(), uuid_length);
	bool uuid = std::all_of(id.begin(), id.end(), [](char c) {
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-';
	});
	return uuid ? std::string(id) : std::string();
}

bool is_incidental_criu_error(std::string_view line)
{
	std::string_view t = trim(line);
	if (t.ends_with("FAILED") || t.ends_with("FAILED."))
		return true;
	return t.find("): rlimit: ") != std::string_view::npos;
}

namespace {

// One error line of CRIU's log, its timestamp gone.
struct ErrorLine {
	std::string_view text;
	bool criu_own = false; // "Error (file:line): ...", maybe after a task's "<pid>: "
};

std::string_view without_timestamp(std::string_view line)
{
	line = trim(line);
	// CRIU's timestamp: "(00.012345)". Anything else in parentheses at the
	// start is part of the message and stays.
	if (line.size() > 2 && line[0] == '(') {
		size_t close = line.find(')');
		if (close != std::string_view::npos && close > 1 &&
		    line.substr(1, close - 1).find_first_not_of("0123456789.") == std::string_view::npos)
			line = trim(line.substr(close + 1));
	}
	return line;
}

// "Error (criu/mem.c:666): ..." or "1: Error (criu/files-reg.c:2353): ...".
bool is_criu_own_error(std::string_view text)
{
	size_t i = 0;
	while (i < text.size() && text[i] >= '0' && text[i] <= '9')
		i++;
	if (i > 0) {
		if (text.substr(i, 2) != ": ")
			return false;
		i += 2;
	}
	constexpr std::string_view head = "Error (";
	if (text.substr(i, head.size()) != head)
		return false;
	size_t close = text.find("): ", i);
	size_t colon = text.rfind(':', close);
	return close != std::string_view::npos && colon != std::string_view::npos && colon > i + head.size() &&
	       colon + 1 < close &&
	       text.substr(colon + 1, close - colon - 1).find_first_not_of("0123456789") == std::string_view::npos;
}

bool has_timestamp(std::string_view line)
{
	return without_timestamp(line).size() != trim(line).size();
}

// CRIU's own error lines ("(00.012345) Error (file.c:1): ...", a task's with
// its pid), or a line of a program CRIU ran (no timestamp) that says
// "Error". A line of CRIU's that merely mentions the word (a path, say) is
// not one.
bool is_error_line(std::string_view line)
{
	if (line.find(error_marker) == std::string_view::npos)
		return false;
	return is_criu_own_error(without_timestamp(line)) || !has_timestamp(line);
}

} // namespace

std::string failure_cause(std::string_view log, bool tool_output)
{
	// A program's complaint explains the failure only when CRIU failed
	// right after it: nothing but errors between it and CRIU's closing line.
	std::string_view tool_line;
	for (std::string_view line : split_lines(log)) {
		if (!is_error_line(line)) {
			if (!trim(line).empty())
				tool_line = {};
			continue;
		}
		std::string_view text = without_timestamp(line);
		if (!is_criu_own_error(text)) {
			if (tool_line.empty())
				tool_line = text;
			continue;
		}
		if (is_incidental_criu_error(text)) {
			// CRIU's closing summary: what follows is its clean-up.
			if (text.find("FAILED") != std::string_view::npos)
				break;
			continue;
		}
		return std::string(text);
	}
	return tool_output ? std::string(tool_line) : std::string();
}

std::string log_file_name(const Options &opts, bool restore)
{
	if (!opts.log_file.empty())
		return opts.log_file;
	if (restore)
		return "restore.log";
	return opts.pre_dump ? "pre-dump.log" : "dump.log";
}

} // namespace ccr
