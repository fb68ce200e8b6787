// SPDX-License-Identifier: Apache-2.0
// cgroup v2 end to end: the v2 freezer through a checkpoint whose CRIU is
// killed, and the host's cgroup2 mount options through everything ccr does
// (where plain runc loses them, CRIU issue 3029).
//
// The freezer test needs a v2 host. On this hybrid machine it runs itself
// again inside tests/cgroup2/view.sh (a private mount namespace where
// /sys/fs/cgroup is the host's cgroup2 hierarchy), so it runs in both the v1
// and the v2 pass and is never skipped for the layout.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <functional>
#include <map>
#include <thread>
#include <set>
#include <sstream>

#include "harness.hpp"

namespace {

using namespace e2e;

// ---- the v2 view --------------------------------------------------------------------------

// Runs the current test again in the v2 view of this host; true when it
// passed there (its output goes into the failure message otherwise).
::testing::AssertionResult passes_in_v2_view()
{
	const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
	char self[PATH_MAX];
	ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return ::testing::AssertionFailure() << "cannot read /proc/self/exe";
	self[n] = '\0';
	CmdResult r = run({"bash", std::string(CCR_SOURCE_DIR) + "/tests/cgroup2/view.sh", self,
			   std::string("--gtest_filter=") + info->test_suite_name() + "." + info->name()});
	if (r.ok() && r.output.find("[  PASSED  ] 1 test.") != std::string::npos)
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure() << "in tests/cgroup2/view.sh:\n" << r.output;
}

// ---- the cgroup2 superblock's options -----------------------------------------------------

struct Cgroup2Mount {
	std::string mountpoint;
	std::set<std::string> options; // super options other than rw/ro
};

// The first cgroup2 mount of this mount namespace and its superblock options.
Cgroup2Mount cgroup2_mount()
{
	std::istringstream in(read_file("/proc/self/mountinfo"));
	for (std::string line; std::getline(in, line);) {
		std::istringstream f(line);
		std::string id, parent, dev, root, mountpoint, tok;
		f >> id >> parent >> dev >> root >> mountpoint;
		while (f >> tok && tok != "-") {
		}
		std::string fstype, source, super;
		f >> fstype >> source >> super;
		if (fstype != "cgroup2")
			continue;
		Cgroup2Mount m{mountpoint, {}};
		std::istringstream opts(super);
		for (std::string o; std::getline(opts, o, ',');)
			if (o != "rw" && o != "ro")
				m.options.insert(o);
		return m;
	}
	return {};
}

// Reconfigures the superblock (not the mount's own flags) with exactly
// `options`, as `mount -o remount` would without touching nosuid & co.
void set_cgroup2_options(const std::string &mountpoint, const std::set<std::string> &options)
{
	int fs = ::fspick(AT_FDCWD, mountpoint.c_str(), FSPICK_CLOEXEC);
	if (fs < 0)
		throw std::runtime_error("fspick " + mountpoint + ": " + strerror(errno));
	for (const auto &o : options)
		if (::fsconfig(fs, FSCONFIG_SET_FLAG, o.c_str(), nullptr, 0) != 0) {
			::close(fs);
			throw std::runtime_error("fsconfig " + o + ": " + strerror(errno));
		}
	int rc = ::fsconfig(fs, FSCONFIG_CMD_RECONFIGURE, nullptr, nullptr, 0);
	int err = errno;
	::close(fs);
	if (rc != 0)
		throw std::runtime_error("reconfigure " + mountpoint + ": " + strerror(err));
}

std::string joined(const std::set<std::string> &s)
{
	return join(std::vector<std::string>(s.begin(), s.end()));
}

// Holds the machine-wide lock the options test takes (two test runs on one
// machine must not change the one superblock under each other) and puts the
// host's options back when the test ends, whatever happened.
class HostOptionsScope {
public:
	explicit HostOptionsScope(Cgroup2Mount original) : original_(std::move(original))
	{
		lock_ = ::open("/run/lock/ccr-e2e-cgroup2-options.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lock_ < 0 || ::flock(lock_, LOCK_EX) != 0)
			throw std::runtime_error(std::string("lock for the cgroup2 options: ") + strerror(errno));
	}
	~HostOptionsScope()
	{
		try {
			set_cgroup2_options(original_.mountpoint, original_.options);
		} catch (const std::exception &e) {
			ADD_FAILURE() << "could not put the host's cgroup2 options back (" << joined(original_.options)
				      << "): " << e.what();
		}
		::close(lock_);
	}

private:
	Cgroup2Mount original_;
	int lock_ = -1;
};

// ---- tests ----------------------------------------------------------------------------------

// On v2 CRIU freezes with cgroup.freeze (its log says which freezer it
// detected), seizes the tasks with ptrace and thaws the cgroup again before
// it dumps, so no notification sees the cgroup frozen. What a caller can
// observe is the contract: a running container reads cgroup.freeze 0 and
// "frozen 0" in cgroup.events after a checkpoint whose CRIU was killed, and
// a paused one (runc pause) reads 1 and "frozen 1" after a killed and after
// a leave-running checkpoint, until runc resume.
TEST(CgroupV2, FreezerStatesThroughCheckpointsWhoseCriuIsKilled)
{
	require_prerequisites();
	if (!cgroup_v2_host()) {
		EXPECT_TRUE(passes_in_v2_view());
		return;
	}
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	V2FreezerState st = c.v2_freezer();
	EXPECT_FALSE(st.freeze);
	EXPECT_FALSE(st.frozen);

	NotifyRecorder killer;
	killer.on_script = kill_criu_at("network-lock");
	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images, [&](ccr_options *o) { expect_ok(killer.install(o)); });
	ASSERT_TRUE(err) << "CRIU was killed but the checkpoint succeeded";
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_CRIU_DIED) << describe(err);
	EXPECT_NE(read_file(images + "/dump.log").find("Detected cgroup V2 freezer"), std::string::npos)
		<< "CRIU did not use the v2 freezer";
	st = c.v2_freezer();
	EXPECT_FALSE(st.freeze) << "cgroup.freeze stayed 1 after CRIU was killed";
	EXPECT_FALSE(st.frozen) << "cgroup.events still says frozen after CRIU was killed";
	EXPECT_EQ(c.ask("b"), "b 2");

