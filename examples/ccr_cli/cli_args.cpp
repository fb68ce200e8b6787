// SPDX-License-Identifier: Apache-2.0
// The command line: one table of commands and options, from which CLI11
// builds the parser, the help and the shell completion, so none of them can
// list an option the others lack. Names and meanings follow runc's
// checkpoint and restore where runc has the same option.
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli.hpp"

namespace cli {
namespace {

enum CommandBit : unsigned {
	kCheck = 1,
	kCheckpoint = 2,
	kRestore = 4,
	kStats = 8,
	kExport = 16,
	kImport = 32,
	kCompletion = 64,
	kPod = 128,
	kOperate = kCheckpoint | kRestore,
	kAll = 255,
};

struct CommandSpec {
	const char *name;
	unsigned bit;
	const char *summary;
	const char *details;                   // printed after the options
	std::vector<const char *> positionals; // "NAME:help"
};

const CommandSpec kCommands[] = {
	{"check",
	 kCheck,
	 "show the CRIU version, the features this kernel offers, the cgroup layout and freezer",
	 "",
	 {}},
	{"checkpoint",
	 kCheckpoint,
	 "checkpoint a running container into an images directory",
	 "--pid must be pid 1 of a pid namespace of its own, in a freezer cgroup that is not a\n"
	 "hierarchy root and does not hold ccr; anything else is refused before CRIU starts.\n"
	 "Relative paths are taken from the current directory, --parent-path from --image-path.\n",
	 {}},
	{"restore",
	 kRestore,
	 "restore a container from an images directory",
	 "The restored container's stdin, stdout and stderr are ccr's own (as with runc\n"
	 "restore -d), so give ccr the pipes the container should have.\n"
	 "Checked before CRIU starts: the images and work directories are private and hold\n"
	 "no symlink (but a parent beside the images), fifo or device; the config is a\n"
	 "regular file; the images hold one process tree, the namespaces the config asks\n"
	 "for (none of the dumping host's where it makes new ones), a root mount the rootfs\n"
	 "replaces, only mounts the config or the caller provide (no disk, overlay or host\n"
	 "bind), only the config's and runc's devices, and cgroups at or below the\n"
	 "container's. Trusted, not checked: memory, registers, file contents and the\n"
	 "tasks' credentials and capabilities are restored as the images say, so restore\n"
	 "only images whose origin you trust. Once CRIU has restored the container ccr\n"
	 "exits 0 with its pid; later problems are warnings.\n",
	 {}},
	{"stats",
	 kStats,
	 "show CRIU's statistics left in a work or images directory",
	 "",
	 {"DIR:a work or images directory"}},
	{"export",
	 kExport,
	 "write a checkpoint archive (the CRI layout checkpointctl reads) of a checkpoint",
	 "The archive holds what containerd writes (config.dump, spec.dump, status.dump,\n"
	 "status) or, with --engine cri-o, what CRI-O writes; --name, --image, --image-ref,\n"
	 "--created and --checkpointed fill what ccr cannot know by itself.\n",
	 {"ARCHIVE:the tar to write (0600, replaced atomically)"}},
	{"import",
	 kImport,
	 "unpack a checkpoint archive into a new directory, refusing anything unsafe",
	 "ARCHIVE must be a regular file (a fifo or device is refused, not waited on).\n"
	 "DEST_DIR must not exist; it is made 0700. Only regular files (0600) and directories\n"
	 "(0700) are unpacked; links, devices, absolute or \"..\" paths and duplicates stop\n"
	 "the import and DEST_DIR is removed. Restore from DEST_DIR/checkpoint with the\n"
	 "container's own bundle. ccr checks CRIU's files there and the images' process\n"
	 "tree, namespaces, root, mounts, devices and cgroups against the bundle before a\n"
	 "restore (see ccr restore --help), but CRIU restores the memory and credentials\n"
	 "the images describe. Import only archives whose origin you trust.\n",
	 {"ARCHIVE:the archive (tar, gzip or zstd)", "DEST_DIR:the directory to create"}},
	{"pod",
	 kPod,
	 "checkpoint or restore a pod: its containers at one freeze, dumped side by side",
	 "Every container's cgroup lies below --cgroup-parent; the checkpoint freezes that\n"
	 "cgroup once, dumps the containers with one CRIU each, and thaws (--leave-running)\n"
	 "or stops them only after the last. DIR holds pod.json and one <id>/checkpoint per\n"
	 "container; on failure every container goes on as it was and DIR is removed. The\n"
	 "restore matches --container ids to the checkpoint's and resumes them together;\n"
	 "the restored containers' stdio are ccr's own. See docs/pod.md.\n"
	 "  ccr pod checkpoint DIR --cgroup-parent /pods/web --container app:/b/app:4242 ...\n"
	 "  ccr pod restore DIR --cgroup-parent /pods/web --container app:/b/app ...\n",
	 {"ACTION:checkpoint or restore", "DIR:the pod's checkpoint directory (checkpoint: must not exist)"}},
	{"completion",
	 kCompletion,
	 "print a completion script for bash or zsh (or the flags a command takes)",
	 "  ccr completion bash > /etc/bash_completion.d/ccr\n"
	 "  ccr completion zsh > \"${fpath[1]}/_ccr\"\n",
	 {"SHELL:bash, zsh, or flags COMMAND", "COMMAND:with flags: the command whose flags to list"}},
};

enum class Kind { Flag, Text, Path, Number, List };

struct OptionSpec {
	const char *names; // CLI11 names, the long one first: "--bundle,-b"
	Kind kind;
	const char *value; // the value's name in help
	const char *help;
	unsigned commands;
	unsigned long long min = 0, max = 0; // Kind::Number
	const char *replaced_by = nullptr;   // deprecated: the option that replaces it
};

constexpr const char *kDeprecatedGroup = "Deprecated (removed in the next release)";

const OptionSpec kOptions[] = {
	{"--id", Kind::Text, "ID", "the container's name (letters, digits, . _ -)", kOperate | kExport},
	{"--pid", Kind::Number, "PID", "the container's init (export: its start time and pid go in the archive)",
	 kCheckpoint | kExport, 1, INT_MAX},
	{"--process-tree", Kind::Flag, "",
	 "allow a --pid that is a plain process tree in ccr's pid namespace, not a container", kCheckpoint},
	{"--bundle,-b", Kind::Path, "DIR", "the container's OCI bundle (config.json is read from it)",
	 kOperate | kExport},
	{"--config", Kind::Path, "FILE", "the OCI config, if not <bundle>/config.json", kOperate | kExport},
	{"--rootfs", Kind::Path, "DIR", "the container's rootfs, if not the config's root.path", kOperate},
	{"--image-path", Kind::Path, "DIR", "CRIU's images (checkpoint: created 0700)", kOperate | kExport},
	{"--work-path", Kind::Path, "DIR", "CRIU's log and statistics (default: the image path)", kOperate | kExport},
	{"--criu", Kind::Text, "PATH", "the CRIU binary (default: criu in PATH)", kCheck | kOperate | kPod},
	{"--pod-id", Kind::Text, "ID", "the pod's name (default: pod)", kPod},
	{"--cgroup-parent", Kind::Text, "PATH", "the pod's parent cgroup, below which every container's is", kPod},
	{"--netns", Kind::Path, "PATH", "the network namespace the pod's containers share, by path", kPod},
	{"--container", Kind::List, "ID:BUNDLE[:PID]",
	 "a container of the pod (checkpoint: with its init pid); repeatable", kPod},
	{"--parent-path", Kind::Text, "DIR", "a pre-dump to build on, relative to --image-path", kCheckpoint},
	{"--pre-dump", Kind::Flag, "", "take a pre-dump only (needs MemTrack)", kCheckpoint},
	{"--leave-running", Kind::Flag, "", "keep the container running afterwards", kCheckpoint | kPod},
	{"--allow-processes-outside-tree", Kind::Flag, "",
	 "go on although processes in the container's cgroup are not in its init's tree (runc exec): they are "
	 "left out, each named in a warning",
	 kCheckpoint},
	{"--tcp-established", Kind::Flag, "", "allow open TCP connections", kOperate | kPod},
	{"--tcp-skip-in-flight", Kind::Flag, "", "skip TCP connections still being set up", kCheckpoint},
	{"--tcp-close", Kind::Flag, "", "restore TCP connections closed", kRestore},
	{"--ext-unix-sk", Kind::Flag, "", "allow external unix sockets", kOperate},
	{"--shell-job", Kind::Flag, "", "allow a shell job (a terminal or session from outside)", kOperate},
	{"--file-locks", Kind::Flag, "", "checkpoint and restore file locks", kOperate},
	{"--auto-dedup", Kind::Flag, "", "free image memory already restored or superseded", kOperate},
	{"--link-remap", Kind::Flag, "", "link open but deleted files back when possible", kCheckpoint},
	{"--lazy-pages", Kind::Flag, "", "leave memory to be served lazily (userfaultfd)", kOperate},
	{"--status-fd", Kind::Number, "FD", "CRIU writes \\0 to this descriptor once lazy pages are ready", kCheckpoint,
	 0, INT_MAX},
	{"--page-server", Kind::Text, "HOST:PORT", "send memory to a CRIU page server", kCheckpoint},
	{"--empty-ns", Kind::List, "NS",
	 "create this namespace but leave its contents to the caller (network); repeatable", kOperate},
	{"--manage-cgroups-mode", Kind::Text, "MODE", "soft, full, strict, ignore, none or props", kOperate},
	{"--network-lock", Kind::Text, "MODE",
	 "iptables, nftables or skip (default: nftables where it works); a restore uses the images'", kCheckpoint},
	{"--pid-file", Kind::Path, "FILE", "write the restored init's pid here", kRestore},
	{"--cgroup-path", Kind::Text, "PATH", "restore into this cgroup instead of the config's", kRestore},
	{"--console-socket", Kind::Path, "PATH", "send a restored terminal's master to this unix socket", kRestore},
	{"--lsm-profile", Kind::Text, "TYPE:NAME", "the LSM profile to restore with", kRestore},
	{"--lsm-mount-context", Kind::Text, "CONTEXT", "the LSM mount context to restore with", kRestore},
	{"--leave-stopped", Kind::Flag, "", "leave the restored container stopped", kRestore},
	{"--rootfs-diff", Kind::Path, "DIR", "the container's writable layer, to include as rootfs-diff.tar", kExport},
	{"--engine", Kind::Text, "ENGINE", "whose archive to write: containerd (default) or cri-o", kExport},
	{"--name", Kind::Text, "NAME", "the container's name in its engine (default: --id)", kExport},
	{"--image", Kind::Text, "IMAGE", "the image the rootfs came from (docker.io/library/busybox:1.36)", kExport},
	{"--image-ref", Kind::Text, "REF", "that image's digest reference (docker.io/library/busybox@sha256:...)",
	 kExport},
	{"--created", Kind::Text, "TIME",
	 "when the container was created, RFC 3339 (default: its init's start while it runs)", kExport},
	{"--checkpointed", Kind::Text, "TIME", "when it was checkpointed, RFC 3339 (default: when CRIU wrote it)",
	 kExport},
	{"--max-entries", Kind::Number, "N", "entries allowed (default 131072)", kImport, 1, UINT64_MAX},
	{"--max-bytes", Kind::Number, "N", "bytes one entry, and all of them, may declare (default 64 GiB)", kImport, 1,
	 UINT64_MAX},
	{"--max-ratio", Kind::Number, "N", "unpacked bytes per archive byte, past 256 MiB (default 1000)", kImport, 1,
	 UINT32_MAX},
	{"--timeout-ms", Kind::Number, "N", "give up (and stop CRIU) after N milliseconds", kOperate | kImport | kPod,
	 0, UINT32_MAX},
	{"--log-level", Kind::Number, "N", "CRIU's log level, 0 to 4 (default 4)", kOperate, 0, 4},
	{"--json", Kind::Flag, "", "print one JSON object instead of text", kAll & ~kCompletion},
	{"--quiet", Kind::Flag, "", "no progress line", kOperate | kExport | kImport | kPod},
	{"--verbose", Kind::Flag, "", "ccr's own log on stderr: each step (no progress line)", kOperate | kPod},
	{"--debug", Kind::Flag, "", "the same with every decision and notification", kOperate | kPod},
	{"--images", Kind::Path, "DIR", "use --image-path", kOperate | kExport, 0, 0, "--image-path"},
	{"--work", Kind::Path, "DIR", "use --work-path", kOperate | kExport, 0, 0, "--work-path"},
	{"--empty-ns-network", Kind::Flag, "", "use --empty-ns network", kOperate, 0, 0, "--empty-ns"},
};

// The long name: the first of `names`.
std::string long_name(const char *names)
{
	std::string n = names;
	return n.substr(0, n.find(','));
}

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

// A path as the library wants it, absolute: relative to the current
// directory, as runc takes --image-path.
std::string absolute(const std::string &path)
{
	if (path.empty() || path[0] == '/')
		return path;
	std::error_code ec;
	auto abs = std::filesystem::absolute(path, ec);
	if (ec)
		return path; // the library names the problem
	std::string out = abs.lexically_normal().string();
	while (out.size() > 1 && out.back() == '/')
		out.pop_back();
	return out;
}

// RFC 3339 ("2026-01-02T03:04:05.5Z", "...+02:00") to nanoseconds since
// 1970; false for anything else.
bool parse_rfc3339(const std::string &text, int64_t &out)
{
	struct tm tm {};
	int consumed = 0;
	if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			&tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
	    consumed != 19)
		return false;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	size_t at = 19;
	int64_t frac = 0;
	if (at < text.size() && text[at] == '.') {
		size_t digits = 0;
		for (at++; at < text.size() && text[at] >= '0' && text[at] <= '9'; at++, digits++)
			if (digits < 9)
				frac = frac * 10 + (text[at] - '0');
		if (digits == 0)
			return false;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	int64_t offset = 0;
	if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
		at++;
	} else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
		int hh = 0, mm = 0, n = 0;
		if (std::sscanf(text.c_str() + at + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 || hh > 23 || mm > 59)
			return false;
		offset = (text[at] == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
		at += 6;
	} else {
		return false;
	}
	if (at != text.size())
		return false;
	time_t secs = ::timegm(&tm);
	if (secs < 0)
		return false;
	out = (int64_t(secs) - offset) * 1000000000 + frac;
	return out >= 0;
}

// Checks what CLI11 cannot: numbers strictly (digits only, in range,
// nothing after them: strtoul would wrap "4294971584" to pid 4288, take "-1"
// as about 49 days and "4288xyz" as 4288), the page server's port, and
// times. Prints why and returns false on the first bad one.
bool values_ok(const std::string &command, Args &a)
{
	for (const auto &o : kOptions) {
		auto it = a.values.find(long_name(o.names));
		if (o.kind != Kind::Number || it == a.values.end())
			continue;
		unsigned long long v;
		if (!parse_unsigned(it->second, o.min, o.max, v)) {
			std::fprintf(stderr, "ccr %s: %s takes a whole number from %llu to %llu, not \"%s\"\n",
				     command.c_str(), it->first.c_str(), o.min, o.max, it->second.c_str());
			return false;
		}
	}
	auto ps = a.values.find("--page-server");
	if (ps != a.values.end()) {
		size_t colon = ps->second.rfind(':');
		unsigned long long port;
		if (colon == std::string::npos || colon == 0 ||
		    !parse_unsigned(ps->second.substr(colon + 1), 1, 65535, port)) {
			std::fprintf(stderr,
				     "ccr %s: --page-server takes HOST:PORT with a port from 1 to 65535, not \"%s\"\n",
				     command.c_str(), ps->second.c_str());
			return false;
		}
	}
	for (const char *name : {"--created", "--checkpointed"}) {
		auto it = a.values.find(name);
		int64_t ns;
		if (it == a.values.end())
			continue;
		if (!parse_rfc3339(it->second, ns)) {
			std::fprintf(
				stderr,
				"ccr %s: %s takes an RFC 3339 time after 1970 (2026-01-02T03:04:05Z), not \"%s\"\n",
				command.c_str(), name, it->second.c_str());
			return false;
		}
		it->second = std::to_string(ns);
	}
	for (const auto &ns : a.list("--empty-ns"))
		if (ns != "network") {
			std::fprintf(
				stderr,
				"ccr %s: --empty-ns takes network (the only one CRIU can leave empty), not \"%s\"\n",
				command.c_str(), ns.c_str());
			return false;
		}
	return true;
}

const char *kExitCodes = "exit codes: 0 ok, 2 usage, 3 bad input, 4 not found, 5 CRIU failed,\n"
			 "6 unsupported, 7 timed out or canceled, 9 damaged images, 10 system error\n";

// The parser, built from the tables; `values` and `lists` receive what it
// parses, keyed by each option's long name.
struct Parser {
	CLI::App app{"ccr: container checkpoint and restore with CRIU", "ccr"};
	std::map<std::string, CLI::App *> commands;
	std::map<std::string, std::string> values;
	std::map<std::string, std::vector<std::string>> lists;
	std::map<std::string, std::vector<std::string>> positionals;

