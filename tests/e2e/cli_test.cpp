// SPDX-License-Identifier: Apache-2.0
// The ccr command-line tool as a user meets it: help, exit codes by error
// class, --json output, the progress line on a terminal, and a real
// checkpoint and restore of a runc container through it.
#ifdef CCR_CLI_PATH // built only along with the tool (CCR_BUILD_EXAMPLES)
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <spawn.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness.hpp"

extern char **environ;

namespace {

using namespace e2e;
namespace fs = std::filesystem;

struct CliRun {
	int exit_code = -1;
	std::string out; // stdout
	std::string err; // stderr (or the terminal's output when on a pty)
};

// Reads everything from `fd` until EOF or the child has exited and nothing
// more arrives.
std::string drain(int fd)
{
	std::string data;
	char buf[4096];
	for (;;) {
		pollfd p{fd, POLLIN, 0};
		if (::poll(&p, 1, 30000) <= 0)
			break;
		ssize_t n = ::read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		data.append(buf, size_t(n));
	}
	return data;
}

// Runs the tool with `stdio` as its descriptors 0..2 (-1: pipes the test
// reads); with `tty`, its stderr is a pseudo-terminal; with `cwd`, in that
// directory.
CliRun run_cli(const std::vector<std::string> &args, std::array<int, 3> stdio = {-1, -1, -1}, bool tty = false,
	       const std::string &cwd = "")
{
	std::vector<std::string> argv = {CCR_CLI_PATH};
	argv.insert(argv.end(), args.begin(), args.end());
	std::vector<char *> cargv;
	for (auto &a : argv)
		cargv.push_back(a.data());
	cargv.push_back(nullptr);

	int out[2], err[2] = {-1, -1};
	EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
	int master = -1, slave = -1;
	if (tty) {
		EXPECT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
		::fcntl(master, F_SETFD, FD_CLOEXEC);
		::fcntl(slave, F_SETFD, FD_CLOEXEC);
	} else {
		EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
	posix_spawn_file_actions_adddup2(&fa, stdio[0] >= 0 ? stdio[0] : devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, stdio[1] >= 0 ? stdio[1] : out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, stdio[2] >= 0 ? stdio[2] : (tty ? slave : err[1]), 2);
	if (!cwd.empty())
		posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
	pid_t pid;
	int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	::close(devnull);
	::close(out[1]);
	if (tty)
		::close(slave);
	else
		::close(err[1]);
	EXPECT_EQ(rc, 0) << "cannot run " << cargv[0];
	CliRun r;
	r.out = drain(out[0]);
	r.err = drain(tty ? master : err[0]);
	::close(out[0]);
	::close(tty ? master : err[0]);
	int status = 0;
	::waitpid(pid, &status, 0);
	r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

nlohmann::json parse_json(const std::string &text)
{
	auto doc = nlohmann::json::parse(text, nullptr, false);
	EXPECT_FALSE(doc.is_discarded()) << "not JSON: " << text;
	return doc;
}

} // namespace

TEST(Cli, HelpForEveryCommand)
{
	auto top = run_cli({"--help"});
	EXPECT_EQ(top.exit_code, 0);
	for (const char *cmd : {"check", "checkpoint", "restore", "stats", "export", "import"}) {
		EXPECT_NE(top.out.find(cmd), std::string::npos) << cmd;
		auto help = run_cli({cmd, "--help"});
		EXPECT_EQ(help.exit_code, 0) << cmd;
		EXPECT_NE(help.out.find(std::string("usage: ccr ") + cmd), std::string::npos) << help.out;
	}
}

// The flags on a help line's left: "  -b,--bundle DIR   the..." gives -b and
// --bundle; with each, whether the help shows it taking a value.
std::map<std::string, bool> help_flags(const std::string &help)
{
	std::map<std::string, bool> out;
	std::istringstream lines(help);
	for (std::string line; std::getline(lines, line);) {
		if (line.rfind("  -", 0) != 0)
			continue;
		std::istringstream words(line);
		std::string names, value;
		words >> names >> value;
		bool valued = !value.empty() && std::isupper(static_cast<unsigned char>(value[0]));
		std::istringstream parts(names);
		for (std::string n; std::getline(parts, n, ',');)
			out[n] = valued;
	}
	return out;
}

// Each command's help lists exactly the flags its parser accepts: the
// help's list equals the parser's own (ccr completion flags walks the
// parser, not the help), and each listed flag, given alone, is never called
// unknown. -h is --help.
TEST(Cli, HelpListsExactlyTheAcceptedFlags)
{
	for (const char *cmd : {"check", "checkpoint", "restore", "stats", "export", "import", "completion"}) {
		auto help = run_cli({cmd, "--help"});
		ASSERT_EQ(help.exit_code, 0) << cmd << help.err;
		EXPECT_EQ(run_cli({cmd, "-h"}).out, help.out) << cmd;
		const auto listed = help_flags(help.out);
		auto parser = run_cli({"completion", "flags", cmd});
		ASSERT_EQ(parser.exit_code, 0) << parser.err;
		std::set<std::string> accepted;
		std::istringstream lines(parser.out);
		for (std::string line; std::getline(lines, line);)
			accepted.insert(line);
		std::set<std::string> in_help;
		for (const auto &[flag, valued] : listed)
			in_help.insert(flag);
		EXPECT_EQ(in_help, accepted) << cmd << "'s help:\n" << help.out;
		for (const auto &[flag, valued] : listed) {
			if (flag == "-h" || flag == "--help")
				continue;
			std::vector<std::string> argv = {cmd, flag};
			if (valued) // a pid that cannot exist, a number every range takes
				argv.push_back(flag == "--pid" ? "2147483647" : "4");
			auto r = run_cli(argv);
			EXPECT_EQ(r.err.find("not expected"), std::string::npos) << cmd << " " << flag << ": " << r.err;
			EXPECT_EQ(r.err.find("unknown"), std::string::npos) << cmd << " " << flag << ": " << r.err;
		}
	}
	// The old names are listed, as deprecated, while they still work.
	auto help = run_cli({"checkpoint", "--help"});
	EXPECT_NE(help.out.find("Deprecated (removed in the next release):\n  --images DIR"), std::string::npos)
		<< help.out;
}

// The completion scripts the build writes (and cmake --install installs)
// are the tool's own output; bash loads its script and completes commands
// and flags with it, and zsh finds its completion function.
TEST(Cli, CompletionLoadsInBashAndZsh)
{
	const std::string dir = fs::path(CCR_CLI_PATH).parent_path() / "completion";
	EXPECT_EQ(read_file(dir + "/ccr"), run_cli({"completion", "bash"}).out);
	EXPECT_EQ(read_file(dir + "/_ccr"), run_cli({"completion", "zsh"}).out);

	CmdResult loaded = run({"bash", "-c", "source \"$0\" && complete -p ccr", dir + "/ccr"});
	ASSERT_TRUE(loaded.ok()) << loaded.output;
	EXPECT_EQ(loaded.output, "complete -o filenames -F _ccr ccr\n");
	auto complete = [&](const std::string &words, int cword) {
		return run({"bash", "-c",
			    "source \"$0\"; COMP_WORDS=(" + words + "); COMP_CWORD=" + std::to_string(cword) +
				    "; _ccr; echo \"${COMPREPLY[*]}\"",
			    dir + "/ccr"})
			.output;
	};
	EXPECT_EQ(complete("ccr exp", 1), "export\n");
	EXPECT_EQ(complete("ccr checkpoint --image-p", 2), "--image-path\n");
	EXPECT_EQ(complete("ccr restore --console-s", 2), "--console-socket\n");
	EXPECT_EQ(complete("ccr export --tcp-est", 2), "\n") << "export takes no --tcp-established";
	EXPECT_EQ(complete("ccr checkpoint --network-l", 2), "--network-lock\n");
	EXPECT_EQ(complete("ccr restore --network-l", 2), "\n") << "a restore takes the images' network lock";

	const std::string zsh = find_in_path("zsh");
	if (zsh.empty()) {
		const char *ci = std::getenv("CI");
		if (ci && std::string(ci) == "true")
			FAIL() << "zsh is missing (CI=true); scripts/bootstrap.sh installs it";
		GTEST_SKIP() << "zsh is not installed: its completion is not checked";
	}
	CmdResult z =
		run({zsh, "-f", "-c",
		     "fpath=(\"$0\" $fpath); autoload -Uz compinit; compinit -u -D; print -r -- $_comps[ccr]", dir});
	ASSERT_TRUE(z.ok()) << z.output;
	EXPECT_EQ(z.output, "_ccr\n");
}

// runc's spelling: --flag=value, -b, and relative paths taken from the
// current directory; the old names keep working with a note on stderr.
TEST(Cli, RuncStyleFlagsEqualsValuesAndRelativePaths)
{
	require_prerequisites();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	TempDir dir;
	const std::string pid = std::to_string(c.pid());
	auto cp = run_cli({"checkpoint", "--leave-running", "--json", "--id=" + c.id(), "--pid=" + pid, "-b",
			   c.bundle(), "--image-path=images", "--work-path", "work"},
			  {-1, -1, -1}, false, dir.path());
	ASSERT_EQ(cp.exit_code, 0) << cp.out << cp.err;
	EXPECT_EQ(parse_json(cp.out)["images"], dir.path() + "/images");
	EXPECT_TRUE(path_exists(dir.path() + "/images/inventory.img"));
	EXPECT_TRUE(path_exists(dir.path() + "/work/stats-dump")) << "the work path is relative to the cwd too";
	EXPECT_EQ(cp.err.find("deprecated"), std::string::npos) << cp.err;
	EXPECT_EQ(c.ask("b"), "b 2");

	auto old = run_cli({"checkpoint", "--leave-running", "--quiet", "--id", c.id(), "--pid", pid, "--bundle",
			    c.bundle(), "--images", "old"},
			   {-1, -1, -1}, false, dir.path());
	ASSERT_EQ(old.exit_code, 0) << old.err;
	EXPECT_NE(old.err.find("--images is deprecated and goes in the next release; use --image-path"),
		  std::string::npos)
		<< old.err;
	EXPECT_TRUE(path_exists(dir.path() + "/old/inventory.img"));
	auto both = run_cli({"checkpoint", "--id", c.id(), "--pid", pid, "--images", "x", "--image-path", "y"});
	EXPECT_EQ(both.exit_code, 2) << both.err;
	EXPECT_EQ(c.ask("c"), "c 3");

	auto ex = run_cli({"export", "--id=" + c.id(), "--bundle=" + c.bundle(), "--image-path=images",
			   "--work-path=work", "--name=web", "--created=2026-01-02T03:04:05+01:00", "ckpt.tar"},
			  {-1, -1, -1}, false, dir.path());
	ASSERT_EQ(ex.exit_code, 0) << ex.err;
	EXPECT_TRUE(path_exists(dir.path() + "/ckpt.tar"));
	auto bad_time = run_cli({"export", "--id", c.id(), "--image-path", "images", "--created", "yesterday", "x"});
	EXPECT_EQ(bad_time.exit_code, 2);
	EXPECT_NE(bad_time.err.find("--created takes an RFC 3339 time"), std::string::npos) << bad_time.err;
}

TEST(Cli, UsageErrorsExitTwoAndSayWhy)
{
	auto unknown = run_cli({"checkpoint", "--no-such-flag"});
	EXPECT_EQ(unknown.exit_code, 2);
	EXPECT_NE(unknown.err.find("--no-such-flag"), std::string::npos) << unknown.err;
	auto frob = run_cli({"frobnicate"});
	EXPECT_EQ(frob.exit_code, 2);
	EXPECT_NE(frob.err.find("unknown command \"frobnicate\""), std::string::npos) << frob.err;
	auto no_value = run_cli({"checkpoint", "--image-path"});
	EXPECT_EQ(no_value.exit_code, 2);
	EXPECT_NE(no_value.err.find("--image-path"), std::string::npos) << no_value.err;
	EXPECT_EQ(run_cli({"checkpoint", "--pid"}).exit_code, 2);
}

TEST(Cli, ErrorsAsJsonWithExitCodeByClass)
{
	require_prerequisites();
	TempDir dir;
	auto missing = run_cli({"checkpoint", "--json", "--id", "gone", "--pid", std::to_string(unused_pid()),
				"--bundle", dir.path(), "--image-path", dir.path() + "/img"});
	EXPECT_EQ(missing.exit_code, 4); // not found
	auto doc = parse_json(missing.out);
	EXPECT_EQ(doc["ok"], false);
	EXPECT_EQ(doc["error"]["name"], "not-found");
	EXPECT_EQ(doc["exit_code"], 4);
	EXPECT_NE(doc["error"]["message"].get<std::string>().find("does not exist"), std::string::npos);

	auto bad_criu = run_cli({"check", "--json", "--criu", "/nonexistent/criu"});
	EXPECT_EQ(bad_criu.exit_code, 5); // CRIU class
	EXPECT_EQ(parse_json(bad_criu.out)["error"]["name"], "criu-start");

	auto bad_mode = run_cli({"checkpoint", "--json", "--pid", "1", "--bundle", dir.path(), "--image-path",
				 dir.path() + "/img", "--manage-cgroups-mode", "sometimes"});
	EXPECT_EQ(bad_mode.exit_code, 3); // bad input
	EXPECT_EQ(parse_json(bad_mode.out)["error"]["name"], "invalid-argument");
}

TEST(Cli, CheckAsJson)
{
	require_prerequisites();
	auto r = run_cli({"check", "--json"});
	ASSERT_EQ(r.exit_code, 0) << r.err;
	auto doc = parse_json(r.out);
	EXPECT_GE(doc["criu_version"].get<int>(), 40100);
	EXPECT_TRUE(doc["features"].contains("mem_track"));
	// Host notes: /run's file system decides the first.
	ASSERT_TRUE(doc["notes"].is_array()) << r.out;
	struct statfs run {};
	ASSERT_EQ(::statfs("/run", &run), 0);
	const bool run_is_tmpfs = static_cast<long>(run.f_type) == 0x01021994;
	EXPECT_EQ(r.out.find("/run is not a tmpfs") == std::string::npos, run_is_tmpfs) << r.out;
	EXPECT_EQ(r.out.find("iptables-restore is not in PATH"), std::string::npos) << r.out;
	// The cgroup layout, told apart here by the file system types: the v1
	// pass runs on this hybrid host, the v2 pass in tests/cgroup2/view.sh.
	struct statfs cg {};
	ASSERT_EQ(::statfs("/sys/fs/cgroup", &cg), 0);
	const bool v2 = static_cast<unsigned long>(cg.f_type) == 0x63677270UL;
	struct statfs unified {};
	const bool hybrid = !v2 && ::statfs("/sys/fs/cgroup/unified", &unified) == 0 &&
			    static_cast<unsigned long>(unified.f_type) == 0x63677270UL;
	EXPECT_EQ(doc["cgroups"]["layout"], v2 ? "v2" : hybrid ? "hybrid" : "v1") << r.out;
	EXPECT_EQ(doc["cgroups"]["freezer"], v2 ? "v2" : "v1") << r.out;
	auto text = run_cli({"check"});
	ASSERT_EQ(text.exit_code, 0) << text.err;
	EXPECT_NE(text.out.find(v2 ? "freezer:                v2 (cgroup.freeze)"
				   : "freezer:                v1 freezer (freezer.state)"),
		  std::string::npos)
		<< text.out;

	// Without iptables-restore in PATH, check says what to do about it.
	const std::string criu = find_in_path("criu");
	const std::string old_path = ::getenv("PATH") ? ::getenv("PATH") : "";
	::setenv("PATH", "/nonexistent", 1);
	auto bare = run_cli({"check", "--json", "--criu", criu});
	::setenv("PATH", old_path.c_str(), 1);
	ASSERT_EQ(bare.exit_code, 0) << bare.err;
	EXPECT_NE(bare.out.find("iptables-restore is not in PATH"), std::string::npos) << bare.out;
}

TEST(Cli, CheckpointShowsProgressOnATerminalAndRestoreCarriesOn)
{
	require_prerequisites();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	TempDir dir;
	std::string images = dir.path() + "/images";

	// On a terminal: the progress line, redrawn in place, names the phases.
	auto cp = run_cli({"checkpoint", "--id", c.id(), "--pid", std::to_string(c.pid()), "--bundle", c.bundle(),
			   "--image-path", images},
			  {-1, -1, -1}, true);
	ASSERT_EQ(cp.exit_code, 0) << cp.err;
	EXPECT_NE(cp.err.find("\r\033[K"), std::string::npos) << cp.err;
	EXPECT_NE(cp.err.find("freezing and collecting the container"), std::string::npos) << cp.err;
	EXPECT_NE(cp.err.find("checkpointed container"), std::string::npos) << cp.err;
	ASSERT_TRUE(wait_gone(c.pid()));
	c.delete_runc_container();

	// stats reads what CRIU left, as JSON.
	auto st = run_cli({"stats", images, "--json"});
	ASSERT_EQ(st.exit_code, 0) << st.err;
	auto stats = parse_json(st.out)["stats"];
	EXPECT_GT(stats["pages_written"].get<uint64_t>(), 0u);
	EXPECT_GT(stats["frozen_time_us"].get<uint64_t>(), 0u);

	// Through an archive: export, import into a fresh directory, restore from it.
	std::string archive = dir.path() + "/ckpt.tar";
	auto ex =
		run_cli({"export", "--json", "--id", c.id(), "--bundle", c.bundle(), "--image-path", images, archive});
	ASSERT_EQ(ex.exit_code, 0) << ex.out << ex.err;
	EXPECT_EQ(parse_json(ex.out)["archive"], archive);
	auto im = run_cli({"import", "--json", archive, dir.path() + "/unpacked"});
	ASSERT_EQ(im.exit_code, 0) << im.out << im.err;
	std::string imported = parse_json(im.out)["images"];
	EXPECT_EQ(imported, dir.path() + "/unpacked/checkpoint");
	auto again = run_cli({"import", archive, dir.path() + "/unpacked"});
	EXPECT_EQ(again.exit_code, 3) << "importing over an existing directory: " << again.err;

	// Restore: the tool's stdio become the container's, as with runc restore -d.
	Pipes p = Pipes::make();
	std::string pid_file = dir.path() + "/pid";
	auto rs = run_cli({"restore", "--quiet", "--id", c.id(), "--bundle", c.bundle(), "--image-path", imported,
			   "--pid-file", pid_file},
			  {p.container_stdin(), p.container_stdout(), p.container_stderr()});
	ASSERT_EQ(rs.exit_code, 0) << p.drain_stderr();
	pid_t restored = std::stoi(read_file(pid_file));
	c.adopt_pid(restored);
	c.use_pipes(std::move(p));
	EXPECT_EQ(c.ask("b"), "b 2");
}

// --verbose prints ccr's own log at info level on stderr instead of the
// progress line, --debug adds every decision and notification.
TEST(Cli, VerboseAndDebugPrintCcrsLog)
{
	require_prerequisites();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	TempDir dir;
	auto verbose = run_cli({"checkpoint", "--verbose", "--leave-running", "--id", c.id(), "--pid",
				std::to_string(c.pid()), "--bundle", c.bundle(), "--image-path", dir.path() + "/v"},
			       {-1, -1, -1}, true);
	ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
	EXPECT_NE(verbose.err.find("ccr: info: checkpoint of container " + c.id()), std::string::npos) << verbose.err;
	EXPECT_NE(verbose.err.find("ccr: info: criu dump done in "), std::string::npos) << verbose.err;
	EXPECT_EQ(verbose.err.find("ccr: debug:"), std::string::npos) << verbose.err;
	EXPECT_EQ(verbose.err.find("\r\033[K"), std::string::npos) << "a progress line among the log: " << verbose.err;

	auto debug = run_cli({"checkpoint", "--debug", "--leave-running", "--id", c.id(), "--pid",
			      std::to_string(c.pid()), "--bundle", c.bundle(), "--image-path", dir.path() + "/d"});
	ASSERT_EQ(debug.exit_code, 0) << debug.err;
	EXPECT_NE(debug.err.find("ccr: debug: notification pre-dump"), std::string::npos) << debug.err;
	EXPECT_NE(debug.err.find("ccr: debug: freezer: "), std::string::npos) << debug.err;
	EXPECT_EQ(c.ask("b"), "b 2");
}

// `ccr pod`: a leave-running pod checkpoint of two containers as JSON (both
// go on, the pod's frozen time and each container's statistics come back),
// a usage error, and a failure's exit code by its class.
TEST(Cli, PodCheckpointAsJson)
{
	require_prerequisites();
	std::string parent = "/ccr-e2e-clipod-" + std::to_string(getpid());
	struct RemoveParent {
		std::string path;
		~RemoveParent()
		{
			for (const auto &h : fs::directory_iterator("/sys/fs/cgroup"))
				::rmdir((h.path().string() + path).c_str());
		}
	} remove_parent{parent};
	ContainerOptions o;
	o.cgroup_parent = parent;
	Container a(o), b(o);
	for (Container *c : {&a, &b}) {
		c->start();
		ASSERT_EQ(c->ask("x"), "x 1");
	}
	TempDir dir;
	auto member = [](const Container &c) { return c.id() + ":" + c.bundle() + ":" + std::to_string(c.pid()); };
	auto bad = run_cli({"pod", "pause", dir / "pod"});
	EXPECT_EQ(bad.exit_code, 2) << bad.err;
	EXPECT_NE(bad.err.find("checkpoint or restore"), std::string::npos) << bad.err;

	auto ok = run_cli({"pod", "checkpoint", dir / "pod", "--json", "--leave-running", "--pod-id", "web",
			   "--cgroup-parent", parent, "--container", member(a), "--container", member(b)});
	ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
	auto doc = parse_json(ok.out);
	EXPECT_EQ(doc["ok"], true);
	EXPECT_EQ(doc["action"], "checkpoint");
	EXPECT_EQ(doc["pod"], "web");
	ASSERT_EQ(doc["containers"].size(), 2u) << ok.out;
	EXPECT_EQ(doc["containers"][0]["id"], a.id());
	EXPECT_GT(doc["frozen_time_us"].get<uint64_t>(), 0u) << ok.out;
	EXPECT_TRUE(doc["containers"][1]["stats"].contains("criu_time_us")) << ok.out;
	EXPECT_TRUE(fs::exists(dir / "pod/pod.json"));
	EXPECT_EQ(a.ask("y"), "y 2");
	EXPECT_EQ(b.ask("y"), "y 2");

	auto exists = run_cli(
		{"pod", "checkpoint", dir / "pod", "--json", "--cgroup-parent", parent, "--container", member(a)});
	EXPECT_EQ(exists.exit_code, 3) << exists.out; // bad input: the directory exists
	EXPECT_EQ(parse_json(exists.out)["error"]["name"], "invalid-argument");
}

#endif // CCR_CLI_PATH
