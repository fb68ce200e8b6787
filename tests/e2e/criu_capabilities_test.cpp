// SPDX-License-Identifier: Apache-2.0
// End-to-end tests of what ccr asks of CRIU beyond a plain dump and restore:
// pre-dumps (MemTrack), lazy pages and page servers, an external network
// namespace, a terminal handed over a console socket, and a restore into
// another cgroup. Real runc and CRIU; the page server, the lazy-pages daemon,
// the network namespace and the console socket are stood up by the tests.
#include <dirent.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ccr.h"
#include "harness.hpp"
#include "services.hpp"

using namespace e2e;

namespace {

class CriuCapabilities : public ::testing::Test {
protected:
	void SetUp() override { require_prerequisites(); }
};

// Tells the reader which of a test's branches ran, in the output and in
// the XML report.
void report_branch(const std::string &branch)
{
	std::cout << "[   BRANCH ] " << branch << std::endl;
	::testing::Test::RecordProperty("branch", branch);
}

// CRIU processes that are our children, other than the daemons a test
// started itself: ccr's CRIU must be gone once an operation returns.
std::vector<pid_t> stray_criu(const std::vector<pid_t> &daemons = {})
{
	std::vector<pid_t> out;
	for (pid_t p : children_named("criu"))
		if (std::find(daemons.begin(), daemons.end(), p) == daemons.end())
			out.push_back(p);
	return out;
}

std::string message_of(const ErrorPtr &e)
{
	const char *m = e ? ccr_error_message(e.get()) : nullptr;
	return m ? m : "";
}

std::string excerpt_of(const ErrorPtr &e)
{
	const char *x = e ? ccr_error_log_excerpt(e.get()) : nullptr;
	return x ? x : "";
}

bool contains(const std::string &hay, const std::string &needle)
{
	return hay.find(needle) != std::string::npos;
}

void make_private_dir(const std::string &path)
{
	if (mkdir(path.c_str(), 0700) != 0)
		throw std::runtime_error("mkdir " + path + ": " + std::strerror(errno));
}

// Names in `dir` that start with `prefix`.
std::vector<std::string> files_with_prefix(const std::string &dir, const std::string &prefix)
{
	std::vector<std::string> out;
	DIR *d = opendir(dir.c_str());
	if (!d)
		return out;
	while (dirent *e = readdir(d))
		if (std::string(e->d_name).rfind(prefix, 0) == 0)
			out.push_back(e->d_name);
	closedir(d);
	std::sort(out.begin(), out.end());
	return out;
}

std::atomic<unsigned> netns_counter{0};

// The state letter in /proc/<pid>/stat ('S', 't', ...), or '?'.
char proc_state(pid_t pid)
{
	std::string stat;
	try {
		stat = read_file("/proc/" + std::to_string(pid) + "/stat");
	} catch (...) {
		return '?';
	}
	auto rp = stat.rfind(')');
	return rp != std::string::npos && rp + 2 < stat.size() ? stat[rp + 2] : '?';
}

// The largest pipe CRIU 4.1.1's page server asks for when it serves lazy
// pages (pipe_read_dest_init: PIPE_MAX_SIZE pages, i.e. as many pages as
// 8 pages of 40-byte kernel pipe_buffers describe). Without CAP_SYS_RESOURCE
// F_SETPIPE_SZ fails above /proc/sys/fs/pipe-max-size; CRIU ignores that
// failure, never opens its /dev/null sink, and the first page request dies
// in "page-pipe: splice: -1: Bad file descriptor".
long criu_lazy_pipe_bytes()
{
	long page = sysconf(_SC_PAGESIZE);
	return (8 * page / 40) * page;
}

bool criu_can_serve_lazy_pages()
{
	return has_cap_sys_resource() || pipe_max_size() >= criu_lazy_pipe_bytes();
}

// Checkpoint with lazy pages served from the dumping CRIU's own page server on
// 127.0.0.1, a `criu lazy-pages` daemon that fetches them from there, and a
// lazy restore into a second container, on a host where CRIU 4.1.1 can serve
// the pages (see criu_lazy_pipe_bytes()).
void lazy_migration_over_loopback()
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const pid_t pid1 = c.pid();
	const std::string images = c.dir() / "images";
	const std::string lazy_work = c.dir() / "lazy-work";
	make_private_dir(lazy_work);
	const int port = free_tcp_port();