	CmdResult r = run({"runc", "--root", c.runc_root(), "pause", c.id()});
	ASSERT_TRUE(r.ok()) << r.output;
	st = c.v2_freezer();
	ASSERT_TRUE(st.freeze && st.frozen) << "runc pause did not freeze the v2 cgroup";
	err = checkpoint(c, c.dir() / "images-paused", [&](ccr_options *o) { expect_ok(killer.install(o)); });
	ASSERT_TRUE(err);
	st = c.v2_freezer();
	EXPECT_TRUE(st.freeze) << "a killed checkpoint thawed a paused container (cgroup.freeze)";
	EXPECT_TRUE(st.frozen) << "a killed checkpoint thawed a paused container (cgroup.events)";
	ASSERT_FALSE(checkpoint(c, c.dir() / "images-paused-2",
				[](ccr_options *o) { expect_ok(ccr_options_set_leave_running(o, 1)); }));
	st = c.v2_freezer();
	EXPECT_TRUE(st.freeze && st.frozen) << "a leave-running checkpoint thawed a paused container";
	r = run({"runc", "--root", c.runc_root(), "resume", c.id()});
	ASSERT_TRUE(r.ok()) << r.output;
	st = c.v2_freezer();
	EXPECT_FALSE(st.freeze || st.frozen);
	EXPECT_EQ(c.ask("c"), "c 3");
}

// True when `pid` descends from this process, or was orphaned (its parent
// is init: the remains of a CRIU that was killed, here or elsewhere; another
// run's CRIU at work has its runc or its test process as parent).
bool ours(pid_t pid)
{
	for (int hops = 0; pid > 1 && hops < 64; hops++) {
		if (pid == ::getpid())
			return true;
		std::string stat;
		try {
			stat = read_file("/proc/" + std::to_string(pid) + "/stat");
		} catch (...) {
			return false;
		}
		size_t close = stat.rfind(')');
		if (close == std::string::npos)
			return false;
		std::istringstream rest(stat.substr(close + 2));
		char state;
		rest >> state >> pid;
		if (hops == 0 && pid == 1)
			return true;
	}
	return false;
}

