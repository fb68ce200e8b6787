// SPDX-License-Identifier: Apache-2.0
// End-to-end checkpoint/restore of runc containers through libccr's C API:
// real runc, real CRIU, a busybox rootfs built per container.
#include <algorithm>
#include <csignal>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "ccr.h"

#include "harness.hpp"

using namespace e2e;

namespace {

class CheckpointRestore : public ::testing::Test {
protected:
	void SetUp() override { require_prerequisites(); }
};

// The cgroup of `pid` in the v1 hierarchy whose controller list contains
// `controller` ("freezer"), from /proc/<pid>/cgroup. On a v2 host every
// controller lives in the one v2 hierarchy: its "0::" line answers. (A v2
// view of a hybrid host still lists the v1 lines, which nobody manages
// there.)
std::string cgroup_of(pid_t pid, const std::string &controller)
{
	if (cgroup_v2_host())
		return proc_cgroups(pid)[""];
	std::string text;
	try {
		text = read_file("/proc/" + std::to_string(pid) + "/cgroup");
	} catch (...) {
		return "";
	}
	size_t pos = 0;
	while (pos < text.size()) {
		size_t nl = text.find('\n', pos);
		std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
		pos = nl == std::string::npos ? text.size() : nl + 1;
		auto c1 = line.find(':');
		auto c2 = line.find(':', c1 + 1);
		if (c1 == std::string::npos || c2 == std::string::npos)
			continue;
		std::string ctrls = "," + line.substr(c1 + 1, c2 - c1 - 1) + ",";
		if (ctrls.find("," + controller + ",") != std::string::npos)
			return line.substr(c2 + 1);
	}
	return "";
}

} // namespace

// 1. A container with pipe stdio survives two checkpoint/restore rounds and
//    its shell's counter carries on.
TEST_F(CheckpointRestore, PipeStdioTwice)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	pid_t pid1 = c.pid();
	ASSERT_TRUE(alive(pid1));

	const std::string img1 = c.dir() / "images-1";
	ErrorPtr err = checkpoint(c, img1);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(pid1)) << "runc's init " << pid1 << " still runs after the checkpoint";
	EXPECT_TRUE(path_exists(img1 + "/descriptors.json"));
	EXPECT_TRUE(path_exists(img1 + "/inventory.img"));

	pid_t pid2 = 0;
	err = restore(c, img1, &pid2);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid2, 0);
	EXPECT_TRUE(alive(pid2));
	EXPECT_EQ(cgroup_of(pid2, "freezer"), c.cgroup_path());
	EXPECT_EQ(c.ask("b"), "b 2");

	const std::string img2 = c.dir() / "images-2";
	err = checkpoint(c, img2); // c.pid() is the restored init now
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(pid2)) << "restored init " << pid2 << " still runs after the checkpoint";

	pid_t pid3 = 0;
	err = restore(c, img2, &pid3);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid3, 0);
	EXPECT_TRUE(alive(pid3));
	EXPECT_EQ(cgroup_of(pid3, "freezer"), c.cgroup_path());
	EXPECT_EQ(c.ask("c"), "c 3");
	EXPECT_EQ(c.ask("d"), "d 4");
}

// 2. leave_running keeps the original going, and the images restore as a
//    second, independent container under another id and cgroup.
TEST_F(CheckpointRestore, LeaveRunningAndRestoreAsSecondContainer)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");

	NotifyRecorder rec;
	const std::string img = c.dir() / "images";
	ErrorPtr err = checkpoint(c, img, [&](ccr_options *o) {
		ASSERT_TRUE(ccr_ok(ccr_options_set_leave_running(o, 1)));
		ASSERT_TRUE(ccr_ok(rec.install(o)));
	});
	ASSERT_FALSE(err) << describe(err);
	// Observed with CRIU 4.1.1 (swrk): query-ext-files is sent in RPC mode
	// only; with leave_running the network is unlocked after post-dump.
	EXPECT_EQ(join(rec.scripts), "pre-dump,network-lock,query-ext-files,post-dump,network-unlock");

	EXPECT_TRUE(alive(c.pid()));
	EXPECT_EQ(c.freezer_state(), "THAWED");
	EXPECT_EQ(c.ask("x"), "x 2");

	// Same config, its own id, cgroupsPath /ccr-e2e/<id2> and rootfs (a
	// fresh busybox tree, identical to the first).
	Container c2;
	ASSERT_NE(c2.id(), c.id());
	pid_t pid2 = 0;
	err = restore(c2, img, &pid2);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid2, 0);
	EXPECT_NE(pid2, c.pid());
	EXPECT_EQ(cgroup_of(pid2, "freezer"), c2.cgroup_path());
	EXPECT_EQ(cgroup_of(c.pid(), "freezer"), c.cgroup_path());
	// In the unified tree too (runc put the original in its path there).
	EXPECT_EQ(proc_cgroups(pid2)[""], c2.cgroup_path());
	EXPECT_EQ(proc_cgroups(c.pid())[""], c.cgroup_path());

	// Both carry on from the checkpoint's counter, independently.
	EXPECT_EQ(c2.ask("y"), "y 2");
	EXPECT_EQ(c.ask("z"), "z 3");
	EXPECT_EQ(c2.ask("w"), "w 3");
	EXPECT_EQ(c.ask("v"), "v 4");
}

