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

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness.hpp"

extern char **environ;

namespace {

using namespace e2e;

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
// reads); with `tty`, its stderr is a pseudo-terminal.
CliRun run_cli(const std::vector<std::string> &args, std::array<int, 3> stdio = {-1, -1, -1}, bool tty = false)
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

TEST(Cli, UsageErrorsExitTwoAndSayWhy)
{
	auto unknown = run_cli({"checkpoint", "--no-such-flag"});
	EXPECT_EQ(unknown.exit_code, 2);
	EXPECT_NE(unknown.err.find("--no-such-flag"), std::string::npos) << unknown.err;
	EXPECT_EQ(run_cli({"frobnicate"}).exit_code, 2);
	EXPECT_EQ(run_cli({"checkpoint", "--pid"}).exit_code, 2);
}

TEST(Cli, ErrorsAsJsonWithExitCodeByClass)
{
	require_prerequisites();
	TempDir dir;
	auto missing = run_cli({"checkpoint", "--json", "--id", "gone", "--pid", std::to_string(unused_pid()),
				"--bundle", dir.path(), "--images", dir.path() + "/img"});
	EXPECT_EQ(missing.exit_code, 4); // not found
	auto doc = parse_json(missing.out);
	EXPECT_EQ(doc["ok"], false);
	EXPECT_EQ(doc["error"]["name"], "not-found");
	EXPECT_EQ(doc["exit_code"], 4);
	EXPECT_NE(doc["error"]["message"].get<std::string>().find("does not exist"), std::string::npos);

	auto bad_criu = run_cli({"check", "--json", "--criu", "/nonexistent/criu"});
	EXPECT_EQ(bad_criu.exit_code, 5); // CRIU class
	EXPECT_EQ(parse_json(bad_criu.out)["error"]["name"], "criu-start");

	auto bad_mode = run_cli({"checkpoint", "--json", "--pid", "1", "--bundle", dir.path(), "--images",
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
			   "--images", images},
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
	auto ex = run_cli({"export", "--json", "--id", c.id(), "--bundle", c.bundle(), "--images", images, archive});
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
	auto rs = run_cli({"restore", "--quiet", "--id", c.id(), "--bundle", c.bundle(), "--images", imported,
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
				std::to_string(c.pid()), "--bundle", c.bundle(), "--images", dir.path() + "/v"},
			       {-1, -1, -1}, true);
	ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
	EXPECT_NE(verbose.err.find("ccr: info: checkpoint of container " + c.id()), std::string::npos) << verbose.err;
	EXPECT_NE(verbose.err.find("ccr: info: criu dump done in "), std::string::npos) << verbose.err;
	EXPECT_EQ(verbose.err.find("ccr: debug:"), std::string::npos) << verbose.err;
	EXPECT_EQ(verbose.err.find("\r\033[K"), std::string::npos) << "a progress line among the log: " << verbose.err;

	auto debug = run_cli({"checkpoint", "--debug", "--leave-running", "--id", c.id(), "--pid",
			      std::to_string(c.pid()), "--bundle", c.bundle(), "--images", dir.path() + "/d"});
	ASSERT_EQ(debug.exit_code, 0) << debug.err;
	EXPECT_NE(debug.err.find("ccr: debug: notification pre-dump"), std::string::npos) << debug.err;
	EXPECT_NE(debug.err.find("ccr: debug: freezer: "), std::string::npos) << debug.err;
	EXPECT_EQ(c.ask("b"), "b 2");
}

#endif // CCR_CLI_PATH
