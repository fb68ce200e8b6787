// SPDX-License-Identifier: Apache-2.0
// End-to-end test toolkit: prerequisites, a busybox bundle, runc containers
// talking over pipes, and RAII wrappers for the C API's handles.
//
// Everything here drives real processes. Harness failures (runc refusing to
// start, a temp dir that cannot be made) throw std::runtime_error; gtest
// reports an exception escaping a test body as a failure, and the RAII
// objects clean up on the way out.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ccr.h"

namespace e2e {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// Prerequisites
// ---------------------------------------------------------------------------

// What is missing to run the end-to-end tests ("root", "criu >= 4.1 (found
// 3.17)", "runc", "/bin/busybox", "python3"), comma-separated; empty when nothing is.
std::string missing_prerequisites();

// Skips the current test (GTEST_SKIP) when something is missing, or fails it
// (FAIL) when the environment variable CI is "true". Call it from SetUp() or
// through E2E_REQUIRE_PREREQUISITES() at the top of a test body.
void require_prerequisites();

#define E2E_REQUIRE_PREREQUISITES()                                                                                    \
	do {                                                                                                           \
		::e2e::require_prerequisites();                                                                        \
		if (::testing::Test::IsSkipped() || ::testing::Test::HasFatalFailure())                                \
			return;                                                                                        \
	} while (0)

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

// Throws std::runtime_error("<what>: <strerror(errno)>").
[[noreturn]] void throw_errno(const std::string &what);

// Closes every descriptor from `lowfd` up: in a child, before exec.
void close_from(int lowfd);

// A descriptor closed on destruction.
class UniqueFd {
public:
	UniqueFd() = default;
	explicit UniqueFd(int fd) : fd_(fd) {}
	UniqueFd(UniqueFd &&o) noexcept : fd_(o.release()) {}
	UniqueFd &operator=(UniqueFd &&o) noexcept;
	UniqueFd(const UniqueFd &) = delete;
	UniqueFd &operator=(const UniqueFd &) = delete;
	~UniqueFd() { reset(); }
	int get() const { return fd_; }
	int release();
	void reset(int fd = -1);
	explicit operator bool() const { return fd_ >= 0; }

private:
	int fd_ = -1;
};

struct CmdResult {
	int status = -1;    // waitpid status
	std::string output; // stdout and stderr, interleaved
	bool ok() const;    // exited with 0
};

// Runs argv[0] (looked up in PATH) with stdin from /dev/null and no other
// inherited descriptors; collects stdout+stderr.
CmdResult run(const std::vector<std::string> &argv);
// The same, returning only the output.
std::string run_cmd(const std::vector<std::string> &argv);

// The absolute path of `name` in PATH, or "" (a name with a '/' is checked
// as is).
std::string find_in_path(const std::string &name);

// A fresh directory under /tmp (mkdtemp, 0700) removed recursively, without
// crossing mount points, on destruction.
class TempDir {
public:
	explicit TempDir(const std::string &prefix = "ccr-e2e");
	TempDir(TempDir &&o) noexcept : path_(std::exchange(o.path_, std::string())) {}
	TempDir &operator=(TempDir &&) = delete;
	TempDir(const TempDir &) = delete;
	~TempDir();
	const std::string &path() const { return path_; }
	std::string operator/(const std::string &rel) const { return path_ + "/" + rel; }

private:
	std::string path_;
};

std::string read_file(const std::string &path);
void write_file(const std::string &path, const std::string &text);
bool path_exists(const std::string &path);

// True once `pid` is gone (reaped, or a zombie that is not our child).
// Reaps it when it is our child.
bool wait_gone(pid_t pid, std::chrono::milliseconds timeout = 10s);

// Children of this process whose /proc/<pid>/comm is `comm`.
std::vector<pid_t> children_named(const std::string &comm);

// A pid that no process has right now.
pid_t unused_pid();

// True when /sys/fs/cgroup is a cgroup2 mount: a v2-only host, or the
// v2 view tests/cgroup2/view.sh makes of a hybrid one.
bool cgroup_v2_host();
// The directory of cgroup `path` for `controller` ("freezer", "memory"):
// /sys/fs/cgroup/<controller><path> on v1, /sys/fs/cgroup<path> on v2.
std::string cgroup_dir(const std::string &controller, const std::string &path);

// The v2 freezer of a cgroup: cgroup.freeze (asked) and cgroup.events'
// "frozen" (reached).
struct V2FreezerState {
	bool freeze = false;
	bool frozen = false;
};

// /proc/<pid>/cgroup as controller list -> path: "memory" -> "/ccr-e2e/x",
// "cpu,cpuacct" -> ..., "" for the v2 hierarchy. Empty if unreadable.
std::map<std::string, std::string> proc_cgroups(pid_t pid);

// ---------------------------------------------------------------------------
// C API handles
// ---------------------------------------------------------------------------

struct CcrDeleter {
	void operator()(ccr_error *p) const { ccr_error_free(p); }
	void operator()(ccr_container *p) const { ccr_container_free(p); }
	void operator()(ccr_options *p) const { ccr_options_free(p); }
	void operator()(ccr_result *p) const { ccr_result_free(p); }
};
template <class T>
using CcrPtr = std::unique_ptr<T, CcrDeleter>;
using ErrorPtr = CcrPtr<ccr_error>;
using ContainerPtr = CcrPtr<ccr_container>;
using OptionsPtr = CcrPtr<ccr_options>;
using ResultPtr = CcrPtr<ccr_result>;

// Code name, message, errno, CRIU's message and errno, log path and excerpt.
std::string describe(const ccr_error *err);

// Success when `err` is NULL; otherwise a failure describing it. Takes
// ownership of `err` and frees it.
::testing::AssertionResult ccr_ok(ccr_error *err);
// EXPECT-style check of a ccr_error*: prints everything on failure.
void expect_ok(ccr_error *err);

#define EXPECT_CCR_OK(expr) EXPECT_TRUE(::e2e::ccr_ok(expr))
#define ASSERT_CCR_OK(expr) ASSERT_TRUE(::e2e::ccr_ok(expr))

// ---------------------------------------------------------------------------
// Pipes: one stdin/stdout/stderr set
// ---------------------------------------------------------------------------

// Three pipes (O_CLOEXEC). The container side (stdin's read end, stdout's
// and stderr's write ends) goes to runc or to ccr_container_set_stdio(); the
// test side is used to talk.
// Writes `line` and a newline to `fd`, all of it.
bool write_line(int fd, const std::string &line);
// The next line from `fd` (without its "\n" or "\r\n"), buffering what
// follows it in `buf`; nullopt on timeout or EOF.
std::optional<std::string> read_line_from(int fd, std::string &buf, std::chrono::milliseconds timeout);

class Pipes {
public:
	static Pipes make();