// 3. A host directory bind-mounted rw at /data is mounted and writable in the
//    restored container.
TEST_F(CheckpointRestore, BindMountSurvivesRestore)
{
	TempDir host("ccr-e2e-data");
	const std::string log = host / "log";
	ContainerOptions opts;
	opts.args = logging_workload("/data/log");
	opts.binds.push_back({host.path(), "/data"});
	Container c(opts);
	c.start();
	ASSERT_EQ(c.ask("one"), "one 1");
	EXPECT_EQ(read_file(log), "one\n");

	const std::string img = c.dir() / "images";
	ErrorPtr err = checkpoint(c, img);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(c.pid()));

	pid_t pid = 0;
	err = restore(c, img, &pid);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid, 0);

	std::string mountinfo = read_file("/proc/" + std::to_string(pid) + "/mountinfo");
	EXPECT_NE(mountinfo.find(" /data "), std::string::npos) << mountinfo;

	EXPECT_EQ(c.ask("two"), "two 2");
	EXPECT_EQ(read_file(log), "one\ntwo\n");
	// The host side still sees the container's writes and vice versa.
	EXPECT_EQ(c.ask("three"), "three 3");
	EXPECT_EQ(read_file(log), "one\ntwo\nthree\n");
}

// 4a. A pid that does not exist.
TEST_F(CheckpointRestore, CheckpointOfMissingPidFails)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");

	pid_t ghost = unused_pid();
	ContainerPtr h = c.handle();
	ASSERT_CCR_OK(ccr_container_set_pid(h.get(), ghost));
	OptionsPtr o = make_options(c.dir() / "images");
	ErrorPtr err(ccr_checkpoint(nullptr, h.get(), o.get()));
	ASSERT_TRUE(err) << "checkpoint of pid " << ghost << " succeeded";
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_NOT_FOUND) << describe(err);
	EXPECT_NE(std::string(ccr_error_message(err.get())).find(std::to_string(ghost)), std::string::npos)
		<< describe(err);

	EXPECT_TRUE(alive(c.pid()));
	EXPECT_EQ(c.ask("b"), "b 2");
}

// 4b. An images directory that cannot be created (its parent is a file).
TEST_F(CheckpointRestore, UnwritableImagesDirFails)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");

	const std::string file = c.dir() / "not-a-dir";
	write_file(file, "x\n");
	const std::string img = file + "/images";
	ErrorPtr err = checkpoint(c, img);
	ASSERT_TRUE(err) << "checkpoint into " << img << " succeeded";
	ccr_error_code code = ccr_error_code_of(err.get());
	EXPECT_TRUE(code == CCR_ERR_SYSTEM || code == CCR_ERR_NOT_FOUND || code == CCR_ERR_UNSAFE_PATH)
		<< describe(err);
	EXPECT_NE(std::string(ccr_error_message(err.get())).find(file), std::string::npos) << describe(err);

	EXPECT_TRUE(alive(c.pid()));
	EXPECT_EQ(c.freezer_state(), "THAWED");
	EXPECT_EQ(c.ask("b"), "b 2");
}

// 4c. A CRIU binary that does not exist.
TEST_F(CheckpointRestore, MissingCriuBinaryFails)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");

	const std::string bogus = "/nonexistent/criu";
	ErrorPtr err = checkpoint(c, c.dir() / "images", [&](ccr_options *o) {
		ASSERT_TRUE(ccr_ok(ccr_options_set_criu_path(o, bogus.c_str())));
	});
	ASSERT_TRUE(err) << "checkpoint with criu " << bogus << " succeeded";
	ccr_error_code code = ccr_error_code_of(err.get());
	EXPECT_TRUE(code == CCR_ERR_CRIU_START || code == CCR_ERR_NOT_FOUND) << describe(err);
	EXPECT_NE(std::string(ccr_error_message(err.get())).find(bogus), std::string::npos) << describe(err);

	EXPECT_TRUE(alive(c.pid()));
	EXPECT_EQ(c.ask("b"), "b 2");
}