	int st[2];
	ASSERT_EQ(pipe2(st, O_CLOEXEC), 0);
	UniqueFd status_read(st[0]);
	const int status_write = st[1]; // ccr's from ccr_options_set_status_fd on

	// The dump does not return until the pages are served (or serving
	// failed), so it runs on its own thread; its options and callback are
	// used there only. The future's destructor joins it.
	NotifyRecorder dump_rec;
	std::future<ErrorPtr> dump = std::async(std::launch::async, [&] {
		return checkpoint(c, images, [&](ccr_options *o) {
			EXPECT_CCR_OK(ccr_options_set_lazy_pages(o, 1));
			EXPECT_CCR_OK(ccr_options_set_page_server(o, "127.0.0.1", port));
			EXPECT_CCR_OK(ccr_options_set_status_fd(o, status_write));
			EXPECT_CCR_OK(ccr_options_set_timeout_ms(o, 120000));
			EXPECT_CCR_OK(dump_rec.install(o));
		});
	});

	// status-ready: one '\0', then ccr closes its end.
	pollfd pfd{status_read.get(), POLLIN, 0};
	ASSERT_EQ(poll(&pfd, 1, 60000), 1) << "no status byte within 60 s";
	char byte = 1;
	ASSERT_EQ(read(status_read.get(), &byte, 1), 1);
	EXPECT_EQ(byte, '\0');
	ASSERT_EQ(poll(&pfd, 1, 10000), 1) << "the status descriptor stayed open after status-ready";
	EXPECT_EQ(read(status_read.get(), &byte, 1), 0) << "expected EOF on the status pipe";
	// CRIU keeps the dumped tree seized (ptrace-stopped, freezer thawed)
	// while it serves pages.
	EXPECT_EQ(proc_state(pid1), 't');

	// The lazy-pages daemon listens on <work dir>/lazy-pages.socket (a path
	// relative to its work dir); the restoring CRIU connects to the same
	// relative path from its own work dir, so both get `lazy_work`.
	CriuDaemon lazy({"lazy-pages", "--page-server", "--address", "127.0.0.1", "--port", std::to_string(port), "-D",
			 images, "-W", lazy_work, "-o", "lazy-pages.log", "-v4"},
			c.dir() / "lazy-pages.out");
	EXPECT_TRUE(path_exists(lazy_work + "/lazy-pages.socket"));

	Container c2;
	pid_t pid2 = 0;
	ErrorPtr rst = restore(c2, images, &pid2, [&](ccr_options *o) {
		EXPECT_CCR_OK(ccr_options_set_lazy_pages(o, 1));
		EXPECT_CCR_OK(ccr_options_set_work_dir(o, lazy_work.c_str()));
		EXPECT_CCR_OK(ccr_options_set_timeout_ms(o, 60000));
	});
	ErrorPtr dump_err = dump.get();
	EXPECT_NE(std::find(dump_rec.scripts.begin(), dump_rec.scripts.end(), "status-ready"), dump_rec.scripts.end())
		<< join(dump_rec.scripts);
	std::optional<int> lazy_status = lazy.wait_exit(30s);

	ASSERT_FALSE(rst) << describe(rst);
	ASSERT_FALSE(dump_err) << describe(dump_err);
	ASSERT_GT(pid2, 0);
	EXPECT_EQ(c2.ask("b"), "b 2");
	EXPECT_EQ(c2.ask("c"), "c 3");
	// Once every page is across, the dumping CRIU kills the original.
	EXPECT_TRUE(wait_gone(pid1)) << "the original init " << pid1 << " survived the lazy dump";
	ASSERT_TRUE(lazy_status) << "criu lazy-pages still runs";
	EXPECT_EQ(describe_status(*lazy_status), "exited with 0") << lazy.output();
	EXPECT_EQ(stray_criu({lazy.pid()}), std::vector<pid_t>{});
}