	int container_stdin() const { return c_in_.get(); }
	int container_stdout() const { return c_out_.get(); }
	int container_stderr() const { return c_err_.get(); }
	// Closes the container-side ends (once the container holds its copies).
	void close_container_side();

	// Writes `line` and a newline to the container's stdin.
	bool send_line(const std::string &line);
	// The next line (without '\n') from the container's stdout, or nullopt
	// after `timeout` or at EOF.
	std::optional<std::string> read_line(std::chrono::milliseconds timeout = 10s);
	// Whatever the container wrote to stderr so far (non-blocking).
	std::string drain_stderr();
	// Closes the test's end of stdin (the workload sees EOF).
	void close_stdin() { t_in_.reset(); }

private:
	UniqueFd t_in_, t_out_, t_err_; // test side
	UniqueFd c_in_, c_out_, c_err_; // container side
	std::string buf_;
};

// ---------------------------------------------------------------------------
// Bundles and containers
// ---------------------------------------------------------------------------

// Reads each line and answers "<line> <n>", n counting from 1.
std::vector<std::string> default_workload();
// The same, and appends each line to `file` first.
std::vector<std::string> logging_workload(const std::string &file);

// An OCI bind mount entry (rbind,rw unless `options` say otherwise), for
// editing a spec by hand.
nlohmann::json bind_mount(const std::string &host, const std::string &dest,
			  std::vector<std::string> options = {"rbind", "rw"});

// A bind mount of ContainerOptions: host directory, path in the container.
struct BindMount {
	std::string host;
	std::string dest;
};

// What differs between the tests' containers; the rest of the recipe is
// tests/fixture/make_bundle.py's, shared with the bindings' harnesses.
struct ContainerOptions {
	std::string id;                                     // empty: generated
	std::vector<std::string> args = default_workload(); // process.args
	std::vector<BindMount> binds;                       // rbind,rw mounts added
	// process.terminal; start() then hands the pty master to the unix
	// socket `console_socket` (runc's --console-socket), which must listen.
	bool terminal = false;
	std::string console_socket;
	// linux.namespaces entries given by path ("network" -> "/var/run/netns/x").
	std::map<std::string, std::string> namespace_paths;
	// The cgroup the container's goes below (a pod's); empty: "/ccr-e2e".
	std::string cgroup_parent;
};

// tests/fixture/<name> in the source tree.
std::string fixture_script(const std::string &name);

// The cgroup path every test container uses.
std::string cgroup_path_for(const std::string &id);

// A container test fixture. The constructor has tests/fixture/make_bundle.py
// write a bundle (temp dir with config.json and rootfs/); start() runs it
// under runc with fresh pipes.
// A Container that is never started serves as the target of a restore under
// a new id. The destructor kills everything: adopted (restored) pids and
// whatever is left in its cgroups (thawing them first), runc's container,
// the cgroup directories (tests/fixture/clean_cgroups.py), the temp dir.
class Container {
public:
	explicit Container(ContainerOptions opts = {});
	~Container();
	Container(const Container &) = delete;
	Container &operator=(const Container &) = delete;