// 4d. CRIU dies in the middle of the dump: the container is thawed and
//     answers again.
TEST_F(CheckpointRestore, CriuKilledDuringDumpLeavesContainerRunning)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");

	NotifyRecorder rec;
	std::vector<pid_t> killed;
	rec.on_script = [&](const std::string &script) {
		// The callback runs on the caller's thread, and CRIU is the
		// caller's child: find it and kill it while it holds the
		// container frozen.
		if (script == "network-lock")
			for (pid_t p : children_named("criu"))
				if (kill(p, SIGKILL) == 0)
					killed.push_back(p);
		return 0;
	};
	ErrorPtr err = checkpoint(c, c.dir() / "images", [&](ccr_options *o) { ASSERT_TRUE(ccr_ok(rec.install(o))); });
	ASSERT_FALSE(killed.empty()) << "no criu child found at network-lock; scripts: " << join(rec.scripts);
	ASSERT_TRUE(err) << "checkpoint succeeded although criu was killed";
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_CRIU_DIED) << describe(err);
	// Nothing after network-lock reached us.
	EXPECT_EQ(rec.scripts.back(), "network-lock") << join(rec.scripts);

	EXPECT_EQ(c.freezer_state(), "THAWED");
	EXPECT_TRUE(alive(c.pid()));
	EXPECT_EQ(c.ask("b"), "b 2");
}

// 5a. Every notify script reaches the callback, in CRIU's order.
TEST_F(CheckpointRestore, NotifyScriptsArriveInOrder)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");

	NotifyRecorder dump;
	const std::string img = c.dir() / "images";
	ErrorPtr err = checkpoint(c, img, [&](ccr_options *o) { ASSERT_TRUE(ccr_ok(dump.install(o))); });
	ASSERT_FALSE(err) << describe(err);
	// Observed with CRIU 4.1.1 (swrk, notify_scripts): query-ext-files comes
	// between network-lock and post-dump (RPC mode only); no network-unlock
	// without leave_running: the network stays locked until the restore.
	EXPECT_EQ(join(dump.scripts), "pre-dump,network-lock,query-ext-files,post-dump");

	NotifyRecorder rst;
	pid_t pid = 0;
	err = restore(c, img, &pid, [&](ccr_options *o) { ASSERT_TRUE(ccr_ok(rst.install(o))); });
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid, 0);
	// Observed with CRIU 4.1.1 (also what `criu restore --action-script`
	// runs): network-unlock comes after post-restore.
	EXPECT_EQ(join(rst.scripts), "pre-restore,setup-namespaces,post-setup-namespaces,post-restore,"
				     "network-unlock,pre-resume,post-resume");
	// setup-namespaces and post-restore carry the restored init's pid.
	for (size_t i = 0; i < rst.scripts.size(); i++) {
		if (rst.scripts[i] == "setup-namespaces" || rst.scripts[i] == "post-restore") {
			EXPECT_EQ(rst.pids[i], pid) << rst.scripts[i];
		}
	}

	EXPECT_EQ(c.ask("b"), "b 2");
}

// 5b. A callback returning non-zero aborts with CCR_ERR_CALLBACK and leaves
//     the container running.
TEST_F(CheckpointRestore, CallbackFailureAbortsCheckpoint)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");

	int n = 1;
	for (const std::string stop_at : {"pre-dump", "post-dump"}) {
		SCOPED_TRACE("aborting at " + stop_at);
		NotifyRecorder rec;
		rec.on_script = [&](const std::string &script) { return script == stop_at ? 1 : 0; };
		ErrorPtr err = checkpoint(c, c.dir() / ("images-" + stop_at),
					  [&](ccr_options *o) { ASSERT_TRUE(ccr_ok(rec.install(o))); });
		ASSERT_TRUE(err) << "checkpoint succeeded although the callback failed";
		EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_CALLBACK) << describe(err);
		ASSERT_FALSE(rec.scripts.empty());
		EXPECT_EQ(rec.scripts.back(), stop_at) << join(rec.scripts);

		EXPECT_TRUE(alive(c.pid()));
		EXPECT_EQ(c.freezer_state(), "THAWED");
		n++;
		EXPECT_EQ(c.ask("q"), "q " + std::to_string(n));
	}
}