// Where CRIU 4.1.1 cannot serve lazy pages (no CAP_SYS_RESOURCE, pipes too
// small), a lazy checkpoint is refused before CRIU starts, with the setting
// that fixes it: CRIU would otherwise freeze and seize the container, fail at
// the first page asked for, and leave a lazy restore waiting for pages.
void lazy_dump_refused_before_criu_starts()
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const std::string images = c.dir() / "images";
	int st[2];
	ASSERT_EQ(pipe2(st, O_CLOEXEC), 0);
	UniqueFd status_read(st[0]);
	ErrorPtr err = checkpoint(c, images, [&](ccr_options *o) {
		EXPECT_CCR_OK(ccr_options_set_lazy_pages(o, 1));
		EXPECT_CCR_OK(ccr_options_set_page_server(o, "127.0.0.1", free_tcp_port()));
		EXPECT_CCR_OK(ccr_options_set_status_fd(o, st[1]));
	});
	ASSERT_TRUE(err) << "the lazy dump was started although CRIU cannot serve pages here";
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_UNSUPPORTED) << describe(err);
	EXPECT_TRUE(contains(ccr_error_message(err.get()),
			     "sysctl -w fs.pipe-max-size=" + std::to_string(criu_lazy_pipe_bytes())))
		<< describe(err);
	EXPECT_FALSE(path_exists(images + "/dump.log")) << "CRIU ran";
	// The status descriptor is closed without a byte: nothing became ready.
	char byte = 1;
	EXPECT_EQ(read(status_read.get(), &byte, 1), 0);
	EXPECT_EQ(stray_criu(), std::vector<pid_t>{});
	EXPECT_EQ(c.freezer_state(), "THAWED");
	EXPECT_EQ(c.ask("b"), "b 2");
}

} // namespace

// 1a. Pre-dump, then a dump on top of it ("../pre" as parent), then restore,
//     where CRIU can track memory; where it cannot (no soft-dirty bits, as on
//     this project's test machine) both operations fail up front with
//     CCR_ERR_UNSUPPORTED naming MemTrack, the container never notices, and
//     no CRIU is left.
TEST_F(CriuCapabilities, PreDumpDumpRestoreOrClearError)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const std::string base = c.dir() / "ckpt";
	make_private_dir(base);
	const std::string pre = base + "/pre", full = base + "/dump";

	unsigned features = 0;
	ASSERT_CCR_OK(ccr_criu_features(&features, nullptr));
	// This kernel offers userfaultfd, so CRIU reports lazy pages.
	EXPECT_TRUE(features & CCR_FEATURE_LAZY_PAGES) << "features " << features;

	if (features & CCR_FEATURE_MEM_TRACK) {
		report_branch("MemTrack present: pre-dump -> dump (parent ../pre) -> restore");
		ErrorPtr err =
			checkpoint(c, pre, [](ccr_options *o) { EXPECT_CCR_OK(ccr_options_set_pre_dump(o, 1)); });
		ASSERT_FALSE(err) << describe(err);
		// A pre-dump copies memory only; the container keeps running.
		EXPECT_TRUE(alive(c.pid()));
		EXPECT_EQ(c.freezer_state(), "THAWED");
		EXPECT_FALSE(files_with_prefix(pre, "pages-").empty());
		EXPECT_EQ(c.ask("b"), "b 2");

		const pid_t pid1 = c.pid();
		err = checkpoint(c, full,
				 [](ccr_options *o) { EXPECT_CCR_OK(ccr_options_set_parent_path(o, "../pre")); });
		ASSERT_FALSE(err) << describe(err);
		EXPECT_TRUE(wait_gone(pid1));
		// CRIU links the dump to its parent through a "parent" symlink.
		EXPECT_TRUE(path_exists(full + "/parent"));

		pid_t pid2 = 0;
		err = restore(c, full, &pid2);
		ASSERT_FALSE(err) << describe(err);
		ASSERT_GT(pid2, 0);
		EXPECT_EQ(c.ask("c"), "c 3");
		EXPECT_EQ(c.ask("d"), "d 4");
	} else {
		report_branch("MemTrack missing: pre-dump and a dump with parent ../pre fail with "
			      "CCR_ERR_UNSUPPORTED \"missing feature: MemTrack\"");
		const pid_t pid1 = c.pid();
		ErrorPtr err =
			checkpoint(c, pre, [](ccr_options *o) { EXPECT_CCR_OK(ccr_options_set_pre_dump(o, 1)); });
		ASSERT_TRUE(err) << "pre-dump succeeded although CRIU reports no MemTrack";
		EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_UNSUPPORTED) << describe(err);
		EXPECT_TRUE(contains(message_of(err), "missing feature: MemTrack")) << describe(err);
		EXPECT_EQ(stray_criu(), std::vector<pid_t>{});
		EXPECT_TRUE(alive(pid1));
		EXPECT_EQ(c.freezer_state(), "THAWED");
		EXPECT_EQ(c.ask("b"), "b 2");
		EXPECT_TRUE(files_with_prefix(pre, "pages-").empty());

		// An incremental dump needs the same tracking: refused before
		// anything is frozen, even with an existing parent directory.
		if (!path_exists(pre))
			make_private_dir(pre);
		err = checkpoint(c, full,
				 [](ccr_options *o) { EXPECT_CCR_OK(ccr_options_set_parent_path(o, "../pre")); });
		ASSERT_TRUE(err) << "a dump with a parent succeeded although CRIU reports no MemTrack";
		EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_UNSUPPORTED) << describe(err);
		EXPECT_TRUE(contains(message_of(err), "missing feature: MemTrack")) << describe(err);
		EXPECT_EQ(stray_criu(), std::vector<pid_t>{});
		EXPECT_FALSE(path_exists(full + "/inventory.img"));
		EXPECT_TRUE(alive(pid1));
		EXPECT_EQ(c.freezer_state(), "THAWED");
		EXPECT_EQ(c.ask("c"), "c 3");
	}
}

