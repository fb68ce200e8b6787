// SPDX-License-Identifier: Apache-2.0
// Untrusted images and wrong targets (issue 19): a success after CRIU is a
// success, a pid that is not a container is refused, special files never
// hang ccr, CRIU's own files are checked before it runs, and a failed
// restore takes every cgroup it made with it.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ccr.h"
#include "harness.hpp"

using namespace e2e;

namespace {

std::vector<std::string> warnings_of(const ResultPtr &r)
{
	std::vector<std::string> out;
	for (size_t i = 0; i < ccr_result_warning_count(r.get()); i++)
		out.emplace_back(ccr_result_warning(r.get(), i));
	return out;
}

ccr_error_code code_of(const ErrorPtr &e)
{
	return ccr_error_code_of(e.get());
}

std::string message_of(const ErrorPtr &e)
{
	return e ? ccr_error_message(e.get()) : "(no error)";
}

} // namespace

// CRIU dumped the container, then its statistics cannot be read (a
// directory where stats-dump goes): the checkpoint succeeded, with a warning.
// Reported as a failure, a caller would retry a container that is gone.
TEST(Untrusted, ADumpWhoseStatisticsCannotBeReadIsASuccessWithAWarning)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	std::string images = c.dir() / "images";
	ASSERT_EQ(::mkdir(images.c_str(), 0700), 0);
	ASSERT_EQ(::mkdir((images + "/stats-dump").c_str(), 0700), 0);

	OptionsPtr o = make_options(images);
	ContainerPtr h = c.handle();
	ccr_result *raw = nullptr;
	ErrorPtr err(ccr_checkpoint(&raw, h.get(), o.get()));
	ResultPtr r(raw);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_TRUE(r);
	auto warnings = warnings_of(r);
	ASSERT_EQ(warnings.size(), 1u);
	EXPECT_NE(warnings[0].find("stats-dump"), std::string::npos) << warnings[0];
	EXPECT_NE(warnings[0].find("not a regular file"), std::string::npos) << warnings[0];
	EXPECT_EQ(ccr_result_warning(r.get(), 1), nullptr);
	EXPECT_TRUE(wait_gone(c.pid())) << "the container was dumped: it is gone";
}

namespace {

// Restores `c` from `images`, whose stats-restore is not readable: the
// restore must succeed with the pid, one warning naming stats-restore, and
// the container carrying on. The result goes to `out`.
void restore_despite_unreadable_stats(Container &c, const std::string &images, ResultPtr &out)
{
	Pipes p = Pipes::make();
	ContainerPtr h = c.handle();
	ASSERT_CCR_OK(
		ccr_container_set_stdio(h.get(), p.container_stdin(), p.container_stdout(), p.container_stderr()));
	OptionsPtr o = make_options(images);
	ccr_result *raw = nullptr;
	ErrorPtr err(ccr_restore(&raw, h.get(), o.get()));
	out.reset(raw);
	const ResultPtr &r = out;
	ASSERT_FALSE(err) << describe(err);
	ASSERT_TRUE(r);
	pid_t pid = ccr_result_pid(r.get());
	ASSERT_GT(pid, 0);
	c.adopt_pid(pid);
	c.use_pipes(std::move(p));
	auto warnings = warnings_of(r);
	ASSERT_EQ(warnings.size(), 1u);
	EXPECT_NE(warnings[0].find("stats-restore"), std::string::npos) << warnings[0];
	EXPECT_EQ(c.ask("b"), "b 2");
}

} // namespace

// CRIU restored the container, then its statistics cannot be read (an
// imported archive can carry a checkpoint/stats-restore directory): the
// restore succeeded and the caller gets the pid, so it can manage what runs.
TEST(Untrusted, ARestoreWhoseStatisticsCannotBeReadGivesThePid)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	std::string images = c.dir() / "images";
	ASSERT_FALSE(checkpoint(c, images));
	ASSERT_TRUE(wait_gone(c.pid()));
	c.delete_runc_container();
	ASSERT_EQ(::mkdir((images + "/stats-restore").c_str(), 0700), 0);

	ResultPtr r;
	ASSERT_NO_FATAL_FAILURE(restore_despite_unreadable_stats(c, images, r));
	uint64_t v;
	EXPECT_EQ(ccr_result_stat(&v, r.get(), CCR_STAT_WALL_TIME_US), 1) << "ccr's own clock is still reported";
}

