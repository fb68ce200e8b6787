// SPDX-License-Identifier: Apache-2.0
#include "harness.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace e2e {

namespace {

// A write to a pipe whose reader died must fail with EPIPE, not kill the
// test binary.
const bool sigpipe_ignored = [] {
	std::signal(SIGPIPE, SIG_IGN);
	return true;
}();

std::string trim(std::string s)
{
	while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
		s.pop_back();
	return s;
}

// Waits for `pid` (our child) up to `timeout`; SIGKILLs it after that.
int wait_child(pid_t pid, std::chrono::milliseconds timeout)
{
	auto deadline = std::chrono::steady_clock::now() + timeout;
	int status = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (std::chrono::steady_clock::now() > deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
			}
			return status;
		}
		std::this_thread::sleep_for(5ms);
	}
}

std::atomic<unsigned> id_counter{0};

const char *const kCgroupRoot = "/sys/fs/cgroup";

// Mount points at or below `dir` in our mount namespace, deepest first.
std::vector<std::string> mounts_below(const std::string &dir)
{
	std::vector<std::string> out;
	std::ifstream mi("/proc/self/mountinfo");
	std::string line;
	while (std::getline(mi, line)) {
		std::istringstream ss(line);
		std::string f[5];
		for (auto &x : f)
			ss >> x;
		if (f[4] == dir || f[4].rfind(dir + "/", 0) == 0)
			out.push_back(f[4]);
	}
	std::sort(out.begin(), out.end(), [](auto &a, auto &b) { return a.size() > b.size(); });
	return out;
}

int remove_entry(const char *path, const struct stat *, int type, struct FTW *)
{
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

// rm -rf that neither follows symlinks nor crosses into other mounts.
void remove_tree(const std::string &dir)
{
	nftw(dir.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

} // namespace

// ---------------------------------------------------------------------------
// Prerequisites
// ---------------------------------------------------------------------------

std::string missing_prerequisites()
{
	std::vector<std::string> missing;
	if (geteuid() != 0)
		missing.push_back("root");
	std::string criu = find_in_path("criu");
	if (criu.empty()) {
		missing.push_back("criu");
	} else {
		// "Version: 4.1.1" (or "Version: 4.1").
		std::string out = run({criu, "--version"}).output;
		int major = 0, minor = 0;
		auto pos = out.find("Version:");
		if (pos == std::string::npos || std::sscanf(out.c_str() + pos, "Version: %d.%d", &major, &minor) < 2)
			missing.push_back("criu >= 4.1 (cannot read `" + criu + " --version`)");
		else if (major * 100 + minor < 401)
			missing.push_back("criu >= 4.1 (found " + std::to_string(major) + "." + std::to_string(minor) +
					  ")");
	}
	if (find_in_path("runc").empty())
		missing.push_back("runc");
	if (access("/bin/busybox", X_OK) != 0)
		missing.push_back("/bin/busybox");
	if (find_in_path("python3").empty()) // runs tests/fixture
		missing.push_back("python3");
	if (cgroup_v2_host()) {
		if (access("/sys/fs/cgroup/cgroup.freeze", F_OK) != 0 &&
		    access("/sys/fs/cgroup/cgroup.subtree_control", F_OK) != 0)
			missing.push_back("a cgroup2 hierarchy at /sys/fs/cgroup");
	} else if (access("/sys/fs/cgroup/freezer", F_OK) != 0) {
		missing.push_back("cgroup v1 freezer at /sys/fs/cgroup/freezer");
	}
	return join(missing, ", ");
}

void require_prerequisites()
{
	static const std::string missing = missing_prerequisites();
	if (missing.empty())
		return;
	const char *ci = std::getenv("CI");
	if (ci && std::string(ci) == "true")
		FAIL() << "end-to-end prerequisites missing (CI=true): " << missing;
	GTEST_SKIP() << "needs root, criu >= 4.1, runc, /bin/busybox and python3: missing " << missing;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

[[noreturn]] void throw_errno(const std::string &what)
{
	throw std::runtime_error(what + ": " + std::strerror(errno));
}

void close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0u) == 0)
		return;
#endif
	for (int fd = lowfd; fd < 65536; fd++)
		close(fd);
}