// 1b. A parent path that does not exist is refused before CRIU starts, by
//     name.
TEST_F(CriuCapabilities, MissingParentPathIsNotFound)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");

	ErrorPtr err = checkpoint(c, c.dir() / "images", [](ccr_options *o) {
		EXPECT_CCR_OK(ccr_options_set_parent_path(o, "../no-such-pre"));
	});
	ASSERT_TRUE(err) << "a checkpoint with a missing parent succeeded";
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_NOT_FOUND) << describe(err);
	EXPECT_TRUE(contains(message_of(err), "../no-such-pre")) << describe(err);
	EXPECT_EQ(stray_criu(), std::vector<pid_t>{});
	EXPECT_TRUE(alive(c.pid()));
	EXPECT_EQ(c.freezer_state(), "THAWED");
	EXPECT_EQ(c.ask("b"), "b 2");
}

// 2a. Lazy migration over loopback as this host allows it: CRIU 4.1.1 cannot
//     serve lazy pages without CAP_SYS_RESOURCE or a pipe-max-size of about
//     3.2 MiB (see criu_lazy_pipe_bytes()); then the dump is refused before
//     CRIU starts, naming the sysctl, the status descriptor closed and the
//     container running on. Elsewhere the migration must work.
TEST_F(CriuCapabilities, LazyMigrationOverLoopback)
{
	bool can = criu_can_serve_lazy_pages();
	report_branch(can ? "CRIU can serve lazy pages here: the migration must work"
			  : "CRIU 4.1.1 cannot serve lazy pages here (no CAP_SYS_RESOURCE, pipe-max-size " +
				      std::to_string(pipe_max_size()) + " < " + std::to_string(criu_lazy_pipe_bytes()) +
				      "): the dump must be refused up front");
	if (can)
		lazy_migration_over_loopback();
	else
		lazy_dump_refused_before_criu_starts();
}

// 2b. The same migration with pipe-max-size raised for the test's duration
//     (put back afterwards): ccr's lazy dump, status descriptor and lazy
//     restore work end to end.
TEST_F(CriuCapabilities, LazyMigrationOverLoopbackWithRoomyPipes)
{
	std::optional<PipeMaxSize> roomy;
	if (!has_cap_sys_resource()) {
		try {
			roomy.emplace(criu_lazy_pipe_bytes());
		} catch (const std::exception &e) {
			GTEST_SKIP() << "cannot raise /proc/sys/fs/pipe-max-size: " << e.what();
		}
	}
	report_branch(roomy && roomy->changed() ? "pipe-max-size raised to " + std::to_string(pipe_max_size())
						: "pipes were roomy enough already");
	lazy_migration_over_loopback();
}