// The path for the same fault: the stats-restore directory arrives
// in a crafted archive, which import accepts; the restore from the imported
// checkpoint is still a success that gives the pid, with a warning.
TEST(Untrusted, ARestoreFromACraftedArchiveWithUnreadableStatisticsGivesThePid)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const std::string images = c.dir() / "images";
	ASSERT_FALSE(checkpoint(c, images));
	ASSERT_TRUE(wait_gone(c.pid()));
	c.delete_runc_container();

	// Export, unpack, add the directory, pack again: a plain tar, the way an
	// attacker would edit an archive.
	const std::string exported = c.dir() / "exported.tar";
	{
		ContainerPtr h = c.handle();
		OptionsPtr o = make_options(images);
		ASSERT_CCR_OK(ccr_archive_export(exported.c_str(), h.get(), o.get(), nullptr));
	}
	const std::string unpacked = c.dir() / "unpacked";
	ASSERT_EQ(::mkdir(unpacked.c_str(), 0700), 0);
	CmdResult untar = run({"tar", "-xf", exported, "-C", unpacked});
	ASSERT_TRUE(untar.ok()) << untar.output;
	ASSERT_EQ(::mkdir((unpacked + "/checkpoint/stats-restore").c_str(), 0700), 0);
	const std::string crafted = c.dir() / "crafted.tar";
	CmdResult retar = run({"bash", "-c", "cd '" + unpacked + "' && tar -cf '" + crafted + "' *"});
	ASSERT_TRUE(retar.ok()) << retar.output;
	const std::string imported = c.dir() / "imported";
	ASSERT_CCR_OK(ccr_archive_import(crafted.c_str(), imported.c_str()));

	ResultPtr r;
	ASSERT_NO_FATAL_FAILURE(restore_despite_unreadable_stats(c, imported + "/checkpoint", r));
}

#ifdef CCR_CLI_PATH
// The tool's --json output carries the warnings, and the exit code is 0.
TEST(Untrusted, TheToolReportsWarningsAndSucceeds)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	std::string images = c.dir() / "images";
	ASSERT_EQ(::mkdir(images.c_str(), 0700), 0);
	ASSERT_EQ(::mkdir((images + "/stats-dump").c_str(), 0700), 0);
	CmdResult cp = run({CCR_CLI_PATH, "checkpoint", "--json", "--leave-running", "--id", c.id(), "--pid",
			    std::to_string(c.pid()), "--bundle", c.bundle(), "--image-path", images});
	ASSERT_TRUE(cp.ok()) << cp.output;
	auto doc = nlohmann::json::parse(cp.output, nullptr, false);
	ASSERT_FALSE(doc.is_discarded()) << cp.output;
	EXPECT_EQ(doc["ok"], true);
	ASSERT_TRUE(doc["warnings"].is_array()) << cp.output;
	ASSERT_EQ(doc["warnings"].size(), 1u) << cp.output;
	EXPECT_NE(doc["warnings"][0].get<std::string>().find("stats-dump"), std::string::npos) << cp.output;
	EXPECT_EQ(c.ask("b"), "b 2");
}
#endif

namespace {

// A child running argv (looked up in PATH), its stdio /dev/null. The caller
// kills and reaps it.
pid_t spawn(const std::vector<std::string> &argv)
{
	pid_t pid = ::fork();
	if (pid == 0) {
		int null = ::open("/dev/null", O_RDWR);
		::dup2(null, 0);
		::dup2(null, 1);
		::dup2(null, 2);
		std::vector<char *> args;
		for (const auto &a : argv)
			args.push_back(const_cast<char *>(a.c_str()));
		args.push_back(nullptr);
		::execvp(args[0], args.data());
		::_exit(127);
	}
	return pid;
}

void kill_and_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	::kill(pid, SIGKILL);
	::waitpid(pid, nullptr, 0);
}

// The only child of `pid` (the process `unshare --fork` runs), or 0.
pid_t only_child_of(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		std::string kids =
			read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
		if (!kids.empty())
			return std::stoi(kids);
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return 0;
}