// 6. A container the caller paused (runc pause: its freezer cgroup FROZEN)
//    stays paused through a failed checkpoint (its CRIU stopped or killed)
//    and a leave-running one, as runc keeps it. CRIU records "FROZEN" in the cgroup image, but in soft
//    mode it applies no recorded property to cgroups that exist, and ccr
//    makes the container's before CRIU runs: the restored container runs,
//    as runc's does (runc#2560 asks for a paused restore).
TEST_F(CheckpointRestore, PausedContainerStaysPausedAndRestoresRunning)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	CmdResult paused = run({"runc", "--root", c.runc_root(), "pause", c.id()});
	ASSERT_TRUE(paused.ok()) << paused.output;
	ASSERT_EQ(c.freezer_state(), "FROZEN");

	NotifyRecorder failing;
	failing.on_script = [](const std::string &script) { return script == "network-lock" ? 1 : 0; };
	ErrorPtr err = checkpoint(c, c.dir() / "images-failed",
				  [&](ccr_options *o) { ASSERT_TRUE(ccr_ok(failing.install(o))); });
	ASSERT_TRUE(err) << "checkpoint succeeded although the callback failed";
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_CALLBACK) << describe(err);
	EXPECT_EQ(c.freezer_state(), "FROZEN") << "a failed checkpoint thawed a paused container";
	// CRIU thaws the cgroup once it holds the tasks with ptrace: killed
	// there, it leaves a paused container running unless ccr pauses it again.
	NotifyRecorder killer;
	killer.on_script = kill_criu_at("network-lock");
	err = checkpoint(c, c.dir() / "images-killed", [&](ccr_options *o) { ASSERT_TRUE(ccr_ok(killer.install(o))); });
	ASSERT_TRUE(err) << "checkpoint succeeded although CRIU was killed";
	EXPECT_EQ(c.freezer_state(), "FROZEN") << "a checkpoint whose CRIU was killed thawed a paused container";

	const std::string img = c.dir() / "images";
	err = checkpoint(c, img, [](ccr_options *o) { ASSERT_TRUE(ccr_ok(ccr_options_set_leave_running(o, 1))); });
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(alive(c.pid()));
	EXPECT_EQ(c.freezer_state(), "FROZEN") << "a leave-running checkpoint thawed a paused container";

	CmdResult resumed = run({"runc", "--root", c.runc_root(), "resume", c.id()});
	ASSERT_TRUE(resumed.ok()) << resumed.output;
	EXPECT_EQ(c.ask("b"), "b 2");

	Container c2;
	pid_t pid2 = 0;
	err = restore(c2, img, &pid2);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_EQ(c2.freezer_state(), "THAWED");
	EXPECT_EQ(c2.ask("c"), "c 2");
}

// 7. ccr's own log, through ccr_options_set_log(): at DEBUG a checkpoint
//    names its freezer, CRIU's pid and log and every notification; at INFO
//    a restore names CRIU and the restored pid, and nothing of DEBUG's.
TEST_F(CheckpointRestore, LogTellsEachStep)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	using Lines = std::vector<std::pair<ccr_log_level, std::string>>;
	auto collect = [](ccr_log_level level, const char *message, void *payload) {
		static_cast<Lines *>(payload)->emplace_back(level, message);
	};
	auto joined = [](const Lines &lines) {
		std::string all;
		for (const auto &[level, text] : lines)
			all += std::to_string(level) + " " + text + "\n";
		return all;
	};

	Lines dump;
	const std::string img = c.dir() / "images";
	ErrorPtr err = checkpoint(c, img, [&](ccr_options *o) {
		ASSERT_TRUE(ccr_ok(ccr_options_set_log(o, CCR_LOG_DEBUG, collect, &dump, nullptr)));
	});
	ASSERT_FALSE(err) << describe(err);
	const std::string d = joined(dump);
	EXPECT_NE(d.find("3 checkpoint of container " + c.id() + " (pid " + std::to_string(c.pid()) + ") into " + img),
		  std::string::npos)
		<< d;
	const std::string freezer_line =
		cgroup_v2_host() ? "4 freezer: " + cgroup_dir("", c.cgroup_path()) + " (cgroup v2)"
				 : "4 freezer: " + cgroup_dir("freezer", c.cgroup_path()) + " (cgroup v1)";
	EXPECT_NE(d.find(freezer_line), std::string::npos) << d;
	EXPECT_NE(d.find("started (pid "), std::string::npos) << d;
	EXPECT_NE(d.find("log " + img + "/dump.log"), std::string::npos) << d;
	for (const char *script : {"pre-dump", "network-lock", "post-dump"})
		EXPECT_NE(d.find(std::string("4 notification ") + script), std::string::npos) << d;
	EXPECT_NE(d.find("3 criu dump done in "), std::string::npos) << d;
	ASSERT_TRUE(wait_gone(c.pid()));
	c.delete_runc_container();

	Lines rst;
	pid_t pid = 0;
	err = restore(c, img, &pid, [&](ccr_options *o) {
		ASSERT_TRUE(ccr_ok(ccr_options_set_log(o, CCR_LOG_INFO, collect, &rst, nullptr)));
	});
	ASSERT_FALSE(err) << describe(err);
	const std::string r = joined(rst);
	EXPECT_NE(r.find("3 restore of container " + c.id() + " from " + img), std::string::npos) << r;
	EXPECT_NE(r.find("3 restored container " + c.id() + " as pid " + std::to_string(pid)), std::string::npos) << r;
	for (const auto &[level, text] : rst)
		EXPECT_LE(level, CCR_LOG_INFO) << text;
	EXPECT_EQ(c.ask("b"), "b 2");
}