// 2c. A lazy restore from local images: a plain checkpoint, then
//     `criu lazy-pages` serving the images from disk, and ccr's restore with
//     lazy pages fetching through userfaultfd.
TEST_F(CriuCapabilities, LazyRestoreFromLocalImages)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const pid_t pid1 = c.pid();
	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(pid1));

	// Default work dir for both sides: the images directory, where the
	// daemon's lazy-pages.socket then lives.
	CriuDaemon lazy({"lazy-pages", "-D", images, "-o", "lazy-pages.log", "-v4"}, c.dir() / "lazy-pages.out");
	ASSERT_TRUE(path_exists(images + "/lazy-pages.socket"));

	NotifyRecorder rec;
	pid_t pid2 = 0;
	err = restore(c, images, &pid2, [&](ccr_options *o) {
		EXPECT_CCR_OK(ccr_options_set_lazy_pages(o, 1));
		EXPECT_CCR_OK(ccr_options_set_timeout_ms(o, 60000));
		EXPECT_CCR_OK(rec.install(o));
	});
	ASSERT_FALSE(err) << describe(err) << "\nlazy-pages: " << lazy.output();
	ASSERT_GT(pid2, 0);
	EXPECT_EQ(c.ask("b"), "b 2");
	EXPECT_EQ(c.ask("c"), "c 3");

	// The daemon copies whatever was not faulted in, then leaves.
	std::optional<int> st = lazy.wait_exit(30s);
	ASSERT_TRUE(st) << "criu lazy-pages still runs after the restore";
	EXPECT_EQ(describe_status(*st), "exited with 0") << lazy.output();
	std::string log = read_file(images + "/lazy-pages.log");
	EXPECT_TRUE(contains(log, "uffd: Received PID")) << log;
	EXPECT_EQ(c.ask("d"), "d 4");
	EXPECT_EQ(stray_criu(), std::vector<pid_t>{});
}

// 2d. A lazy restore with no lazy-pages daemon fails, names the socket it
//     needed, leaves nothing behind, and a plain restore still works.
TEST_F(CriuCapabilities, LazyRestoreWithoutDaemonNamesTheSocket)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(c.pid()));

	pid_t pid = 0;
	err = restore(c, images, &pid, [](ccr_options *o) { EXPECT_CCR_OK(ccr_options_set_lazy_pages(o, 1)); });
	ASSERT_TRUE(err) << "a lazy restore without a lazy-pages daemon succeeded";
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_CRIU_FAILED) << describe(err);
	EXPECT_TRUE(contains(message_of(err), images + "/lazy-pages.socket")) << describe(err);
	EXPECT_TRUE(contains(excerpt_of(err), "connect to lazy-pages.socket failed")) << describe(err);
	EXPECT_EQ(pid, 0);
	EXPECT_EQ(stray_criu(), std::vector<pid_t>{});

	err = restore(c, images, &pid);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_EQ(c.ask("b"), "b 2");
}

// 2e. A lazy dump whose page server cannot listen (the port is taken) fails
//     after the images are written: ccr closes the status descriptor without
//     a ready byte, and CRIU lets the container go on.
TEST_F(CriuCapabilities, LazyDumpOnBusyPortClosesStatusFd)
{
	// Pipes CRIU can serve lazy pages with (put back afterwards), or ccr
	// refuses the lazy dump before CRIU starts: the failure under test here
	// is CRIU's own.
	std::optional<PipeMaxSize> roomy;
	if (!has_cap_sys_resource())
		roomy.emplace(criu_lazy_pipe_bytes());
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	TcpListener taken;
	int st[2];
	ASSERT_EQ(pipe2(st, O_CLOEXEC), 0);
	UniqueFd status_read(st[0]);
	const int status_write = st[1]; // ccr's from ccr_options_set_status_fd on

	ErrorPtr err = checkpoint(c, c.dir() / "images", [&](ccr_options *o) {
		EXPECT_CCR_OK(ccr_options_set_lazy_pages(o, 1));
		EXPECT_CCR_OK(ccr_options_set_page_server(o, "127.0.0.1", taken.port()));
		EXPECT_CCR_OK(ccr_options_set_status_fd(o, status_write));
	});
	ASSERT_TRUE(err) << "a lazy dump onto a taken port succeeded";
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_CRIU_FAILED) << describe(err);
	EXPECT_TRUE(contains(excerpt_of(err), "Can't bind page server")) << describe(err);

	pollfd pfd{status_read.get(), POLLIN, 0};
	ASSERT_EQ(poll(&pfd, 1, 5000), 1) << "the status descriptor is still open";
	char byte = 1;
	EXPECT_EQ(read(status_read.get(), &byte, 1), 0) << "expected EOF without a ready byte, read " << int(byte);
	EXPECT_EQ(stray_criu(), std::vector<pid_t>{});
	EXPECT_TRUE(alive(c.pid()));
	EXPECT_EQ(c.freezer_state(), "THAWED");
	EXPECT_EQ(c.ask("b"), "b 2");
}