// Watches, while it lives, for CRIU processes that do not descend from this
// process: another run on this machine whose CRIU (runc's, or a ccr's with
// its guard) may change the one cgroup2 superblock in the middle of a step.
// A foreign CRIU counts when it starts during the watch, or when one that
// was already there uses CPU meanwhile: one an interrupted earlier run left
// stopped or idle touches no mount and must not fail every try.
class ForeignCriuWatch {
public:
	ForeignCriuWatch() : before_(cpu_times()), thread_([this] { watch(); }) {}
	~ForeignCriuWatch() { stop(); }
	// Stops watching; true when a foreign CRIU ran meanwhile.
	bool stop()
	{
		if (thread_.joinable()) {
			done_ = true;
			thread_.join();
		}
		return seen_;
	}

private:
	void watch()
	{
		while (!done_) {
			for (const auto &[p, now] : cpu_times()) {
				auto was = before_.find(p);
				bool idle_leftover = was != before_.end() && was->second.start == now.start &&
						     was->second.ticks == now.ticks;
				if (!idle_leftover && !ours(p))
					seen_ = true;
			}
			std::this_thread::sleep_for(2ms);
		}
	}
	struct CpuTime {
		unsigned long long start = 0, ticks = 0;
	};
	// Each CRIU process's start time and CPU ticks (user + system).
	static std::map<pid_t, CpuTime> cpu_times()
	{
		std::map<pid_t, CpuTime> out;
		for (pid_t p : criu_processes()) {
			try {
				std::string stat = read_file("/proc/" + std::to_string(p) + "/stat");
				std::istringstream rest(stat.substr(stat.rfind(')') + 2));
				std::string field;
				CpuTime t;
				// Fields 3 to 22 of proc(5): utime is 14, stime 15, starttime 22.
				for (int n = 3; n <= 22 && rest >> field; n++) {
					if (n == 14 || n == 15)
						t.ticks += std::stoull(field);
					if (n == 22)
						t.start = std::stoull(field);
				}
				out[p] = t;
			} catch (...) {
			}
		}
		return out;
	}
	static std::vector<pid_t> criu_processes()
	{
		std::vector<pid_t> out;
		DIR *d = ::opendir("/proc");
		if (!d)
			return out;
		while (dirent *e = ::readdir(d)) {
			pid_t p = std::atoi(e->d_name);
			if (p <= 0)
				continue;
			try {
				if (read_file("/proc/" + std::to_string(p) + "/comm") == "criu\n")
					out.push_back(p);
			} catch (...) {
			}
		}
		::closedir(d);
		return out;
	}
	const std::map<pid_t, CpuTime> before_;
	std::atomic<bool> done_{false}, seen_{false};
	std::thread thread_;
};