// Checkpoints `pid` with the bundle of the never-started `c`.
ErrorPtr checkpoint_pid(const Container &c, pid_t pid, const std::function<void(ccr_options *)> &prepare = {},
			bool process_tree = false)
{
	ContainerPtr h = c.handle();
	if (ccr_error *e = ccr_container_set_pid(h.get(), pid))
		return ErrorPtr(e);
	if (process_tree)
		if (ccr_error *e = ccr_container_set_process_tree(h.get(), 1))
			return ErrorPtr(e);
	OptionsPtr o = make_options(c.dir() / "images");
	if (prepare)
		prepare(o.get());
	return ErrorPtr(ccr_checkpoint(nullptr, h.get(), o.get()));
}

} // namespace

// A host process is not a container: refused before CRIU starts, and it
// keeps running (today's code dumped and killed it).
TEST(Untrusted, CheckpointRefusesAHostProcess)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	pid_t sleeper = spawn({"sleep", "1000"});
	ASSERT_GT(sleeper, 0);
	ErrorPtr err = checkpoint_pid(c, sleeper);
	EXPECT_EQ(code_of(err), CCR_ERR_INVALID_ARGUMENT) << describe(err);
	EXPECT_NE(message_of(err).find("shares the caller's pid namespace"), std::string::npos) << message_of(err);
	EXPECT_TRUE(alive(sleeper)) << "the host process was killed";
	kill_and_reap(sleeper);
}

// pid 1 is the host's init, and its freezer is the hierarchy's root.
// Refused before CRIU starts: the "CRIU" is /bin/false, so a ccr that got as
// far as starting CRIU fails this test with a CRIU error instead of touching
// the host's init.
TEST(Untrusted, CheckpointRefusesPidOne)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	ErrorPtr err =
		checkpoint_pid(c, 1, [](ccr_options *o) { expect_ok(ccr_options_set_criu_path(o, "/bin/false")); });
	EXPECT_EQ(code_of(err), CCR_ERR_INVALID_ARGUMENT) << describe(err);
	EXPECT_NE(message_of(err).find("pid 1 shares the caller's pid namespace"), std::string::npos)
		<< message_of(err);
}

// The init of a pid namespace of its own that sits in the freezer
// hierarchy's root (or in ccr's own freezer cgroup) is refused too: freezing
// that cgroup would freeze the host, or ccr. Even as a process tree.
TEST(Untrusted, CheckpointRefusesAFreezerSharedWithTheHost)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	pid_t unshare = spawn({"unshare", "--pid", "--fork", "--kill-child", "sleep", "1000"});
	ASSERT_GT(unshare, 0);
	pid_t init = only_child_of(unshare);
	ASSERT_GT(init, 0);
	const std::string own_freezer = proc_cgroups(::getpid())[cgroup_v2_host() ? "" : "freezer"];
	for (bool tree : {false, true}) {
		ErrorPtr err = checkpoint_pid(
			c, init, [](ccr_options *o) { expect_ok(ccr_options_set_criu_path(o, "/bin/false")); }, tree);
		EXPECT_EQ(code_of(err), CCR_ERR_INVALID_ARGUMENT) << describe(err);
		const std::string msg = message_of(err);
		EXPECT_NE(msg.find("freezer cgroup " + cgroup_dir("freezer", "")), std::string::npos) << msg;
		if (own_freezer == "/")
			EXPECT_NE(msg.find("is the root of its hierarchy"), std::string::npos) << msg;
		else
			EXPECT_NE(msg.find("holds the calling process"), std::string::npos) << msg;
	}
	EXPECT_TRUE(alive(init));
	kill_and_reap(unshare);
}

// A plain process tree may be checkpointed when the caller says so, with a
// freezer of its own or none (ptrace): the opt-out works.
TEST(Untrusted, AProcessTreeIsCheckpointedWhenTheCallerSaysSo)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	pid_t sleeper = spawn({"sleep", "1000"});
	ASSERT_GT(sleeper, 0);
	ErrorPtr err = checkpoint_pid(
		c, sleeper,
		[](ccr_options *o) {
			expect_ok(ccr_options_set_freeze_cgroup(o, ""));
			expect_ok(ccr_options_set_leave_running(o, 1));
			expect_ok(ccr_options_set_shell_job(o, 1));
		},
		true);
	// The refusal is gone; whether CRIU can dump a host sleep with this
	// bundle's rootfs as its root is CRIU's business, not this test's.
	if (err)
		EXPECT_NE(code_of(err), CCR_ERR_INVALID_ARGUMENT) << describe(err);
	EXPECT_TRUE(alive(sleeper));
	kill_and_reap(sleeper);
}