// 3. Pages sent to a `criu page-server` on 127.0.0.1 land in its directory,
//    the rest in the images directory; merged, they restore.
TEST_F(CriuCapabilities, RestoreFromPageServerImages)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const pid_t pid1 = c.pid();
	const std::string images = c.dir() / "images";
	const std::string served = c.dir() / "page-server";
	make_private_dir(served);

	const int port = free_tcp_port();
	CriuDaemon ps({"page-server", "-D", served, "--address", "127.0.0.1", "--port", std::to_string(port), "-o",
		       "page-server.log", "-v4"},
		      c.dir() / "page-server.out");
	ErrorPtr err = checkpoint(
		c, images, [&](ccr_options *o) { EXPECT_CCR_OK(ccr_options_set_page_server(o, "127.0.0.1", port)); });
	ASSERT_FALSE(err) << describe(err) << "\npage server: " << ps.output();
	EXPECT_TRUE(wait_gone(pid1));
	// One dump, one session: the page server leaves when it is done.
	std::optional<int> st = ps.wait_exit(30s);
	ASSERT_TRUE(st) << "criu page-server still runs after the dump";
	EXPECT_EQ(describe_status(*st), "exited with 0") << ps.output();

	EXPECT_EQ(files_with_prefix(images, "pages-"), std::vector<std::string>{});
	std::vector<std::string> pages = files_with_prefix(served, "pages-");
	std::vector<std::string> pagemaps = files_with_prefix(served, "pagemap-");
	EXPECT_FALSE(pages.empty());
	EXPECT_FALSE(pagemaps.empty());
	for (const auto &name : files_with_prefix(served, "")) {
		if (name.size() < 4 || name.compare(name.size() - 4, 4, ".img") != 0)
			continue;
		ASSERT_FALSE(path_exists(images + "/" + name)) << name << " is in both directories";
		CmdResult cp = run({"cp", served + "/" + name, images + "/" + name});
		ASSERT_TRUE(cp.ok()) << cp.output;
	}

	pid_t pid2 = 0;
	err = restore(c, images, &pid2);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid2, 0);
	EXPECT_EQ(c.ask("b"), "b 2");
	EXPECT_EQ(c.ask("c"), "c 3");
}

// 4. A container in a named network namespace (the config gives its path):
//    the checkpoint names it external, the restore hands it back, and the
//    restored init is in that very namespace. The same when the caller also
//    puts the network namespace in the empty set, as runc's --empty-ns
//    network does: runc records the named namespace as external either way.
class ExternalNetworkNamespace : public CriuCapabilities, public ::testing::WithParamInterface<bool> {};

TEST_P(ExternalNetworkNamespace, RestoredInitIsInTheNamedNamespace)
{
	const bool empty_net = GetParam();
	NamedNetns ns("ccr-e2e-" + std::to_string(getpid()) + "-" + std::to_string(netns_counter++));
	const ino_t ino = ns.inode();
	ContainerOptions opts;
	opts.namespace_paths["network"] = ns.path();
	Container c(opts);
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const pid_t pid1 = c.pid();
	ASSERT_EQ(ns_inode(pid1, "net"), ino);
	auto empty = [&](ccr_options *o) {
		if (empty_net)
			ASSERT_TRUE(ccr_ok(ccr_options_set_empty_ns(o, CLONE_NEWNET)));
	};

	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images, empty);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(pid1));
	// CRIU did not dump the namespace: its image only records the key
	// the restore must hand it back under.
	std::string netns_images;
	for (const auto &name : files_with_prefix(images, "netns-"))
		netns_images += read_file(images + "/" + name);
	EXPECT_TRUE(contains(netns_images, "extRootNetNS")) << "no netns image names extRootNetNS";

	pid_t pid2 = 0;
	err = restore(c, images, &pid2, empty);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid2, 0);
	EXPECT_EQ(ns_inode(pid2, "net"), ino);
	EXPECT_NE(ns_inode(pid2, "net"), ns_inode(getpid(), "net"));
	EXPECT_EQ(c.ask("b"), "b 2");
}

INSTANTIATE_TEST_SUITE_P(EmptySet, ExternalNetworkNamespace, ::testing::Bool(),
			 [](const auto &info) { return info.param ? "also_empty" : "alone"; });