UniqueFd &UniqueFd::operator=(UniqueFd &&o) noexcept
{
	if (this != &o)
		reset(o.release());
	return *this;
}

int UniqueFd::release()
{
	int fd = fd_;
	fd_ = -1;
	return fd;
}

void UniqueFd::reset(int fd)
{
	if (fd_ >= 0)
		close(fd_);
	fd_ = fd;
}

bool CmdResult::ok() const
{
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

CmdResult run(const std::vector<std::string> &argv)
{
	CmdResult res;
	if (argv.empty())
		return res;
	std::vector<char *> cargv;
	for (auto &a : argv)
		cargv.push_back(const_cast<char *>(a.c_str()));
	cargv.push_back(nullptr);

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		throw_errno("pipe2");
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid = fork();
	if (pid < 0)
		throw_errno("fork");
	if (pid == 0) {
		dup2(devnull, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close_from(3);
		execvp(cargv[0], cargv.data());
		dprintf(2, "exec %s: %s\n", cargv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	if (devnull >= 0)
		close(devnull);
	char buf[4096];
	for (;;) {
		ssize_t n = read(p[0], buf, sizeof buf);
		if (n > 0)
			res.output.append(buf, n);
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break;
	}
	close(p[0]);
	while (waitpid(pid, &res.status, 0) < 0 && errno == EINTR) {
	}
	return res;
}

std::string run_cmd(const std::vector<std::string> &argv)
{
	return run(argv).output;
}

std::string find_in_path(const std::string &name)
{
	if (name.find('/') != std::string::npos)
		return access(name.c_str(), X_OK) == 0 ? name : "";
	const char *path = std::getenv("PATH");
	std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	std::istringstream ss(p);
	std::string dir;
	while (std::getline(ss, dir, ':')) {
		if (dir.empty())
			continue;
		std::string cand = dir + "/" + name;
		struct stat st;
		if (stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(cand.c_str(), X_OK) == 0)
			return cand;
	}
	return "";
}

TempDir::TempDir(const std::string &prefix)
{
	std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
	std::vector<char> buf(tmpl.begin(), tmpl.end());
	buf.push_back('\0');
	if (!mkdtemp(buf.data()))
		throw_errno("mkdtemp " + tmpl);
	path_ = buf.data();
}

TempDir::~TempDir()
{
	if (path_.empty())
		return;
	// Nothing should be mounted here; if something is, detach it rather
	// than delete through it.
	for (auto &m : mounts_below(path_))
		umount2(m.c_str(), MNT_DETACH);
	remove_tree(path_);
}

std::string read_file(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	if (!f)
		throw std::runtime_error("cannot read " + path);
	std::ostringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

void write_file(const std::string &path, const std::string &text)
{
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	if (!f)
		throw std::runtime_error("cannot write " + path);
	f << text;
	if (!f.flush())
		throw std::runtime_error("cannot write " + path);
}

bool path_exists(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0;
}

static bool is_zombie(pid_t pid)
{
	std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
	std::string s;
	if (!std::getline(f, s))
		return false;
	auto rp = s.rfind(')');
	return rp != std::string::npos && rp + 2 < s.size() && s[rp + 2] == 'Z';
}

bool wait_gone(pid_t pid, std::chrono::milliseconds timeout)
{
	if (pid <= 0)
		return true;
	auto deadline = std::chrono::steady_clock::now() + timeout;
	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return true;
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		// A zombie that is not ours: its parent will reap it; it is gone
		// as far as the test is concerned.
		if (r < 0 && errno == ECHILD && is_zombie(pid))
			return true;
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(10ms);
	}
}

std::vector<pid_t> children_named(const std::string &comm)
{
	std::vector<pid_t> out;
	pid_t self = getpid();
	DIR *d = opendir("/proc");
	if (!d)
		return out;
	while (dirent *e = readdir(d)) {
		char *end;
		long pid = std::strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
		std::string s;
		if (!std::getline(f, s))
			continue;
		auto lp = s.find('('), rp = s.rfind(')');
		if (lp == std::string::npos || rp == std::string::npos || rp + 4 > s.size())
			continue;
		std::string name = s.substr(lp + 1, rp - lp - 1);
		char state;
		long ppid;
		if (std::sscanf(s.c_str() + rp + 2, "%c %ld", &state, &ppid) != 2)
			continue;
		if (ppid == self && name == comm && state != 'Z')
			out.push_back((pid_t)pid);
	}
	closedir(d);
	return out;
}

pid_t unused_pid()
{
	long pid_max = 32768;
	try {
		pid_max = std::stol(read_file("/proc/sys/kernel/pid_max"));
	} catch (...) {
	}
	for (pid_t p = (pid_t)pid_max - 1; p > 1000; p--)
		if (kill(p, 0) < 0 && errno == ESRCH && !path_exists("/proc/" + std::to_string(p)))
			return p;
	throw std::runtime_error("no unused pid found");
}

std::map<std::string, std::string> proc_cgroups(pid_t pid)
{
	std::map<std::string, std::string> out;
	std::ifstream f("/proc/" + std::to_string(pid) + "/cgroup");
	std::string line;
	while (std::getline(f, line)) {
		auto c1 = line.find(':');
		auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
		if (c2 == std::string::npos)
			continue;
		out[line.substr(c1 + 1, c2 - c1 - 1)] = line.substr(c2 + 1);
	}
	return out;
}

std::string join(const std::vector<std::string> &v, const std::string &sep)
{
	std::string out;
	for (size_t i = 0; i < v.size(); i++) {
		if (i)
			out += sep;
		out += v[i];
	}
	return out;
}

// ---------------------------------------------------------------------------
// C API handles
// ---------------------------------------------------------------------------

std::string describe(const ccr_error *err)
{
	if (!err)
		return "ok";
	std::ostringstream ss;
	ccr_error_code code = ccr_error_code_of(err);
	const char *msg = ccr_error_message(err);
	ss << "ccr error " << ccr_error_code_name(code) << " (" << (int)code << "): " << (msg ? msg : "(null message)");
	if (int e = ccr_error_errno(err))
		ss << "\n  errno: " << e << " (" << std::strerror(e) << ")";
	if (int e = ccr_error_criu_errno(err))
		ss << "\n  criu errno: " << e << " (" << std::strerror(e) << ")";
	if (const char *cm = ccr_error_criu_message(err))
		ss << "\n  criu message: " << cm;
	if (const char *lp = ccr_error_log_path(err))
		ss << "\n  criu log: " << lp;
	if (const char *ex = ccr_error_log_excerpt(err))
		ss << "\n  log excerpt:\n" << ex;
	return ss.str();
}

::testing::AssertionResult ccr_ok(ccr_error *err)
{
	ErrorPtr owned(err);
	if (!err)
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure() << describe(err);
}

void expect_ok(ccr_error *err)
{
	EXPECT_TRUE(ccr_ok(err));
}

static void throw_if(ccr_error *err, const std::string &what)
{
	ErrorPtr owned(err);
	if (err)
		throw std::runtime_error(what + ": " + describe(err));
}

OptionsPtr make_options(const std::string &images_dir)
{
	ccr_options *o = nullptr;
	throw_if(ccr_options_new(&o), "ccr_options_new");
	OptionsPtr opts(o);
	throw_if(ccr_options_set_images_dir(o, images_dir.c_str()), "ccr_options_set_images_dir");
	return opts;
}

bool alive(pid_t pid)
{
	return pid > 0 && kill(pid, 0) == 0;
}

ErrorPtr checkpoint(const Container &c, const std::string &images, const std::function<void(ccr_options *)> &prepare)
{
	ContainerPtr h = c.handle();
	OptionsPtr o = make_options(images);
	if (prepare)
		prepare(o.get());
	ccr_result *r = nullptr;
	ErrorPtr err(ccr_checkpoint(&r, h.get(), o.get()));
	ResultPtr res(r);
	return err;
}

ErrorPtr restore(Container &c, const std::string &images, pid_t *pid_out,
		 const std::function<void(ccr_options *)> &prepare,
		 const std::function<void(ccr_container *)> &prepare_container)
{
	ContainerPtr h = c.handle();
	if (prepare_container)
		prepare_container(h.get());
	Pipes p = Pipes::make();
	if (ccr_error *e =
		    ccr_container_set_stdio(h.get(), p.container_stdin(), p.container_stdout(), p.container_stderr()))
		return ErrorPtr(e);
	OptionsPtr o = make_options(images);
	if (prepare)
		prepare(o.get());
	ccr_result *r = nullptr;
	ErrorPtr err(ccr_restore(&r, h.get(), o.get()));
	ResultPtr res(r);
	if (err)
		return err;
	pid_t pid = ccr_result_pid(res.get());
	if (pid > 0)
		c.adopt_pid(pid);
	c.use_pipes(std::move(p));
	if (pid_out)
		*pid_out = pid;
	return nullptr;
}

std::string describe(const ErrorPtr &e)
{
	return describe(e.get());
}

int NotifyRecorder::callback(const ccr_notify *n, void *payload)
{
	auto *self = static_cast<NotifyRecorder *>(payload);
	const char *s = ccr_notify_script(n);
	std::string script = s ? s : "(null)";
	self->scripts.push_back(script);
	self->pids.push_back(ccr_notify_pid(n));
	self->fds.push_back(ccr_notify_fd(n));
	if (self->on_script)
		return self->on_script(script);
	return 0;
}

ccr_error *NotifyRecorder::install(ccr_options *o)
{
	return ccr_options_set_notify(o, &NotifyRecorder::callback, this, nullptr);
}

// ---------------------------------------------------------------------------
// Pipes
// ---------------------------------------------------------------------------

Pipes Pipes::make()
{
	Pipes p;
	int in[2], out[2], err[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		throw_errno("pipe2");
	p.c_in_.reset(in[0]);
	p.t_in_.reset(in[1]);
	if (pipe2(out, O_CLOEXEC) < 0)
		throw_errno("pipe2");
	p.t_out_.reset(out[0]);
	p.c_out_.reset(out[1]);
	if (pipe2(err, O_CLOEXEC) < 0)
		throw_errno("pipe2");
	p.t_err_.reset(err[0]);
	p.c_err_.reset(err[1]);
	return p;
}

void Pipes::close_container_side()
{
	c_in_.reset();
	c_out_.reset();
	c_err_.reset();
}

bool write_line(int fd, const std::string &line)
{
	std::string data = line + "\n";
	size_t off = 0;
	while (off < data.size()) {
		ssize_t n = write(fd, data.data() + off, data.size() - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		off += (size_t)n;
	}
	return true;
}

std::optional<std::string> read_line_from(int fd, std::string &buf, std::chrono::milliseconds timeout)
{
	auto deadline = std::chrono::steady_clock::now() + timeout;
	for (;;) {
		auto nl = buf.find('\n');
		if (nl != std::string::npos) {
			std::string line = buf.substr(0, nl);
			buf.erase(0, nl + 1);
			while (!line.empty() && line.back() == '\r') // a terminal's line ends
				line.pop_back();
			return line;
		}
		if (fd < 0)
			return std::nullopt;
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
										  std::chrono::steady_clock::now());
		if (left.count() <= 0)
			return std::nullopt;
		pollfd pfd{fd, POLLIN, 0};
		int r = poll(&pfd, 1, (int)left.count());
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return std::nullopt;
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return std::nullopt; // EOF: the writer is gone
		buf.append(chunk, (size_t)n);
	}
}

bool Pipes::send_line(const std::string &line)
{
	return t_in_ && write_line(t_in_.get(), line);
}

std::optional<std::string> Pipes::read_line(std::chrono::milliseconds timeout)
{
	return read_line_from(t_out_.get(), buf_, timeout);
}

std::string Pipes::drain_stderr()
{
	std::string out;
	if (!t_err_)
		return out;
	for (;;) {
		pollfd pfd{t_err_.get(), POLLIN, 0};
		if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN))
			break;
		char buf[4096];
		ssize_t n = read(t_err_.get(), buf, sizeof buf);
		if (n <= 0)
			break;
		out.append(buf, (size_t)n);
	}
	return out;
}

// ---------------------------------------------------------------------------
// Bundles
// ---------------------------------------------------------------------------

std::vector<std::string> default_workload()
{
	return {"sh", "-c", "i=0; while read line; do i=$((i+1)); echo \"$line $i\"; done"};
}

std::vector<std::string> logging_workload(const std::string &file)
{
	return {"sh", "-c",
		"i=0; while read line; do i=$((i+1)); echo \"$line\" >> " + file +
			" && echo \"$line $i\" || echo \"$line write-failed\"; done"};
}

nlohmann::json bind_mount(const std::string &host, const std::string &dest, std::vector<std::string> options)
{
	return {{"destination", dest}, {"type", "bind"}, {"source", host}, {"options", options}};
}

std::string fixture_script(const std::string &name)
{
	return std::string(CCR_SOURCE_DIR) + "/tests/fixture/" + name;
}

std::string cgroup_path_for(const std::string &id)
{
	return "/ccr-e2e/" + id;
}

// ---------------------------------------------------------------------------
// Container
// ---------------------------------------------------------------------------

static std::string make_id(const std::string &want)
{
	if (!want.empty())
		return want;
	return "e2e-" + std::to_string(getpid()) + "-" + std::to_string(id_counter++);
}

Container::Container(ContainerOptions opts) : opts_(std::move(opts)), id_(make_id(opts_.id)), dir_("ccr-e2e-" + id_)
{
	// The dir is 0700; runc and CRIU run as root, so that is fine.
	bundle_ = dir_ / "bundle";
	rootfs_ = bundle_ + "/rootfs";
	runc_root_ = dir_ / "runc";
	pid_file_ = dir_ / "container.pid";
	if (mkdir(bundle_.c_str(), 0700) < 0)
		throw_errno("mkdir " + bundle_);
	std::vector<std::string> argv = {
		"python3", fixture_script("make_bundle.py"), "bundle", bundle_, "--cgroups-path", cgroup_path()};
	if (opts_.terminal)
		argv.push_back("--terminal");
	for (auto &[type, path] : opts_.namespace_paths)
		argv.insert(argv.end(), {"--namespace", type + "=" + path});
	for (auto &b : opts_.binds)
		argv.insert(argv.end(), {"--bind", b.host, b.dest});
	argv.push_back("--");
	argv.insert(argv.end(), opts_.args.begin(), opts_.args.end());
	CmdResult r = run(argv);
	if (!r.ok())
		throw std::runtime_error("tests/fixture/make_bundle.py for " + id_ + " failed: " + r.output);
}

Container::~Container()
{
	cleanup();
}

void Container::start()
{
	if (started_)
		throw std::runtime_error("container " + id_ + " already started");
	std::string runc = find_in_path("runc");
	if (runc.empty())
		throw std::runtime_error("runc not found in PATH");
	Pipes p = Pipes::make();
	std::vector<std::string> argv = {runc,         "--root",  runc_root_, "run",  "-d",
					 "--pid-file", pid_file_, "--bundle", bundle_};
	if (opts_.terminal) {
		// A detached container with a terminal needs somewhere to send
		// the pty master; its stdio are then the pty, not the pipes.
		if (opts_.console_socket.empty())
			throw std::runtime_error("container " + id_ + " has a terminal but no console socket");
		argv.insert(argv.end(), {"--console-socket", opts_.console_socket});
	}
	argv.push_back(id_);
	std::vector<char *> cargv;
	for (auto &a : argv)
		cargv.push_back(const_cast<char *>(a.c_str()));
	cargv.push_back(nullptr);
	int cin = p.container_stdin(), cout = p.container_stdout(), cerr = p.container_stderr();

	pid_t child = fork();
	if (child < 0)
		throw_errno("fork");
	if (child == 0) {
		// The pipes are O_CLOEXEC and all > 2 (0..2 are open in the
		// test), so dup2 always makes inheritable copies.
		if (dup2(cin, 0) < 0 || dup2(cout, 1) < 0 || dup2(cerr, 2) < 0)
			_exit(126);
		close_from(3);
		execv(cargv[0], cargv.data());
		_exit(127);
	}
	started_ = true; // from here on the destructor runs runc delete
	int status = wait_child(child, 30s);
	p.close_container_side();
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		std::string err = p.drain_stderr();
		throw std::runtime_error("runc run " + id_ + " failed (status " + std::to_string(status) + "): " + err);
	}
	try {
		pid_ = std::stoi(read_file(pid_file_));
	} catch (const std::exception &e) {
		throw std::runtime_error("runc run " + id_ + ": no pid file: " + e.what());
	}
	io_ = std::move(p);
}

std::string Container::freezer_state() const
{
	try {
		if (!cgroup_v2_host())
			return trim(
				read_file(std::string(kCgroupRoot) + "/freezer" + cgroup_path() + "/freezer.state"));
		// v2 has no state file: cgroup.freeze is what was asked, the
		// "frozen" key of cgroup.events what the kernel reached.
		auto v2 = v2_freezer();
		if (!v2.freeze)
			return "THAWED";
		return v2.frozen ? "FROZEN" : "FREEZING";
	} catch (...) {
		return "";
	}
}

V2FreezerState Container::v2_freezer() const
{
	std::string dir = std::string(kCgroupRoot) + cgroup_path();
	V2FreezerState st;
	st.freeze = trim(read_file(dir + "/cgroup.freeze")) == "1";
	std::istringstream events(read_file(dir + "/cgroup.events"));
	for (std::string key, value; events >> key >> value;)
		if (key == "frozen")
			st.frozen = value == "1";
	return st;
}

std::function<int(const std::string &)> kill_criu_at(const std::string &script)
{
	return [script](const std::string &s) {
		if (s == script)
			for (pid_t p : children_named("criu"))
				::kill(p, SIGKILL);
		return 0;
	};
}

bool cgroup_v2_host()
{
	struct statfs st;
	return statfs(kCgroupRoot, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

std::string cgroup_dir(const std::string &controller, const std::string &path)
{
	if (cgroup_v2_host())
		return std::string(kCgroupRoot) + path;
	return std::string(kCgroupRoot) + "/" + controller + path;
}

std::string Container::ask(const std::string &line, std::chrono::milliseconds t)
{
	if (!send_line(line))
		return "";
	return read_line(t).value_or("");
}

void Container::use_pipes(Pipes &&p)
{
	p.close_container_side();
	io_ = std::move(p);
}

void Container::adopt_pid(pid_t pid)
{
	if (pid > 0) {
		adopted_.push_back(pid);
		pid_ = pid;
	}
}

ContainerPtr Container::handle() const
{
	ccr_container *c = nullptr;
	throw_if(ccr_container_new(&c, id_.c_str()), "ccr_container_new " + id_);
	ContainerPtr h(c);
	throw_if(ccr_container_set_bundle(c, bundle_.c_str()), "ccr_container_set_bundle");
	if (pid_ > 0)
		throw_if(ccr_container_set_pid(c, pid_), "ccr_container_set_pid");
	return h;
}

void Container::also_clean_cgroup(const std::string &path)
{
	extra_cgroups_.push_back(path);
}

void Container::delete_runc_container()
{
	if (!started_)
		return;
	CmdResult r = run({"runc", "--root", runc_root_, "delete", "-f", id_});
	if (!r.ok())
		throw std::runtime_error("runc delete -f " + id_ + ": " + r.output);
	started_ = false;
}

void Container::cleanup() noexcept
{
	try {
		// clean_cgroups.py thaws and kills whatever lives in the cgroups
		// (runc's init, a restore's tasks), has runc forget the container
		// and removes the directories; our own children (restored inits)
		// it leaves for us to reap.
		for (pid_t p : adopted_)
			kill(p, SIGKILL);
		std::vector<std::string> argv = {"python3", fixture_script("clean_cgroups.py")};
		if (started_)
			argv.insert(argv.end(), {"--runc-root", runc_root_, "--id", id_});
		argv.push_back(cgroup_path());
		argv.insert(argv.end(), extra_cgroups_.begin(), extra_cgroups_.end());
		CmdResult r = run(argv);
		if (!r.ok())
			std::fprintf(stderr, "cleanup of container %s: %s", id_.c_str(), r.output.c_str());
		started_ = false;
		for (pid_t p : adopted_)
			wait_gone(p, 5s);
		adopted_.clear();
	} catch (...) {
	}
	io_ = Pipes();
	// dir_ (the bundle, rootfs, images, runc root) goes with the member.
}

} // namespace e2e