	// runc --root <runc_root> run -d --pid-file <f> --bundle <bundle> <id>,
	// stdio are pipes. Throws with runc's output on failure.
	void start();

	const std::string &id() const { return id_; }
	pid_t pid() const { return pid_; }
	const std::string &bundle() const { return bundle_; }
	const std::string &rootfs() const { return rootfs_; }
	const std::string &runc_root() const { return runc_root_; }
	std::string cgroup_path() const
	{
		return opts_.cgroup_parent.empty() ? cgroup_path_for(id_) : opts_.cgroup_parent + "/" + id_;
	}
	// The fixture's temp dir (images dirs, host files, ...).
	const TempDir &dir() const { return dir_; }
	// The state of the container's freezer in v1's words: THAWED, FREEZING
	// or FROZEN (on v2 from cgroup.freeze and cgroup.events).
	std::string freezer_state() const;
	// v2 only: cgroup.freeze and cgroup.events of the container's cgroup.
	V2FreezerState v2_freezer() const;

	// The pipes talking to the current process (runc's, or a restore's).
	Pipes &io() { return io_; }
	bool send_line(const std::string &line) { return io_.send_line(line); }
	std::optional<std::string> read_line(std::chrono::milliseconds t = 10s) { return io_.read_line(t); }
	// Sends `line` and returns the answer ("" on timeout/EOF).
	std::string ask(const std::string &line, std::chrono::milliseconds t = 10s);

	// A restore's pipes replace the current ones; call after the restore
	// (closes their container side).
	void use_pipes(Pipes &&p);
	// A restored init (our child): SIGKILLed and reaped on destruction.
	// Also becomes pid().
	void adopt_pid(pid_t pid);

	// A ccr_container for this bundle: id, bundle, and pid() when non-zero.
	ContainerPtr handle() const;

	// Another cgroup path (a restore into a different cgroup) whose tasks
	// and directories the destructor removes too.
	void also_clean_cgroup(const std::string &path);
	// runc delete -f: runc forgets the container and removes its cgroup
	// directories (after a checkpoint stopped it).
	void delete_runc_container();

private:
	void cleanup() noexcept;

	ContainerOptions opts_;
	std::string id_;
	TempDir dir_;
	std::string bundle_, rootfs_, runc_root_, pid_file_;
	pid_t pid_ = 0;
	bool started_ = false;
	std::vector<pid_t> adopted_;
	std::vector<std::string> extra_cgroups_;
	Pipes io_;
};

// ---------------------------------------------------------------------------
// Notify recording
// ---------------------------------------------------------------------------

// Records every notify script; `on_script`, when set, decides the return
// value (0 = go on).
struct NotifyRecorder {
	std::vector<std::string> scripts;
	std::vector<int> pids;
	std::vector<int> fds; // ccr_notify_fd(): the descriptor number, or -1
	std::function<int(const std::string &script)> on_script;

	static int callback(const ccr_notify *n, void *payload);
	// Installs this recorder on `o` (no finalizer: the recorder outlives o).
	ccr_error *install(ccr_options *o);
};

// An on_script for NotifyRecorder that SIGKILLs our CRIU child when `script`
// arrives (and lets every other notification pass).
std::function<int(const std::string &)> kill_criu_at(const std::string &script);

// Options with the images dir set (and optional extras applied by caller).
OptionsPtr make_options(const std::string &images_dir);

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

bool alive(pid_t pid);

// Checkpoints `c` (its current pid) into `images`. Returns the error (NULL on
// success); `prepare` may adjust the options first.
ErrorPtr checkpoint(const Container &c, const std::string &images,
		    const std::function<void(ccr_options *)> &prepare = {});

// Restores the images into `c` (its bundle, id and cgroupsPath) with fresh
// pipes; on success adopts the new init and talks to it through the new
// pipes. Returns the error (NULL on success). `prepare` may adjust the
// options, `prepare_container` the container description.
ErrorPtr restore(Container &c, const std::string &images, pid_t *pid_out = nullptr,
		 const std::function<void(ccr_options *)> &prepare = {},
		 const std::function<void(ccr_container *)> &prepare_container = {});

std::string describe(const ErrorPtr &e);

std::string join(const std::vector<std::string> &v, const std::string &sep = ",");

} // namespace e2e