// 5. A container with a terminal (runc --console-socket): checkpointed with
//    its pty master outside the tree, restored with a console socket that
//    receives the new master, through which the shell answers.
TEST_F(CriuCapabilities, TerminalThroughConsoleSocket)
{
	TempDir sock_dir("ccr-e2e-console");
	ConsoleSocket console(sock_dir / "console.sock");
	ContainerOptions opts;
	opts.terminal = true;
	opts.console_socket = console.path();
	// No echo, so each answer is the next line on the master.
	opts.args = {"sh", "-c",
		     "stty -echo; echo ready; i=0; while read line; do i=$((i+1)); echo \"$line $i\"; done"};
	Container c(opts);
	c.start();
	Terminal tty(console.receive());
	ASSERT_EQ(tty.read_line(), "ready");
	ASSERT_EQ(tty.ask("a"), "a 1");
	const pid_t pid1 = c.pid();

	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(pid1));
	EXPECT_TRUE(contains(read_file(images + "/descriptors.json"), "/dev/pts/"))
		<< read_file(images + "/descriptors.json");

	NotifyRecorder rec;
	pid_t pid2 = 0;
	err = restore(c, images, &pid2, [&](ccr_options *o) {
		EXPECT_CCR_OK(ccr_options_set_console_socket(o, console.path().c_str()));
		EXPECT_CCR_OK(rec.install(o));
	});
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid2, 0);
	auto it = std::find(rec.scripts.begin(), rec.scripts.end(), "orphan-pts-master");
	ASSERT_NE(it, rec.scripts.end()) << join(rec.scripts);
	EXPECT_GE(rec.fds[it - rec.scripts.begin()], 0);

	std::string payload;
	Terminal tty2(console.receive(10s, &payload));
	EXPECT_EQ(payload, "orphan-pts-master");
	EXPECT_EQ(tty2.ask("b"), "b 2");
	EXPECT_EQ(tty2.ask("c"), "c 3");
}

// 6. A restore into another cgroup path with CRIU's cgroup handling off:
//    every v1 controller shows the new path, and the old one stays gone.
TEST_F(CriuCapabilities, RestoreIntoAnotherCgroup)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const pid_t pid1 = c.pid();
	ASSERT_EQ(proc_cgroups(pid1)[cgroup_v2_host() ? "" : "memory"], c.cgroup_path());

	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(pid1));
	// runc forgets the stopped container and removes its cgroups.
	c.delete_runc_container();
	// Each v1 hierarchy's directory name, or on v2 the one hierarchy ("").
	std::vector<std::string> hierarchies{""};
	if (!cgroup_v2_host()) {
		hierarchies = files_with_prefix("/sys/fs/cgroup", "");
		hierarchies.erase(std::remove_if(hierarchies.begin(), hierarchies.end(),
						 [](const std::string &h) { return h == "." || h == ".."; }),
				  hierarchies.end());
	}
	for (const auto &h : hierarchies)
		ASSERT_FALSE(path_exists(cgroup_dir(h, c.cgroup_path()))) << h;

	const std::string other = "/ccr-e2e/other-" + c.id();
	c.also_clean_cgroup(other);
	pid_t pid2 = 0;
	err = restore(
		c, images, &pid2,
		[](ccr_options *o) { EXPECT_CCR_OK(ccr_options_set_cgroup_mode(o, CCR_CGROUP_IGNORE)); },
		[&](ccr_container *h) { EXPECT_CCR_OK(ccr_container_set_cgroup_path(h, nullptr, other.c_str())); });
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid2, 0);

	auto cgroups = proc_cgroups(pid2);
	if (cgroup_v2_host()) {
		// One hierarchy: the v2 line shows the new path, the old cgroup
		// stays gone. (The v1 lines /proc still lists are the hybrid
		// host's, outside the v2 view: nobody manages them here.)
		EXPECT_EQ(cgroups[""], other);
		EXPECT_FALSE(path_exists(cgroup_dir("", c.cgroup_path()))) << "recreated";
		EXPECT_EQ(c.ask("b"), "b 2");
		return;
	}
	std::vector<std::string> v1;
	for (const auto &[controllers, path] : cgroups) {
		if (controllers.empty())
			continue; // the v2 line
		v1.push_back(controllers);
		EXPECT_EQ(path, other) << controllers;
	}
	for (const char *must : {"memory", "pids", "freezer"})
		EXPECT_NE(std::find(v1.begin(), v1.end(), must), v1.end()) << must << " missing in " << join(v1);
	EXPECT_TRUE(std::any_of(v1.begin(), v1.end(), [](auto &s) { return contains(s, "cpu"); })) << join(v1);
	// The v2 line (the unified tree of a hybrid host, or the only tree of a
	// v2 host) shows the new path too: ccr puts CRIU there as runc put the
	// original, and with CRIU's cgroup handling off the restored init stays.
	EXPECT_EQ(cgroups[""], other) << "the unified tree";
	for (const auto &h : hierarchies)
		EXPECT_FALSE(path_exists(cgroup_dir(h, c.cgroup_path()))) << "recreated in " << h;

	// Inside, /sys/fs/cgroup/<controller> are binds of the container's own
	// cgroups: they follow it to the new path.
	std::istringstream mountinfo(read_file("/proc/" + std::to_string(pid2) + "/mountinfo"));
	int cgroup_mounts = 0;
	for (std::string line; std::getline(mountinfo, line);) {
		std::istringstream f(line);
		std::string id, parent, dev, root, mountpoint;
		f >> id >> parent >> dev >> root >> mountpoint;
		if (mountpoint.rfind("/sys/fs/cgroup/", 0) != 0 || !contains(line, " - cgroup "))
			continue;
		cgroup_mounts++;
		EXPECT_EQ(root, other) << line;
	}
	EXPECT_GE(cgroup_mounts, 3);
	EXPECT_EQ(c.ask("b"), "b 2");
}