// A container that joins another's pid namespace by path (a pod that shares
// one, as Kubernetes' shareProcessNamespace and CRI's POD pid mode do) is a
// container although its init is not pid 1 there; a pid in another namespace
// than the one its config joins is not this container's and is refused.
TEST(Untrusted, AContainerInAJoinedPidNamespaceIsOneButNotAnyPid)
{
	E2E_REQUIRE_PREREQUISITES();
	Container pod;
	pod.start();
	ASSERT_EQ(pod.ask("a"), "a 1");
	ContainerOptions shared;
	shared.namespace_paths["pid"] = "/proc/" + std::to_string(pod.pid()) + "/ns/pid";
	Container c(shared);
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");

	ErrorPtr err = checkpoint(c, c.dir() / "images",
				  [](ccr_options *o) { expect_ok(ccr_options_set_leave_running(o, 1)); });
	EXPECT_FALSE(err) << describe(err);
	EXPECT_EQ(c.ask("b"), "b 2");

	Container other;
	other.start();
	ASSERT_EQ(other.ask("a"), "a 1");
	ContainerPtr h = c.handle();
	expect_ok(ccr_container_set_pid(h.get(), other.pid()));
	OptionsPtr o = make_options(c.dir() / "images-other");
	err.reset(ccr_checkpoint(nullptr, h.get(), o.get()));
	ASSERT_TRUE(err) << "checkpointed a pid outside the pid namespace the config joins";
	EXPECT_EQ(code_of(err), CCR_ERR_INVALID_ARGUMENT) << describe(err);
	EXPECT_NE(std::string(ccr_error_message(err.get())).find("not in the pid namespace its config joins"),
		  std::string::npos)
		<< describe(err);
	EXPECT_EQ(other.ask("b"), "b 2");
	EXPECT_EQ(pod.ask("b"), "b 2");
}

#ifdef CCR_CLI_PATH
// ccr run from inside the container's own freezer cgroup: refused at once
// (today's CRIU froze the caller and the call never returned, time limit or
// not). The test gives it 60 seconds, then thaws and kills what hangs.
TEST(Untrusted, CheckpointRefusesACallerInTheTargetsFreezer)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const std::string freezer = cgroup_dir("freezer", proc_cgroups(c.pid())[cgroup_v2_host() ? "" : "freezer"]);
	const std::string out = c.dir() / "cli.out";
	int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	pid_t cli = ::fork();
	if (cli == 0) {
		::dup2(fd, 1);
		::dup2(fd, 2);
		execl("/bin/sh", "sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", freezer.c_str(),
		      CCR_CLI_PATH, "checkpoint", "--timeout-ms", "5000", "--leave-running", "--id", c.id().c_str(),
		      "--pid", std::to_string(c.pid()).c_str(), "--bundle", c.bundle().c_str(), "--image-path",
		      (c.dir() / "images").c_str(), nullptr);
		::_exit(127);
	}
	::close(fd);
	int status = -1;
	bool exited = false;
	for (int i = 0; i < 600 && !exited; i++) {
		exited = ::waitpid(cli, &status, WNOHANG) == cli;
		if (!exited)
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
	if (!exited) {
		if (cgroup_v2_host())
			write_file(freezer + "/cgroup.freeze", "0");
		else
			write_file(freezer + "/freezer.state", "THAWED");
		kill_and_reap(cli);
		FAIL() << "ccr checkpoint from inside the container's freezer did not return in 60 s";
	}
	const std::string text = read_file(out);
	ASSERT_TRUE(WIFEXITED(status)) << text;
	EXPECT_EQ(WEXITSTATUS(status), 3) << text;
	EXPECT_NE(text.find("holds the calling process"), std::string::npos) << text;
	EXPECT_EQ(c.ask("b"), "b 2");
}