// The host's cgroup2 options (here memory_recursiveprot, harmless on this
// machine whose memory controller is bound to v1) survive a checkpoint, a
// restore, a checkpoint whose CRIU is killed and a restore whose CRIU is
// killed through ccr; a plain `runc checkpoint` of the same container
// strips them. Runs on whichever cgroup2 mount this pass has: the hybrid
// host's /sys/fs/cgroup/unified, or /sys/fs/cgroup in the v2 view.
//
// The superblock is the whole host's: a CRIU of another test run on this
// machine may change it during a step. Such a step is tried again (each try
// with fresh images and containers), and only a step no foreign CRIU
// overlapped counts.
TEST(CgroupV2, HostMountOptionsStayAsTheyWereThroughCcrNotThroughRunc)
{
	require_prerequisites();
	Cgroup2Mount original = cgroup2_mount();
	ASSERT_FALSE(original.mountpoint.empty()) << "no cgroup2 mount";
	HostOptionsScope scope(original);
	std::set<std::string> wanted = original.options;
	wanted.insert("memory_recursiveprot");
	// Runs `op` (which returns false on a failure it reported) with the
	// options set just before; `keeps`: whether they must be as set after.
	auto step = [&](const std::string &what, bool keeps, const std::function<bool(int)> &op) {
		for (int attempt = 0; attempt < 20; attempt++) {
			if (attempt > 0)
				std::this_thread::sleep_for(250ms); // let the other run's CRIU finish
			set_cgroup2_options(original.mountpoint, wanted);
			ASSERT_EQ(joined(cgroup2_mount().options), joined(wanted));
			ForeignCriuWatch watch;
			if (!op(attempt))
				return;
			bool kept = cgroup2_mount().options == wanted;
			if (watch.stop())
				continue; // another run's CRIU overlapped: its doing, maybe
			EXPECT_EQ(kept, keeps)
				<< what << (keeps ? " changed" : " kept") << " the host's cgroup2 options";
			return;
		}
		ADD_FAILURE() << "other runs' CRIU processes overlapped every try of: " << what;
	};

	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const std::string images = c.dir() / "images";
	int answers = 1;
	auto attempt_dir = [&](const std::string &name, int attempt) {
		return c.dir() / (name + "-" + std::to_string(attempt));
	};

	step("a checkpoint", true, [&](int attempt) {
		std::string dir = attempt == 0 ? images : attempt_dir("images", attempt);
		ErrorPtr err =
			checkpoint(c, dir, [](ccr_options *o) { expect_ok(ccr_options_set_leave_running(o, 1)); });
		EXPECT_FALSE(err) << describe(err);
		if (!err && dir != images)
			run({"cp", "-a", dir + "/.", images});
		return !err;
	});
	// A caller's cgroup yard is a restore option: a checkpoint given one
	// still hands CRIU ccr's yard rather than none, so CRIU mounts no
	// cgroup2 of its own and ccr has nothing to put back (no warning).
	step("a checkpoint whose options name a (restore) yard", true, [&](int attempt) {
		ContainerPtr h = c.handle();
		OptionsPtr o = make_options(attempt_dir("images-yard", attempt));
		expect_ok(ccr_options_set_leave_running(o.get(), 1));
		expect_ok(ccr_options_set_cgroup_yard(o.get(), "/nonexistent/restore-yard"));
		ccr_result *raw = nullptr;
		ErrorPtr err(ccr_checkpoint(&raw, h.get(), o.get()));
		ResultPtr r(raw);
		EXPECT_FALSE(err) << describe(err);
		if (r)
			for (size_t i = 0; i < ccr_result_warning_count(r.get()); i++)
				ADD_FAILURE() << "warning: " << ccr_result_warning(r.get(), i);
		return !err;
	});
	step("a restore", true, [&](int) {
		Container c2;
		ErrorPtr err = restore(c2, images);
		EXPECT_FALSE(err) << describe(err);
		EXPECT_EQ(c2.ask("b"), "b 2");
		return !err;
	});
	step("a checkpoint whose CRIU was killed", true, [&](int attempt) {
		NotifyRecorder killer;
		killer.on_script = kill_criu_at("network-lock");
		ErrorPtr err = checkpoint(c, attempt_dir("images-killed", attempt),
					  [&](ccr_options *o) { expect_ok(killer.install(o)); });
		EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_CRIU_DIED) << describe(err);
		answers++;
		EXPECT_EQ(c.ask("b"), "b " + std::to_string(answers));
		return bool(err);
	});
	step("a restore whose CRIU was killed", true, [&](int) {
		Container c3;
		NotifyRecorder killer;
		killer.on_script = kill_criu_at("setup-namespaces");
		ErrorPtr err = restore(c3, images, nullptr, [&](ccr_options *o) { expect_ok(killer.install(o)); });
		EXPECT_TRUE(err) << "the restore survived its CRIU";
		return bool(err);
	});
	// The control: runc (CRIU without a yard) strips them.
	step("runc checkpoint", false, [&](int attempt) {
		CmdResult r = run({"runc", "--root", c.runc_root(), "checkpoint", "--leave-running", "--image-path",
				   attempt_dir("images-runc", attempt), c.id()});
		EXPECT_TRUE(r.ok()) << r.output;
		return r.ok();
	});
	answers++;
	EXPECT_EQ(c.ask("c"), "c " + std::to_string(answers));
}

} // namespace