// 2g. A lazy restore whose page source stops serving (the `criu lazy-pages`
//     daemon is stopped, as a daemon whose own page server failed would
//     hang): the restored processes wait in a userfault that nobody answers.
//     The restore, run without a time limit, fails within ccr's stated bound
//     (kLazyPageStall, 10 s, checked every 0.5 s) naming the stalled page
//     source, and leaves nothing behind. The test guards itself: past 60 s
//     it reports the hang and cancels the restore.
TEST_F(CriuCapabilities, LazyRestoreWhosePageSourceStopsFailsWithinTheBound)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const pid_t pid1 = c.pid();
	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(pid1));
	c.delete_runc_container();

	CriuDaemon lazy({"lazy-pages", "-D", images, "-o", "lazy-pages.log", "-v4"}, c.dir() / "lazy-pages.out");
	ASSERT_TRUE(path_exists(images + "/lazy-pages.socket"));
	// Listening, but it will never answer: the connection queues, the
	// userfaultfd is sent, and no page ever comes back.
	ASSERT_EQ(kill(lazy.pid(), SIGSTOP), 0);

	std::atomic<ccr_options *> opts{nullptr};
	pid_t pid2 = 0;
	auto start = std::chrono::steady_clock::now();
	std::future<ErrorPtr> rst = std::async(std::launch::async, [&] {
		return restore(c, images, &pid2, [&](ccr_options *o) {
			EXPECT_CCR_OK(ccr_options_set_lazy_pages(o, 1));
			opts.store(o); // no time limit: the bound must come from ccr
		});
	});
	bool hung = rst.wait_for(60s) != std::future_status::ready;
	if (hung && opts.load())
		ccr_error_free(ccr_options_cancel(opts.load()));
	err = rst.get();
	auto took = std::chrono::steady_clock::now() - start;
	ASSERT_FALSE(hung) << "the lazy restore hung for 60 s with its page source stopped (canceled by the test)";
	ASSERT_TRUE(err) << "a lazy restore whose page source is stopped succeeded";
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_TIMEOUT) << describe(err);
	EXPECT_TRUE(contains(message_of(err), "no page came from the lazy-pages daemon")) << describe(err);
	EXPECT_LT(took, 30s);
	EXPECT_GE(took, 9s) << "failed before the stated bound of 10 s";
	EXPECT_EQ(pid2, 0);
	EXPECT_EQ(stray_criu({lazy.pid()}), std::vector<pid_t>{});
	EXPECT_TRUE(children_named("sh").empty()) << "a restored process was left behind";

	// The page source comes back to life, finds its client gone; a plain
	// restore of the same images still works.
	kill(lazy.pid(), SIGKILL);
	err = restore(c, images, &pid2);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_EQ(c.ask("b"), "b 2");
}
