// SPDX-License-Identifier: Apache-2.0
// The command line: commands, their options, and their help.
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "cli.hpp"

namespace cli {
namespace {

struct Command {
	const char *name;
	const char *summary;
	const char *synopsis;
	std::set<std::string> valued; // options taking a value
	std::set<std::string> flags;
	const char *details;
	size_t positionals = 0; // plain arguments the command takes
};

const std::set<std::string> kCommonFlags = {"--json", "--quiet", "--help"};

const Command kCommands[] = {
	{"check",
	 "show the CRIU version, the features this kernel offers, the cgroup layout and freezer",
	 "ccr check [--criu PATH] [--json]",
	 {"--criu"},
	 {},
	 ""},
	{"checkpoint",
	 "checkpoint a running container into an images directory",
	 "ccr checkpoint --id ID --pid PID --bundle DIR --images DIR [options]",
	 {"--id", "--pid", "--bundle", "--config", "--rootfs", "--images", "--work", "--criu", "--parent-path",
	  "--manage-cgroups-mode", "--timeout-ms", "--page-server", "--network-lock", "--log-level"},
	 {"--leave-running", "--tcp-established", "--ext-unix-sk", "--shell-job", "--file-locks", "--pre-dump",
	  "--auto-dedup", "--lazy-pages", "--tcp-skip-in-flight", "--link-remap", "--empty-ns-network", "--verbose",
	  "--debug", "--process-tree", "--allow-processes-outside-tree"},
	 "  --id ID                 the container's name (letters, digits, . _ -)\n"
	 "  --pid PID               its init: pid 1 of a pid namespace of its own, in a freezer\n"
	 "                          cgroup that is not a hierarchy root and does not hold ccr;\n"
	 "                          anything else is refused before CRIU starts\n"
	 "  --process-tree          allow a --pid that is a plain process tree in ccr's pid\n"
	 "                          namespace, not a container (the freezer rules still hold)\n"
	 "  --bundle DIR            its OCI bundle (config.json is read from it)\n"
	 "  --config FILE           the OCI config, if not <bundle>/config.json\n"
	 "  --rootfs DIR            its rootfs, if not the config's root.path\n"
	 "  --images DIR            where the images go (created 0700)\n"
	 "  --work DIR              CRIU's log and statistics (default: the images directory)\n"
	 "  --parent-path DIR       a pre-dump to build on, relative to --images\n"
	 "  --pre-dump              take a pre-dump only (needs MemTrack)\n"
	 "  --leave-running         keep the container running afterwards\n"
	 "  --allow-processes-outside-tree\n"
	 "                          go on although processes in the container's cgroup are\n"
	 "                          not in its init's tree (runc exec): they are left out,\n"
	 "                          each named in a warning; without it the checkpoint fails\n"
	 "  --page-server HOST:PORT send memory to a CRIU page server\n"
	 "  --lazy-pages            leave memory to be served lazily\n"
	 "  --network-lock MODE     iptables, nftables or skip\n"},
	{"restore",
	 "restore a container from an images directory",
	 "ccr restore --id ID --bundle DIR --images DIR [--pid-file FILE] [options]",
	 {"--id", "--bundle", "--config", "--rootfs", "--images", "--work", "--criu", "--pid-file",
	  "--manage-cgroups-mode", "--timeout-ms", "--cgroup-path", "--console-socket", "--network-lock", "--log-level",
	  "--lsm-profile", "--lsm-mount-context"},
	 {"--tcp-established", "--tcp-close", "--ext-unix-sk", "--shell-job", "--file-locks", "--auto-dedup",
	  "--lazy-pages", "--leave-stopped", "--empty-ns-network", "--verbose", "--debug"},
	 "  The restored container's stdin, stdout and stderr are ccr's own (as with\n"
	 "  runc restore -d), so give ccr the pipes the container should have.\n"
	 "  Checked before CRIU starts: the images and work directories are private and\n"
	 "  hold no symlink (but a parent beside the images), fifo or device; the\n"
	 "  config is a regular file; the images hold one process tree, the namespaces\n"
	 "  the config asks for (none of the dumping host's where it makes new ones),\n"
	 "  a root mount the rootfs replaces, only mounts the config or the caller\n"
	 "  provide (no disk, overlay or host bind), only the config's and runc's\n"
	 "  devices, and cgroups at or below the container's. Trusted, not checked:\n"
	 "  memory, registers, file contents and the tasks' credentials and\n"
	 "  capabilities are restored as the images say, so restore only images whose\n"
	 "  origin you trust. Once CRIU has restored the container ccr exits 0\n"
	 "  with its pid; later problems are warnings.\n"
	 "  --pid-file FILE         write the restored init's pid here\n"
	 "  --cgroup-path PATH      restore into this cgroup instead of the config's\n"
	 "  --console-socket PATH   send a restored terminal's master to this socket\n"},
	{"stats", "show CRIU's statistics left in a work or images directory", "ccr stats DIR [--json]", {}, {}, "", 1},
	{"export",
	 "write a checkpoint archive (the CRI layout checkpointctl reads) of a checkpoint",
	 "ccr export --id ID --bundle DIR --images DIR [--work DIR] [--rootfs-diff DIR] ARCHIVE",
	 {"--id", "--bundle", "--config", "--images", "--work", "--rootfs-diff"},
	 {},
	 "  --images DIR            the checkpoint's images (as given to ccr checkpoint)\n"
	 "  --work DIR              its work directory, if not the images directory\n"
	 "  --rootfs-diff DIR       the container's writable layer, to include as rootfs-diff.tar\n"
	 "  ARCHIVE                 the tar to write (0600, replaced atomically)\n",
	 1},
	{"import",
	 "unpack a checkpoint archive into a new directory, refusing anything unsafe",
	 "ccr import ARCHIVE DEST_DIR [--max-entries N] [--max-bytes N] [--max-ratio N] [--timeout-ms N] [--json]",
	 {"--max-entries", "--max-bytes", "--max-ratio", "--timeout-ms"},
	 {},
	 "  ARCHIVE must be a regular file (a fifo or device is refused, not waited on).\n"
	 "  DEST_DIR must not exist; it is made 0700. Only regular files (0600) and\n"
	 "  directories (0700) are unpacked; links, devices, absolute or \"..\" paths and\n"
	 "  duplicates stop the import and DEST_DIR is removed.\n"
	 "  --max-entries N          entries allowed (default 131072)\n"
	 "  --max-bytes N            bytes one entry, and all of them, may declare (default 64 GiB)\n"
	 "  --max-ratio N            unpacked bytes per archive byte, past 256 MiB (default 1000)\n"
	 "  --timeout-ms N           give up after N milliseconds\n"
	 "  Restore from DEST_DIR/checkpoint with the container's own bundle. ccr checks\n"
	 "  CRIU's files there (no symlinks but a parent beside it, no fifos) and the\n"
	 "  images' process tree, namespaces, root, mounts, devices and cgroups against\n"
	 "  the bundle before a restore (see ccr restore --help), but CRIU restores the\n"
	 "  memory and credentials the images describe. Import only archives whose\n"
	 "  origin you trust.\n",
	 2},
};

const Command *find(const std::string &name)
{
	for (const auto &c : kCommands)
		if (name == c.name)
			return &c;
	return nullptr;
}

// Options whose value is a number, with the range they accept. Checked
// strictly: digits only, in range, nothing after them. strtoul would wrap
// "4294971584" to pid 4288, take "-1" as about 49 days and "4288xyz" as 4288.
struct NumberRange {
	const char *option;
	unsigned long long min, max;
};
const NumberRange kNumbers[] = {
	{"--pid", 1, INT_MAX},          {"--timeout-ms", 0, UINT32_MAX},
	{"--log-level", 0, 4},          {"--max-entries", 1, UINT64_MAX},
	{"--max-bytes", 1, UINT64_MAX}, {"--max-ratio", 1, UINT32_MAX},
};

bool parse_unsigned(const std::string &text, unsigned long long min, unsigned long long max, unsigned long long &out)
{
	if (text.empty() || text.size() > 20)
		return false;
	unsigned long long v = 0;
	for (char c : text) {
		if (c < '0' || c > '9')
			return false;
		unsigned digit = unsigned(c - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	if (v < min || v > max)
		return false;
	out = v;
	return true;
}

// Checks every numeric option given; prints why and returns false on the
// first bad one.
bool numbers_ok(const Command &c, const Args &a)
{
	for (const auto &n : kNumbers) {
		auto it = a.values.find(n.option);
		if (it == a.values.end())
			continue;
		unsigned long long v;
		if (!parse_unsigned(it->second, n.min, n.max, v)) {
			std::fprintf(stderr, "ccr %s: %s takes a whole number from %llu to %llu, not \"%s\"\n", c.name,
				     n.option, n.min, n.max, it->second.c_str());
			return false;
		}
	}
	auto ps = a.values.find("--page-server");
	if (ps != a.values.end()) {
		size_t colon = ps->second.rfind(':');
		unsigned long long port;
		if (colon == std::string::npos || !parse_unsigned(ps->second.substr(colon + 1), 1, 65535, port)) {
			std::fprintf(stderr,
				     "ccr %s: --page-server takes HOST:PORT with a port from 1 to 65535, not \"%s\"\n",
				     c.name, ps->second.c_str());
			return false;
		}
	}
	return true;
}

const char *kShared = "  --criu PATH             the CRIU binary (default: criu in PATH)\n"
		      "  --manage-cgroups-mode M soft, full, strict, ignore, none or props\n"
		      "  --timeout-ms N          give up (and stop CRIU) after N milliseconds\n"
		      "  --log-level N           CRIU's log level, 0 to 4 (default 4)\n"
		      "  --json                  print one JSON object instead of text\n"
		      "  --quiet                 no progress line\n"
		      "  --verbose               ccr's own log on stderr: each step (no progress line)\n"
		      "  --debug                 the same with every decision and notification\n";

} // namespace

bool Args::has(const std::string &flag) const
{
	for (const auto &f : flags)
		if (f == flag)
			return true;
	return false;
}

std::string Args::get(const std::string &name, const std::string &fallback) const
{
	auto it = values.find(name);
	return it == values.end() ? fallback : it->second;
}

unsigned long long Args::number(const std::string &name, unsigned long long fallback) const
{
	auto it = values.find(name);
	return it == values.end() ? fallback : std::strtoull(it->second.c_str(), nullptr, 10);
}

int usage(const std::string &command, bool to_stdout)
{
	FILE *to = to_stdout ? stdout : stderr;
	if (const Command *c = find(command)) {
		std::fprintf(to, "usage: %s\n\n%s.\n\n%s", c->synopsis, c->summary, c->details);
		if (command == "checkpoint" || command == "restore" || command == "export")
			std::fputs(kShared, to);
		else
			std::fputs("  --json                  print one JSON object instead of text\n", to);
		return to_stdout ? kOk : kUsage;
	}
	std::fprintf(to, "usage: ccr COMMAND [options]   (ccr COMMAND --help for each)\n\ncommands:\n");
	for (const auto &c : kCommands)
		std::fprintf(to, "  %-11s %s\n", c.name, c.summary);
	std::fprintf(to, "\nexit codes: 0 ok, 2 usage, 3 bad input, 4 not found, 5 CRIU failed,\n"
			 "6 unsupported, 7 timed out or canceled, 9 damaged images, 10 system error\n");
	return to_stdout ? kOk : kUsage;
}

bool parse_args(int argc, char **argv, Args &out)
{
	if (argc < 2)
		return false;
	out.command = argv[1];
	const Command *c = find(out.command);
	if (!c) {
		std::fprintf(stderr, "ccr: unknown command \"%s\"\n", argv[1]);
		return false;
	}
	for (int i = 2; i < argc; i++) {
		std::string a = argv[i];
		if (c->valued.count(a)) {
			if (i + 1 >= argc) {
				std::fprintf(stderr, "ccr %s: %s needs a value\n", c->name, a.c_str());
				return false;
			}
			out.values[a] = argv[++i];
		} else if (c->flags.count(a) || kCommonFlags.count(a)) {
			out.flags.push_back(a);
		} else if (a.rfind("--", 0) != 0 && out.positionals.size() < c->positionals) {
			out.positionals.push_back(a);
		} else {
			std::fprintf(stderr, "ccr %s: unknown option %s (see ccr %s --help)\n", c->name, a.c_str(),
				     c->name);
			return false;
		}
	}
	if (out.positionals.size() != c->positionals && !out.has("--help")) {
		std::fprintf(stderr, "ccr %s: expected %zu argument(s) (see ccr %s --help)\n", c->name, c->positionals,
			     c->name);
		return false;
	}
	if (!numbers_ok(*c, out))
		return false;
	out.json = out.has("--json");
	// Log lines and a redrawn progress line would garble each other.
	out.quiet = out.has("--quiet") || out.json || out.has("--verbose") || out.has("--debug");
	return true;
}

} // namespace cli
