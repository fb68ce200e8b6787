// SPDX-License-Identifier: Apache-2.0
#include "mountinfo.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

#include "error.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

std::string unescape(std::string_view s)
{
	auto oct = [](char c) { return c >= '0' && c <= '7'; };
	std::string out;
	for (size_t i = 0; i < s.size(); i++) {
		if (s[i] == '\\' && i + 3 < s.size() && oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
			out += char((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
			continue;
		}
		out += s[i];
	}
	return out;
}

} // namespace

std::vector<MountInfo> parse_mountinfo(std::string_view text)
{
	std::vector<MountInfo> out;
	std::istringstream in{std::string(text)};
	std::string line;
	while (std::getline(in, line)) {
		// id parent major:minor root mountpoint options [optional...] - fstype source super
		std::istringstream ls(line);
		std::vector<std::string> f;
		std::string w;
		while (ls >> w)
			f.push_back(w);
		size_t dash = 0;
		for (size_t i = 6; i < f.size(); i++)
			if (f[i] == "-") {
				dash = i;
				break;
			}
		if (dash == 0 || dash + 3 > f.size())
			continue;
		MountInfo m;
		try {
			m.id = std::stoi(f[0]);
			m.parent = std::stoi(f[1]);
		} catch (...) {
			continue;
		}
		m.root = unescape(f[3]);
		m.mountpoint = unescape(f[4]);
		m.fstype = f[dash + 1];
		m.source = unescape(f[dash + 2]);
		m.super_options = dash + 3 < f.size() ? f[dash + 3] : "";
		out.push_back(std::move(m));
	}
	return out;
}

std::string read_small_file(const std::string &path)
{
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw_errno("cannot open " + path);
	std::string out;
	char buf[8192];
	for (;;) {
		ssize_t n = ::read(fd.get(), buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw_errno("cannot read " + path);
		}
		if (n == 0)
			break;
		out.append(buf, size_t(n));
	}
	return out;
}

std::vector<MountInfo> read_mountinfo(const std::string &pid_or_self)
{
	return parse_mountinfo(read_small_file("/proc/" + pid_or_self + "/mountinfo"));
}

} // namespace ccr