// Numbers on the command line are whole numbers in range, nothing else:
// "4294971584" is not pid 4288, "-1" is not 49 days.
TEST(Untrusted, TheToolParsesNumbersStrictly)
{
	const std::vector<std::pair<std::string, std::string>> bad = {
		{"--pid", "4294971584"}, {"--pid", "4294967297"},
		{"--pid", "4288xyz"},    {"--pid", "-5"},
		{"--pid", "0"},          {"--pid", ""},
		{"--timeout-ms", "-1"},  {"--timeout-ms", "4294967296"},
		{"--log-level", "9"},    {"--page-server", "host:99999"},
	};
	for (const auto &[option, value] : bad) {
		std::vector<std::string> argv = {CCR_CLI_PATH, "checkpoint",   "--id",         "x",
						 "--bundle",   "/nonexistent", "--image-path", "/nonexistent/img",
						 option,       value};
		if (option != "--pid") {
			argv.push_back("--pid");
			argv.push_back("42");
		}
		CmdResult r = run(argv);
		ASSERT_TRUE(WIFEXITED(r.status));
		EXPECT_EQ(WEXITSTATUS(r.status), 2) << option << " " << value << ": " << r.output;
		EXPECT_NE(r.output.find(option + " takes"), std::string::npos) << r.output;
	}
}
#endif

#ifdef CCR_CLI_PATH
// Special files: `ccr import FIFO DEST` and `--config FIFO` return at once
// with a clear error (they hung for ever). `timeout` kills a hung tool, which
// then fails the test with exit code 124 instead of hanging it.
TEST(Untrusted, TheToolRefusesFifosWithoutHanging)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c; // a real init, so checkpoint gets as far as the config
	c.start();
	TempDir dir;
	const std::string fifo = dir / "fifo";
	ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
	CmdResult im = run({"timeout", "20", CCR_CLI_PATH, "import", fifo, dir / "dest"});
	ASSERT_TRUE(WIFEXITED(im.status));
	EXPECT_EQ(WEXITSTATUS(im.status), 3) << im.output;
	EXPECT_NE(im.output.find("is a fifo, not a regular file"), std::string::npos) << im.output;
	EXPECT_FALSE(path_exists(dir / "dest"));

	for (const char *command : {"checkpoint", "restore"}) {
		std::vector<std::string> argv = {"timeout",  "20", CCR_CLI_PATH,   command,
						 "--id",     "x",  "--bundle",     dir.path(),
						 "--config", fifo, "--image-path", dir / "images"};
		if (std::string(command) == "checkpoint")
			argv.insert(argv.end(), {"--pid", std::to_string(c.pid())});
		CmdResult r = run(argv);
		ASSERT_TRUE(WIFEXITED(r.status));
		EXPECT_NE(WEXITSTATUS(r.status), 124) << command << " hung on a fifo config: " << r.output;
		EXPECT_NE(r.output.find("is a fifo, not a regular file"), std::string::npos)
			<< command << ": " << r.output;
	}
	EXPECT_EQ(c.ask("a"), "a 1");
}
#endif

// CRIU's own files in the images directory: a restore.log symlink would make
// CRIU overwrite its target, a `parent` leading outside would make it read
// images from anywhere. Both are refused before CRIU starts; with them gone
// the same images restore.
TEST(Untrusted, CriusFilesAreCheckedBeforeARestore)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	std::string images = c.dir() / "images";
	ASSERT_FALSE(checkpoint(c, images));
	ASSERT_TRUE(wait_gone(c.pid()));
	c.delete_runc_container();

	const std::string victim = c.dir() / "victim";
	write_file(victim, "precious\n");
	ASSERT_EQ(::symlink(victim.c_str(), (images + "/restore.log").c_str()), 0);
	ErrorPtr err = restore(c, images);
	EXPECT_EQ(code_of(err), CCR_ERR_UNSAFE_PATH) << describe(err);
	EXPECT_NE(message_of(err).find("restore.log is a symlink"), std::string::npos) << message_of(err);
	EXPECT_EQ(read_file(victim), "precious\n");
	ASSERT_EQ(::unlink((images + "/restore.log").c_str()), 0);

	TempDir elsewhere;
	ASSERT_EQ(::symlink(elsewhere.path().c_str(), (images + "/parent").c_str()), 0);
	err = restore(c, images);
	EXPECT_EQ(code_of(err), CCR_ERR_UNSAFE_PATH) << describe(err);
	EXPECT_NE(message_of(err).find("parent leads to " + elsewhere.path() + ", outside"), std::string::npos)
		<< message_of(err);
	ASSERT_EQ(::unlink((images + "/parent").c_str()), 0);

	const std::string fifo = images + "/stats-restore";
	ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
	err = restore(c, images);
	EXPECT_EQ(code_of(err), CCR_ERR_UNSAFE_PATH) << describe(err);
	EXPECT_NE(message_of(err).find("stats-restore is a fifo"), std::string::npos) << message_of(err);
	ASSERT_EQ(::unlink(fifo.c_str()), 0);

	ASSERT_CCR_OK(restore(c, images).release());
	EXPECT_EQ(c.ask("b"), "b 2");
}