// 7. A process started with `runc exec` is in the container's cgroup but not
//    in its init's tree: CRIU would leave it out without a word. The
//    checkpoint refuses, naming it, and leaves the container running; with
//    the opt-in it goes on, and the restored container lacks it.
TEST_F(CheckpointRestore, ProcessStartedWithRuncExecIsNamedNotSilentlyLost)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const std::string pid_file = c.dir() / "exec.pid";
	// Its stdio to /dev/null: run() reads until every writer is gone.
	CmdResult r =
		run({"sh", "-c", "exec runc --root \"$0\" exec -d --pid-file \"$1\" \"$2\" sleep 1000 >/dev/null 2>&1",
		     c.runc_root(), pid_file, c.id()});
	ASSERT_TRUE(r.ok()) << r.output;
	const pid_t exec_pid = std::stoi(read_file(pid_file));
	// runc 1.5.3 returns before its "runc init" has become the command.
	for (int i = 0; i < 200 && read_file("/proc/" + std::to_string(exec_pid) + "/cmdline").rfind("sleep", 0) != 0;
	     i++)
		std::this_thread::sleep_for(10ms);
	ASSERT_TRUE(alive(exec_pid));

	ErrorPtr err = checkpoint(c, c.dir() / "images-refused");
	ASSERT_TRUE(err) << "the checkpoint went on without the exec'd process";
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_UNSUPPORTED) << describe(err);
	const std::string message = ccr_error_message(err.get());
	EXPECT_NE(message.find(std::to_string(exec_pid) + " (sleep 1000)"), std::string::npos) << message;
	EXPECT_NE(message.find("ccr_options_set_allow_processes_outside_tree"), std::string::npos) << message;
	EXPECT_FALSE(path_exists(c.dir() / "images-refused/inventory.img")) << "CRIU ran";
	EXPECT_TRUE(alive(exec_pid));
	EXPECT_EQ(c.ask("b"), "b 2");

	// Allowed: the checkpoint goes on and its result names what it left out.
	const std::string images = c.dir() / "images";
	OptionsPtr o = make_options(images);
	expect_ok(ccr_options_set_allow_processes_outside_tree(o.get(), 1));
	ContainerPtr h = c.handle();
	ccr_result *raw = nullptr;
	err.reset(ccr_checkpoint(&raw, h.get(), o.get()));
	ResultPtr result(raw);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_EQ(ccr_result_warning_count(result.get()), 1u);
	const std::string warning = ccr_result_warning(result.get(), 0);
	EXPECT_NE(warning.find("process " + std::to_string(exec_pid) + " (sleep 1000) was left out"), std::string::npos)
		<< warning;
	ASSERT_TRUE(wait_gone(c.pid()));
	c.delete_runc_container();
	EXPECT_TRUE(wait_gone(exec_pid)) << "runc delete left the exec'd process";
	pid_t pid2 = 0;
	ASSERT_FALSE(restore(c, images, &pid2));
	EXPECT_EQ(c.ask("c"), "c 3");
	// The restored container has its init's tree and nothing else.
	std::istringstream procs(read_file(cgroup_dir("freezer", c.cgroup_path()) + "/cgroup.procs"));
	for (std::string pid; procs >> pid;) {
		std::string cmdline;
		try {
			cmdline = read_file("/proc/" + pid + "/cmdline");
		} catch (...) {
		}
		EXPECT_EQ(cmdline.find("1000"), std::string::npos) << "pid " << pid << " came back";
	}
}