	Parser()
	{
		app.get_formatter()->label("Usage", "usage");
		app.get_formatter()->column_width(34);
		app.set_help_flag("-h,--help", "print this help");
		app.set_version_flag("--version", std::string("ccr ") + ccr_version_string())
			->description("print ccr's version");
		app.require_subcommand(1);
		app.footer(kExitCodes);
		for (const auto &c : kCommands) {
			CLI::App *sub = app.add_subcommand(c.name, c.summary);
			sub->set_help_flag("-h,--help", "print this help");
			sub->footer(c.details);
			auto &pos = positionals[c.name];
			pos.resize(c.positionals.size());
			for (size_t i = 0; i < c.positionals.size(); i++) {
				std::string p = c.positionals[i];
				size_t colon = p.find(':');
				auto *opt =
					sub->add_option(p.substr(0, colon), pos[i], p.substr(colon + 1))->type_name("");
				// completion's COMMAND is needed for "flags" only.
				if (c.bit != kCompletion || i == 0)
					opt->required();
			}
			for (const auto &o : kOptions) {
				if (!(o.commands & c.bit))
					continue;
				const std::string name = long_name(o.names);
				CLI::Option *opt;
				switch (o.kind) {
				case Kind::Flag:
					opt = sub->add_flag(o.names, o.help);
					break;
				case Kind::List:
					opt = sub->add_option(o.names, lists[name], o.help)
						      ->type_name(o.value)
						      ->allow_extra_args(false);
					break;
				default:
					opt = sub->add_option(o.names, values[name], o.help)
						      ->type_name(o.value)
						      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
				}
				if (o.replaced_by)
					opt->group(kDeprecatedGroup);
			}
			commands[c.name] = sub;
		}
	}
};

int usage_error(const std::string &command, const std::string &why)
{
	if (command.empty())
		std::fprintf(stderr, "ccr: %s (see ccr --help)\n", why.c_str());
	else
		std::fprintf(stderr, "ccr %s: %s (see ccr %s --help)\n", command.c_str(), why.c_str(), command.c_str());
	return kUsage;
}

// The value kinds, for completion: paths complete as files.
bool takes_path(const CLI::Option *opt)
{
	const std::string t = opt->get_type_name();
	return t == "DIR" || t == "FILE" || t == "PATH";
}

std::vector<const CLI::Option *> flags_of(const CLI::App *sub)
{
	return sub->get_options([](const CLI::Option *o) { return o->nonpositional(); });
}

std::string flag_names(const CLI::App *sub, bool with_value)
{
	std::string out;
	for (const auto *o : flags_of(sub)) {
		if ((o->get_expected_min() > 0) != with_value)
			continue;
		for (const auto &n : o->get_lnames())
			out += (out.empty() ? "--" : " --") + n;
		for (const auto &n : o->get_snames())
			out += (out.empty() ? "-" : " -") + n;
	}
	return out;
}

std::string bash_script(const Parser &p)
{
	std::string s = "# bash completion for ccr, generated by `ccr completion bash`\n"
			"_ccr() {\n"
			"\tlocal cur prev cmd i\n"
			"\tcur=${COMP_WORDS[COMP_CWORD]}\n"
			"\tprev=${COMP_WORDS[COMP_CWORD-1]}\n"
			"\tcmd=\n"
			"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
			"\t\tcase ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac\n"
			"\tdone\n"
			"\tlocal commands=\"";
	std::string names;
	for (const auto &c : kCommands)
		names += (names.empty() ? "" : " ") + std::string(c.name);
	s += names + "\"\n\tlocal flags= valued= paths=\n\tcase $cmd in\n";
	for (const auto &c : kCommands) {
		const CLI::App *sub = p.commands.at(c.name);
		std::string paths;
		for (const auto *o : flags_of(sub))
			if (takes_path(o))
				for (const auto &n : o->get_lnames())
					paths += (paths.empty() ? "--" : " --") + n;
		s += std::string("\t") + c.name + ")\n\t\tflags=\"" + flag_names(sub, false) + "\"\n\t\tvalued=\"" +
		     flag_names(sub, true) + "\"\n\t\tpaths=\"" + paths + "\"\n\t\t;;\n";
	}
	s += "\tesac\n"
	     "\tif [[ -z $cmd ]]; then\n"
	     "\t\tCOMPREPLY=($(compgen -W \"$commands --help --version\" -- \"$cur\"))\n"
	     "\t\treturn\n"
	     "\tfi\n"
	     "\tif [[ \" $valued \" == *\" $prev \"* ]]; then\n"
	     "\t\tif [[ \" $paths \" == *\" $prev \"* ]]; then\n"
	     "\t\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	     "\t\telse\n"
	     "\t\t\tCOMPREPLY=()\n"
	     "\t\tfi\n"
	     "\t\treturn\n"
	     "\tfi\n"
	     "\tif [[ $cur == -* ]]; then\n"
	     "\t\tCOMPREPLY=($(compgen -W \"$flags $valued\" -- \"$cur\"))\n"
	     "\telse\n"
	     "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	     "\tfi\n"
	     "}\n"
	     "complete -o filenames -F _ccr ccr\n";
	return s;
}

// Text safe inside a zsh _arguments spec's [description].
std::string zsh_quote(std::string text)
{
	std::string out;
	for (char c : text) {
		if (c == '\'')
			out += "'\\''";
		else if (c == '[' || c == ']' || c == ':')
			out += '\\', out += c;
		else
			out += c;
	}
	return out;
}

std::string zsh_script(const Parser &p)
{
	std::string s = "#compdef ccr\n# zsh completion for ccr, generated by `ccr completion zsh`\n\n_ccr() {\n"
			"\tlocal -a commands\n\tcommands=(\n";
	for (const auto &c : kCommands)
		s += std::string("\t\t'") + c.name + ":" + zsh_quote(c.summary) + "'\n";
	s += "\t)\n"
	     "\tif (( CURRENT == 2 )); then\n"
	     "\t\t_describe 'command' commands\n"
	     "\t\treturn\n"
	     "\tfi\n"
	     "\tlocal cmd=${words[2]}\n"
	     "\tshift words\n"
	     "\t(( CURRENT-- ))\n"
	     "\tcase $cmd in\n";
	for (const auto &c : kCommands) {
		const CLI::App *sub = p.commands.at(c.name);
		s += std::string("\t") + c.name + ")\n\t\t_arguments";
		for (const auto *o : flags_of(sub)) {
			std::vector<std::string> all;
			for (const auto &n : o->get_lnames())
				all.push_back("--" + n);
			for (const auto &n : o->get_snames())
				all.push_back("-" + n);
			const std::string desc = "[" + zsh_quote(o->get_description()) + "]";
			std::string value;
			if (o->get_expected_min() > 0)
				value = ":" + zsh_quote(o->get_type_name()) + ":" + (takes_path(o) ? "_files" : " ");
			// Repeatable options may come again.
			const std::string repeat = o->get_expected_max() > 1 ? "*" : "";
			for (const auto &n : all)
				s += " \\\n\t\t\t'" + repeat + n +
				     (o->get_expected_min() > 0 && n.rfind("--", 0) == 0 ? "=" : "") + desc + value +
				     "'";
		}
		s += " \\\n\t\t\t'*:file:_files'\n\t\t;;\n";
	}
	s += "\tesac\n}\n\n_ccr \"$@\"\n";
	return s;
}

int completion(const Parser &p, Args &a)
{
	const std::string shell = a.positionals.at(0);
	if (shell == "bash") {
		std::fputs(bash_script(p).c_str(), stdout);
		return kOk;
	}
	if (shell == "zsh") {
		std::fputs(zsh_script(p).c_str(), stdout);
		return kOk;
	}
	if (shell == "flags" && a.positionals.size() > 1) {
		auto it = p.commands.find(a.positionals[1]);
		if (it == p.commands.end())
			return usage_error("completion", "unknown command \"" + a.positionals[1] + "\"");
		// The parser's own list, one a line: what it accepts, not what
		// the help says (a test compares the two).
		for (const auto *o : flags_of(it->second)) {
			for (const auto &n : o->get_lnames())
				std::printf("--%s\n", n.c_str());
			for (const auto &n : o->get_snames())
				std::printf("-%s\n", n.c_str());
		}
		return kOk;
	}
	return usage_error("completion", "takes bash, zsh, or flags COMMAND, not \"" + shell + "\"");
}

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

std::vector<std::string> Args::list(const std::string &name) const
{
	auto it = lists.find(name);
	return it == lists.end() ? std::vector<std::string>{} : it->second;
}

unsigned long long Args::number(const std::string &name, unsigned long long fallback) const
{
	auto it = values.find(name);
	return it == values.end() ? fallback : std::strtoull(it->second.c_str(), nullptr, 10);
}

int usage(const std::string &command, bool to_stdout)
{
	Parser p;
	auto it = p.commands.find(command);
	std::string text = it != p.commands.end() ? it->second->help("ccr") : p.app.help();
	std::fputs(text.c_str(), to_stdout ? stdout : stderr);
	return to_stdout ? kOk : kUsage;
}

int parse_args(int argc, char **argv, Args &out)
{
	Parser p;
	try {
		p.app.parse(argc, argv);
	} catch (const CLI::CallForHelp &) {
		CLI::App *sub = p.app.get_subcommands().empty() ? nullptr : p.app.get_subcommands()[0];
		std::fputs((sub ? sub->help("ccr") : p.app.help()).c_str(), stdout);
		return kOk;
	} catch (const CLI::CallForVersion &) {
		std::printf("ccr %s\n", ccr_version_string());
		return kOk;
	} catch (const CLI::ParseError &e) {
		CLI::App *sub = p.app.get_subcommands().empty() ? nullptr : p.app.get_subcommands()[0];
		if (!sub && argc > 1 && argv[1][0] != '-' && !p.commands.count(argv[1]))
			return usage_error("", std::string("unknown command \"") + argv[1] + "\"");
		return usage_error(sub ? sub->get_name() : "", e.what());
	}
	CLI::App *sub = p.app.get_subcommands().at(0);
	out.command = sub->get_name();
	for (const auto &o : kOptions) {
		const std::string name = long_name(o.names);
		CLI::Option *opt = sub->get_option_no_throw(name);
		if (!opt || opt->count() == 0)
			continue;
		std::string target = o.replaced_by ? o.replaced_by : name;
		if (o.replaced_by)
			std::fprintf(stderr, "ccr %s: %s is deprecated and goes in the next release; use %s%s\n",
				     out.command.c_str(), name.c_str(), o.replaced_by,
				     o.kind == Kind::Flag ? " network" : "");
		switch (o.kind) {
		case Kind::Flag:
			if (o.replaced_by) // --empty-ns-network
				out.lists[target].push_back("network");
			else
				out.flags.push_back(name);
			break;
		case Kind::List:
			for (const auto &v : p.lists[name])
				out.lists[target].push_back(v);
			break;
		case Kind::Path:
			if (o.replaced_by && sub->get_option_no_throw(target)->count())
				return usage_error(out.command,
						   name + " and " + target + " are the same option: give one");
			out.values[target] = absolute(p.values[name]);
			break;
		default:
			out.values[target] = p.values[name];
		}
	}
	out.positionals = p.positionals[out.command];
	// completion's optional COMMAND, when not given.
	while (!out.positionals.empty() && out.positionals.back().empty())
		out.positionals.pop_back();
	if (out.command == "completion")
		return completion(p, out);
	// pod's ACTION is a word, not a path.
	for (size_t i = out.command == "pod" ? 1 : 0; i < out.positionals.size(); i++)
		out.positionals[i] = absolute(out.positionals[i]);
	if (!values_ok(out.command, out))
		return kUsage;
	out.json = out.has("--json");
	// Log lines and a redrawn progress line would garble each other.
	out.quiet = out.has("--quiet") || out.json || out.has("--verbose") || out.has("--debug");
	return kContinue;
}

} // namespace cli