// The same on a checkpoint: a dump.log symlink in the images directory is
// refused and the container runs on, untouched.
TEST(Untrusted, CriusFilesAreCheckedBeforeACheckpoint)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	std::string images = c.dir() / "images";
	ASSERT_EQ(::mkdir(images.c_str(), 0700), 0);
	const std::string victim = c.dir() / "victim";
	write_file(victim, "precious\n");
	ASSERT_EQ(::symlink(victim.c_str(), (images + "/dump.log").c_str()), 0);
	ErrorPtr err = checkpoint(c, images);
	EXPECT_EQ(code_of(err), CCR_ERR_UNSAFE_PATH) << describe(err);
	EXPECT_NE(message_of(err).find("dump.log is a symlink"), std::string::npos) << message_of(err);
	EXPECT_EQ(read_file(victim), "precious\n");
	EXPECT_EQ(c.ask("b"), "b 2");
}

// Images whose processes sat in cgroups below the container's (here a
// child of the init, in <cgroup>/inner/most): CRIU recreates those on
// restore, below the container's cgroup. A restore that dies afterwards must
// remove them too, children first (rmdir of the container's cgroup met
// EBUSY and left the tree).
TEST(Untrusted, AFailedRestoreRemovesNestedCgroups)
{
	E2E_REQUIRE_PREREQUISITES();
	// One hierarchy to watch: v1's pids, or the v2 one.
	const std::string root = cgroup_dir("pids", "");
	const std::string key = cgroup_v2_host() ? "" : "pids";
	ASSERT_TRUE(path_exists(root + "/cgroup.procs")) << "no cgroup hierarchy at " << root;
	ContainerOptions opts;
	opts.args = {"sh", "-c", "sleep 100000 & i=0; while read line; do i=$((i+1)); echo \"$line $i\"; done"};
	Container c(opts);
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	pid_t sleeper = only_child_of(c.pid());
	ASSERT_GT(sleeper, 0);
	const std::string own = root + proc_cgroups(c.pid())[key];
	ASSERT_EQ(own, root + c.cgroup_path());
	const std::string nested = own + "/inner/most";
	ASSERT_EQ(::mkdir((own + "/inner").c_str(), 0755), 0);
	ASSERT_EQ(::mkdir(nested.c_str(), 0755), 0);
	write_file(nested + "/cgroup.procs", std::to_string(sleeper));
	ASSERT_EQ(proc_cgroups(sleeper)[key], c.cgroup_path() + "/inner/most");

	std::string images = c.dir() / "images";
	ASSERT_FALSE(checkpoint(c, images));
	ASSERT_TRUE(wait_gone(c.pid()));
	for (int i = 0; i < 200 && ::rmdir(nested.c_str()) != 0; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	ASSERT_EQ(::rmdir((own + "/inner").c_str()), 0);
	c.delete_runc_container();
	ASSERT_FALSE(path_exists(own));

	// CRIU killed once the tree (and its cgroups) exist: it cleans nothing
	// up itself, so what is left is ccr's to remove.
	bool nested_made = false;
	NotifyRecorder rec;
	rec.on_script = [&](const std::string &script) {
		if (script == "post-restore") {
			nested_made = path_exists(nested);
			for (pid_t p : children_named("criu"))
				::kill(p, SIGKILL);
		}
		return 0;
	};
	ErrorPtr err = restore(c, images, nullptr, [&](ccr_options *o) { expect_ok(rec.install(o)); });
	ASSERT_EQ(code_of(err), CCR_ERR_CRIU_DIED) << describe(err);
	ASSERT_TRUE(nested_made) << "CRIU did not recreate " << nested << ": the test proves nothing";
	EXPECT_FALSE(path_exists(nested)) << "CRIU's nested cgroup was left behind";
	EXPECT_FALSE(path_exists(own + "/inner")) << "CRIU's nested cgroup was left behind";
	EXPECT_FALSE(path_exists(own)) << "the container's cgroup was left behind";
}

namespace {

// Lines of /proc/self/mountinfo naming `part`.
size_t mounts_naming(const std::string &part)
{
	size_t n = 0;
	std::string all = read_file("/proc/self/mountinfo");
	size_t pos = 0;
	while (pos < all.size()) {
		size_t end = all.find('\n', pos);
		if (end == std::string::npos)
			end = all.size();
		if (all.substr(pos, end - pos).find(part) != std::string::npos)
			n++;
		pos = end + 1;
	}
	return n;
}

} // namespace

// The reproduction: a plain host process, checkpointed as a process
// tree (no freezer), restored (directly, and exported then imported) "into"
// the busybox bundle, whose config asks
// for new pid, network, ipc, uts and mount namespaces. CRIU would put it
// back in the restoring host's namespaces with the host's / as its root.
// The images say the task lived in the dumping CRIU's own namespaces:
// refused before CRIU starts, naming the image and the field, with nothing
// created (no process, no cgroup directory, no mount).
TEST(Untrusted, ARestoreOfAHostProcessIntoNewNamespacesIsRefused)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	// Only stdio (/dev/null): a descriptor the test inherited (tests/cgroup2/
	// view.sh leaves one on a mount of its private namespace) would make
	// CRIU fail the dump.
	// Its own session too: CRIU refuses a task whose session leader lies
	// outside its pid namespace, which is the case when the test itself runs
	// in a pid namespace entered without a new session (CI does).
	pid_t sleeper = ::fork();
	if (sleeper == 0) {
		::setsid();
		int null = ::open("/dev/null", O_RDWR);
		::dup2(null, 0);
		::dup2(null, 1);
		::dup2(null, 2);
		::close_range(3, ~0u, 0);
		::execlp("sleep", "sleep", "1000", nullptr);
		::_exit(127);
	}
	ASSERT_GT(sleeper, 0);
	ErrorPtr err = checkpoint_pid(
		c, sleeper,
		[](ccr_options *o) {
			expect_ok(ccr_options_set_freeze_cgroup(o, ""));
			expect_ok(ccr_options_set_shell_job(o, 1));
		},
		true);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(sleeper)) << "CRIU dumped the host process: it is gone";
	kill_and_reap(sleeper);
	const std::string images = c.dir() / "images";
	ASSERT_TRUE(path_exists(images + "/ids-" + std::to_string(sleeper) + ".img"));

	// The same images as they come out of an exported and imported archive,
	// the path: import accepts them (it checks the unpacking only).
	const std::string archive = c.dir() / "host-process.tar";
	const std::string imported = c.dir() / "imported";
	{
		ContainerPtr h = c.handle();
		OptionsPtr o = make_options(images);
		ASSERT_CCR_OK(ccr_archive_export(archive.c_str(), h.get(), o.get(), nullptr));
	}
	ASSERT_CCR_OK(ccr_archive_import(archive.c_str(), imported.c_str()));

	for (const std::string &from : {images, imported + "/checkpoint"}) {
		SCOPED_TRACE(from);
		const std::vector<pid_t> sleeps_before = children_named("sleep");
		const size_t mounts_before = mounts_naming(c.id());
		err = restore(c, from);
		ASSERT_TRUE(err) << "a host process was restored into the container's namespaces";
		EXPECT_EQ(code_of(err), CCR_ERR_IMAGE) << describe(err);
		EXPECT_NE(
			message_of(err).find("ids-" + std::to_string(sleeper) +
					     ".img: ids.pid_ns_id is the dumping host's pid namespace, but the config "
					     "asks for a new one"),
			std::string::npos)
			<< message_of(err);
		EXPECT_EQ(children_named("sleep"), sleeps_before) << "a process was restored";
		EXPECT_EQ(children_named("criu"), std::vector<pid_t>{}) << "CRIU was started";
		for (const char *controller : {"pids", "memory", "freezer", "cpu,cpuacct"})
			EXPECT_FALSE(path_exists(cgroup_dir(controller, c.cgroup_path())))
				<< controller << " cgroup " << c.cgroup_path() << " was created";
		EXPECT_EQ(mounts_naming(c.id()), mounts_before) << "a mount was left";
	}
}
