// SPDX-License-Identifier: Apache-2.0
// Every field of CRIU's criu_opts, reached from the C ABI: for each field a
// case says how a caller sets it (the ccr_options_* setter) or how ccr sets it
// itself (from the container, the config, or always), and which request
// carries it. Each case is applied to a fresh ccr_options handle, the dump and
// restore requests are built the way ccr_checkpoint()/ccr_restore() build them
// (same plan steps for the option-dependent parts, same request builders), and
// compared field by field with the requests a default handle gives: exactly
// the expected fields must change, to exactly the expected values. So a
// setter wired to a neighbouring field, one that drags another field along,
// or one that is silently dropped all fail.
//
// CriuOptsCoverage.EveryFieldHasACase fails when criu_opts gains a field (a
// new CRIU option copied into proto/rpc.proto) that no case covers.
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "builtin_notify.hpp"
#include "capi_internal.hpp"
#include "criu_config_file.hpp"
#include "criu_process.hpp"
#include "namespaces.hpp"
#include "oci_config.hpp"
#include "request_builder.hpp"

namespace {

namespace criu = ccr::criu;
namespace pb = google::protobuf;

// ---- a C caller's options handle, and the plans an operation would make -------

void ok(ccr_error *err, const char *what)
{
	if (err) {
		ADD_FAILURE() << what << " failed: " << ccr_error_message(err);
		ccr_error_free(err);
	}
}
#define OK(call) ok(call, #call)

// No /etc/criu/ccr.conf or runc.conf, whatever the test machine has.
bool no_default_config_files(const std::string &)
{
	return false;
}

struct Ctx {
	ccr_options *h = nullptr;
	ccr::DumpPlan dump;       // what checkpoint() works out from the container
	ccr::RestorePlan restore; // what restore() works out
	ccr::OciConfig config;    // the container's config.json
	std::vector<int> fds;     // the caller's descriptors, closed at the end

	Ctx() { OK(ccr_options_new(&h)); }
	~Ctx()
	{
		ccr_options_free(h);
		for (int fd : fds)
			::close(fd);
	}
	Ctx(const Ctx &) = delete;
	Ctx &operator=(const Ctx &) = delete;

	// A connected socket of the caller's (page server, pidfd store, ...).
	int socket()
	{
		int sv[2];
		if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
			ADD_FAILURE() << "socketpair: " << errno;
			return -1;
		}
		fds.push_back(sv[0]);
		fds.push_back(sv[1]);
		return sv[0];
	}
	// The write end of a pipe, as a status descriptor would be. Handed over:
	// the options own (and close) it once set.
	int pipe_write_end()
	{
		int p[2];
		if (::pipe2(p, O_CLOEXEC) != 0) {
			ADD_FAILURE() << "pipe2: " << errno;
			return -1;
		}
		fds.push_back(p[0]);
		return p[1];
	}

	const ccr::Options &opts() const { return h->opts; }

	// checkpoint()'s option-dependent plan steps (cpp/checkpoint.cpp), then
	// the request it sends.
	criu::criu_req build_dump() const
	{
		const ccr::Options &o = opts();
		ccr::DumpPlan plan = dump;
		plan.config_file = ccr::choose_criu_config_file(o, config, no_default_config_files);
		// chosen_freezer(): the caller's cgroup ("" = none) instead of the
		// container's own, which the plan already holds.
		if (o.freeze_cgroup)
			plan.freeze_cgroup = *o.freeze_cgroup;
		ccr::CriuLaunch launch;
		if (o.page_server.fd >= 0)
			plan.page_server_fd = launch.pass(o.page_server.fd);
		if (o.pidfd_store_fd >= 0)
			plan.pidfd_store_fd = launch.pass(o.pidfd_store_fd);
		return ccr::build_dump_request(o, plan);
	}

	// restore()'s option-dependent plan steps (cpp/restore.cpp).
	criu::criu_req build_restore() const
	{
		const ccr::Options &o = opts();
		ccr::RestorePlan plan = restore;
		plan.config_file = ccr::choose_criu_config_file(o, config, no_default_config_files);
		ccr::CriuLaunch launch;
		for (const auto &entry : ccr::caller_inherit_fds(o, [&](int fd) { return launch.pass(fd); }))
			plan.inherit_fds.push_back(entry);
		return ccr::build_restore_request(o, plan);
	}
};

// ---- the table -------------------------------------------------------------------

enum class Kind {
	Setter,  // a ccr_options_* setter (through the C ABI)
	Derived, // ccr works it out from the container, its config or the operation
	Default, // ccr always sends it, nothing to set
	Never,   // ccr never sends it; `how` says why
};

struct Case {
	const char *field; // the criu_opts field this case proves
	Kind kind;
	const char *how;
	std::function<void(Ctx &)> apply; // nullptr for Default
	// criu_opts in text format. Setter, Derived, Never: exactly the fields
	// that differ from a default handle's request, with their values ("" =
	// this request ignores the setting). Default: fields the default
	// request must hold with these values; the case's own field must be
	// absent from a request whose text does not name it.
	const char *dump;
	const char *restore;
};

const std::vector<Case> &cases()
{
	static const std::vector<Case> table = {
		// 1
		{"images_dir_fd", Kind::Derived,
		 "ccr opens ccr_options_set_images_dir()'s directory and passes the descriptor",
		 [](Ctx &c) {
			 c.dump.images_dir_fd = 11;
			 c.restore.images_dir_fd = 21;
		 },
		 "images_dir_fd: 11", "images_dir_fd: 21"},
		// 2
		{"pid", Kind::Derived, "ccr_container_set_pid(), checkpoint only", [](Ctx &c) { c.dump.pid = 4242; },
		 "pid: 4242", ""},
		// 3
		{"leave_running", Kind::Setter, "ccr_options_set_leave_running",
		 [](Ctx &c) { OK(ccr_options_set_leave_running(c.h, 1)); }, "leave_running: true", ""},
		// 4
		{"ext_unix_sk", Kind::Setter, "ccr_options_set_ext_unix_sk",
		 [](Ctx &c) { OK(ccr_options_set_ext_unix_sk(c.h, 1)); }, "ext_unix_sk: true", "ext_unix_sk: true"},
		// 5
		{"tcp_established", Kind::Setter, "ccr_options_set_tcp_established",
		 [](Ctx &c) { OK(ccr_options_set_tcp_established(c.h, 1)); }, "tcp_established: true",
		 "tcp_established: true"},
		// 6
		{"evasive_devices", Kind::Default, "on by default on restore, as runc", nullptr, "",
		 "evasive_devices: true"},
		{"evasive_devices", Kind::Setter, "ccr_options_set_evasive_devices",
		 [](Ctx &c) { OK(ccr_options_set_evasive_devices(c.h, 0)); }, "", "evasive_devices: false"},
		// 7
		{"shell_job", Kind::Setter, "ccr_options_set_shell_job",
		 [](Ctx &c) { OK(ccr_options_set_shell_job(c.h, 1)); }, "shell_job: true", "shell_job: true"},
		// 8
		{"file_locks", Kind::Setter, "ccr_options_set_file_locks",
		 [](Ctx &c) { OK(ccr_options_set_file_locks(c.h, 1)); }, "file_locks: true", "file_locks: true"},
		// 9
		{"log_level", Kind::Default, "4 (debug) unless set, as runc", nullptr, "log_level: 4", "log_level: 4"},
		{"log_level", Kind::Setter, "ccr_options_set_log_level",
		 [](Ctx &c) { OK(ccr_options_set_log_level(c.h, 1)); }, "log_level: 1", "log_level: 1"},
		// 10
		{"log_file", Kind::Default, "named after the operation", nullptr, R"(log_file: "dump.log")",
		 R"(log_file: "restore.log")"},
		{"log_file", Kind::Setter, "ccr_options_set_log_file",
		 [](Ctx &c) { OK(ccr_options_set_log_file(c.h, "web1-cr.log")); }, R"(log_file: "web1-cr.log")",
		 R"(log_file: "web1-cr.log")"},
		// 11
		{"ps", Kind::Setter, "ccr_options_set_page_server",
		 [](Ctx &c) { OK(ccr_options_set_page_server(c.h, "10.0.0.2", 1234)); },
		 R"(ps { address: "10.0.0.2" port: 1234 })", ""},
		{"ps", Kind::Setter, "ccr_options_set_page_server_fd (the socket becomes CRIU's fd 4)",
		 [](Ctx &c) { OK(ccr_options_set_page_server_fd(c.h, c.socket())); }, "ps { fd: 4 }", ""},
		// 12
		{"notify_scripts", Kind::Default,
		 "always: the notify callback, status-ready, the console socket and the restored pid need it", nullptr,
		 "notify_scripts: true", "notify_scripts: true"},
		// 13
		{"root", Kind::Derived,
		 "the container's rootfs on checkpoint; ccr's private bind of it on restore (ccr_container_set_rootfs "
		 "or root.path)",
		 [](Ctx &c) {
			 c.dump.root = "/var/lib/ccr/web1/rootfs";
			 c.restore.root = "/run/ccr/web1-x/root";
		 },
		 R"(root: "/var/lib/ccr/web1/rootfs")", R"(root: "/run/ccr/web1-x/root")"},
		// 14
		{"parent_img", Kind::Setter, "ccr_options_set_parent_path (implies track_mem)",
		 [](Ctx &c) { OK(ccr_options_set_parent_path(c.h, "../pre1")); },
		 R"(parent_img: "../pre1" track_mem: true)", ""},
		// 15
		{"track_mem", Kind::Setter, "ccr_options_set_track_mem",
		 [](Ctx &c) { OK(ccr_options_set_track_mem(c.h, 1)); }, "track_mem: true", ""},
		{"track_mem", Kind::Setter, "ccr_options_set_pre_dump (a PRE_DUMP request, with its own log)",
		 [](Ctx &c) { OK(ccr_options_set_pre_dump(c.h, 1)); }, R"(track_mem: true log_file: "pre-dump.log")",
		 ""},
		// 16
		{"auto_dedup", Kind::Setter, "ccr_options_set_auto_dedup",
		 [](Ctx &c) { OK(ccr_options_set_auto_dedup(c.h, 1)); }, "auto_dedup: true", "auto_dedup: true"},
		// 17
		{"work_dir_fd", Kind::Derived,
		 "ccr opens ccr_options_set_work_dir()'s directory (default: the images directory)",
		 [](Ctx &c) {
			 c.dump.work_dir_fd = 12;
			 c.restore.work_dir_fd = 22;
		 },
		 "work_dir_fd: 12", "work_dir_fd: 22"},
		// 18
		{"link_remap", Kind::Setter, "ccr_options_set_link_remap",
		 [](Ctx &c) { OK(ccr_options_set_link_remap(c.h, 1)); }, "link_remap: true", ""},
		// 19
		{"veths", Kind::Setter, "ccr_options_add_veth_pair",
		 [](Ctx &c) { OK(ccr_options_add_veth_pair(c.h, "eth0", "veth-web1")); }, "",
		 R"(veths { if_in: "eth0" if_out: "veth-web1" })"},
		// 20
		{"cpu_cap", Kind::Setter, "ccr_options_set_cpu_cap (0 is sent too)",
		 [](Ctx &c) { OK(ccr_options_set_cpu_cap(c.h, 0)); }, "cpu_cap: 0", "cpu_cap: 0"},
		// 21
		{"force_irmap", Kind::Setter, "ccr_options_set_force_irmap",
		 [](Ctx &c) { OK(ccr_options_set_force_irmap(c.h, 1)); }, "force_irmap: true", ""},
		// 22
		{"exec_cmd", Kind::Setter, "ccr_options_add_exec_cmd, one argument per call",
		 [](Ctx &c) {
			 OK(ccr_options_add_exec_cmd(c.h, "/usr/bin/announce"));
			 OK(ccr_options_add_exec_cmd(c.h, "--restored"));
		 },
		 "", R"(exec_cmd: "/usr/bin/announce" exec_cmd: "--restored")"},
		// 23
		{"ext_mnt", Kind::Setter, "ccr_options_add_ext_mount",
		 [](Ctx &c) { OK(ccr_options_add_ext_mount(c.h, "/data", "vol-data")); },
		 R"(ext_mnt { key: "/data" val: "vol-data" })", R"(ext_mnt { key: "/data" val: "vol-data" })"},
		{"ext_mnt", Kind::Derived,
		 "from the config: bind mounts, v1 cgroup binds, masked files, devices (external_mounts_test.cpp)",
		 [](Ctx &c) {
			 c.dump.ext_mounts = {{"/etc/hosts", "/etc/hosts"}};
			 c.restore.ext_mounts = {{"/etc/hosts", "/var/lib/web1/hosts"}};
		 },
		 R"(ext_mnt { key: "/etc/hosts" val: "/etc/hosts" })",
		 R"(ext_mnt { key: "/etc/hosts" val: "/var/lib/web1/hosts" })"},
		// 24
		{"manage_cgroups", Kind::Default, "always: CRIU records and restores the container's cgroups",
		 nullptr, "manage_cgroups: true", "manage_cgroups: true"},
		// 25
		{"cg_root", Kind::Setter, "ccr_options_add_cgroup_root with a controller",
		 [](Ctx &c) { OK(ccr_options_add_cgroup_root(c.h, "cpu", "/ccr/cpu-web1")); }, "",
		 R"(cg_root { ctrl: "cpu" path: "/ccr/cpu-web1" })"},
		{"cg_root", Kind::Setter, "ccr_options_add_cgroup_root(NULL controller): every controller",
		 [](Ctx &c) { OK(ccr_options_add_cgroup_root(c.h, nullptr, "/ccr/all")); }, "",
		 R"(cg_root { path: "/ccr/all" })"},
		{"cg_root", Kind::Derived,
		 "the container's cgroups, read back from CRIU's own /proc/<pid>/cgroup after ccr placed it "
		 "(CgroupPlacement::roots_of)",
		 [](Ctx &c) { c.restore.cgroup_roots = {{"memory", "/ccr/web1"}}; }, "",
		 R"(cg_root { ctrl: "memory" path: "/ccr/web1" })"},
		// 26
		{"rst_sibling", Kind::Default, "always on restore: the restored init is the caller's child", nullptr,
		 "", "rst_sibling: true"},
		// 27
		{"inherit_fd", Kind::Setter, "ccr_options_add_inherit_fd (the descriptor becomes CRIU's fd 4)",
		 [](Ctx &c) { OK(ccr_options_add_inherit_fd(c.h, "file[1f:4242]", c.socket())); }, "",
		 R"(inherit_fd { key: "file[1f:4242]" fd: 4 })"},
		{"inherit_fd", Kind::Derived,
		 "pipes among the container's stdio (descriptors.json) -> CRIU's fd 0..2; external net/pid "
		 "namespaces -> extRootNetNS/extRootPidNS",
		 [](Ctx &c) { c.restore.inherit_fds = {{"pipe:[4242]", 1}, {"extRootNetNS", 4}}; }, "",
		 R"(inherit_fd { key: "pipe:[4242]" fd: 1 } inherit_fd { key: "extRootNetNS" fd: 4 })"},
		// 28
		{"auto_ext_mnt", Kind::Setter, "ccr_options_set_auto_ext_mnt",
		 [](Ctx &c) { OK(ccr_options_set_auto_ext_mnt(c.h, 1)); }, "auto_ext_mnt: true", "auto_ext_mnt: true"},
		// 29
		{"ext_sharing", Kind::Setter, "ccr_options_set_ext_sharing",
		 [](Ctx &c) { OK(ccr_options_set_ext_sharing(c.h, 1)); }, "ext_sharing: true", "ext_sharing: true"},
		// 30
		{"ext_masters", Kind::Setter, "ccr_options_set_ext_masters",
		 [](Ctx &c) { OK(ccr_options_set_ext_masters(c.h, 1)); }, "ext_masters: true", "ext_masters: true"},
		// 31
		{"skip_mnt", Kind::Setter, "ccr_options_add_skip_mount",
		 [](Ctx &c) { OK(ccr_options_add_skip_mount(c.h, "/proc/sys/fs/binfmt_misc")); },
		 R"(skip_mnt: "/proc/sys/fs/binfmt_misc")", ""},
		// 32
		{"enable_fs", Kind::Setter, "ccr_options_add_enable_fs",
		 [](Ctx &c) { OK(ccr_options_add_enable_fs(c.h, "fuse")); }, R"(enable_fs: "fuse")",
		 R"(enable_fs: "fuse")"},
		// 33
		{"unix_sk_ino", Kind::Setter, "ccr_options_add_unix_sk_inode",
		 [](Ctx &c) { OK(ccr_options_add_unix_sk_inode(c.h, 424242)); }, "unix_sk_ino { inode: 424242 }", ""},
		// 34
		{"manage_cgroups_mode", Kind::Setter, "ccr_options_set_cgroup_mode",
		 [](Ctx &c) { OK(ccr_options_set_cgroup_mode(c.h, CCR_CGROUP_STRICT)); }, "manage_cgroups_mode: STRICT",
		 "manage_cgroups_mode: STRICT"},
		// 35
		{"ghost_limit", Kind::Setter, "ccr_options_set_ghost_limit (0 is sent too)",
		 [](Ctx &c) { OK(ccr_options_set_ghost_limit(c.h, 0)); }, "ghost_limit: 0", "ghost_limit: 0"},
		// 36
		{"irmap_scan_paths", Kind::Setter, "ccr_options_add_irmap_scan_path",
		 [](Ctx &c) { OK(ccr_options_add_irmap_scan_path(c.h, "/var/lib/app")); },
		 R"(irmap_scan_paths: "/var/lib/app")", ""},
		// 37
		{"external", Kind::Setter, "ccr_options_add_external",
		 [](Ctx &c) { OK(ccr_options_add_external(c.h, "dev[8/1]:disk")); }, R"(external: "dev[8/1]:disk")",
		 R"(external: "dev[8/1]:disk")"},
		{"external", Kind::Derived, "net/pid namespaces the config gives by path (dump_external_namespaces)",
		 [](Ctx &c) { c.dump.external = {"net[4026532008]:extRootNetNS"}; },
		 R"(external: "net[4026532008]:extRootNetNS")", ""},
		// 38
		{"empty_ns", Kind::Setter, "ccr_options_set_empty_ns(CLONE_NEWNET)",
		 [](Ctx &c) { OK(ccr_options_set_empty_ns(c.h, CLONE_NEWNET)); }, "empty_ns: 0x40000000",
		 "empty_ns: 0x40000000"},
		// 39
		{"join_ns", Kind::Setter, "ccr_options_add_join_ns",
		 [](Ctx &c) { OK(ccr_options_add_join_ns(c.h, "user", "/proc/77/ns/user", "1000,1000")); }, "",
		 R"(join_ns { ns: "user" ns_file: "/proc/77/ns/user" extra_opt: "1000,1000" })"},
		{"join_ns", Kind::Derived, "other namespaces the config gives by path (restore_namespaces)",
		 [](Ctx &c) { c.restore.join_ns = {{"ipc", "/proc/77/ns/ipc"}}; }, "",
		 R"(join_ns { ns: "ipc" ns_file: "/proc/77/ns/ipc" })"},
		// 41. CRIU reads cgroup_props(_file) only while dumping.
		{"cgroup_props", Kind::Setter, "ccr_options_set_cgroup_props",
		 [](Ctx &c) { OK(ccr_options_set_cgroup_props(c.h, "\"cpu\":\n - \"strategy\": \"merge\"\n")); },
		 R"(cgroup_props: "\"cpu\":\n - \"strategy\": \"merge\"\n")", ""},
		// 42
		{"cgroup_props_file", Kind::Setter, "ccr_options_set_cgroup_props_file",
		 [](Ctx &c) { OK(ccr_options_set_cgroup_props_file(c.h, "/etc/criu/cgroup-props.yaml")); },
		 R"(cgroup_props_file: "/etc/criu/cgroup-props.yaml")", ""},
		// 43
		{"cgroup_dump_controller", Kind::Setter, "ccr_options_add_cgroup_dump_controller",
		 [](Ctx &c) { OK(ccr_options_add_cgroup_dump_controller(c.h, "memory")); },
		 R"(cgroup_dump_controller: "memory")", ""},
		// 44
		{"freeze_cgroup", Kind::Setter, "ccr_options_set_freeze_cgroup",
		 [](Ctx &c) { OK(ccr_options_set_freeze_cgroup(c.h, "/sys/fs/cgroup/freezer/other")); },
		 R"(freeze_cgroup: "/sys/fs/cgroup/freezer/other")", ""},
		{"freeze_cgroup", Kind::Derived, "the container's own freezer, found from its pid (freezer_of)",
		 [](Ctx &c) { c.dump.freeze_cgroup = "/sys/fs/cgroup/ccr/web1"; },
		 R"(freeze_cgroup: "/sys/fs/cgroup/ccr/web1")", ""},
		// 45
		{"timeout", Kind::Setter, "ccr_options_set_criu_timeout",
		 [](Ctx &c) { OK(ccr_options_set_criu_timeout(c.h, 30)); }, "timeout: 30", "timeout: 30"},
		// 46
		{"tcp_skip_in_flight", Kind::Setter, "ccr_options_set_tcp_skip_in_flight",
		 [](Ctx &c) { OK(ccr_options_set_tcp_skip_in_flight(c.h, 1)); }, "tcp_skip_in_flight: true", ""},
		// 47
		{"weak_sysctls", Kind::Setter, "ccr_options_set_weak_sysctls",
		 [](Ctx &c) { OK(ccr_options_set_weak_sysctls(c.h, 1)); }, "", "weak_sysctls: true"},
		// 48
		{"lazy_pages", Kind::Setter, "ccr_options_set_lazy_pages",
		 [](Ctx &c) { OK(ccr_options_set_lazy_pages(c.h, 1)); }, "lazy_pages: true", "lazy_pages: true"},
		// 49
		{"status_fd", Kind::Never,
		 "ccr_options_set_status_fd: ccr writes the byte itself at CRIU's status-ready notification, as "
		 "runc does for CRIU >= 3.15",
		 [](Ctx &c) { OK(ccr_options_set_status_fd(c.h, c.pipe_write_end())); }, "", ""},
		// 50
		{"orphan_pts_master", Kind::Default,
		 "always: CRIU hands the terminal master over (to the console socket and the callback)", nullptr,
		 "orphan_pts_master: true", "orphan_pts_master: true"},
		// 51
		{"config_file", Kind::Setter, "ccr_options_set_criu_config_file",
		 [](Ctx &c) { OK(ccr_options_set_criu_config_file(c.h, "/etc/criu/web1.conf")); },
		 R"(config_file: "/etc/criu/web1.conf")", R"(config_file: "/etc/criu/web1.conf")"},
		{"config_file", Kind::Derived,
		 "the config's org.criu.config annotation, else /etc/criu/ccr.conf, else /etc/criu/runc.conf",
		 [](Ctx &c) { c.config.annotations["org.criu.config"] = "/srv/criu/web1.conf"; },
		 R"(config_file: "/srv/criu/web1.conf")", R"(config_file: "/srv/criu/web1.conf")"},
		// 52
		{"tcp_close", Kind::Setter, "ccr_options_set_tcp_close",
		 [](Ctx &c) { OK(ccr_options_set_tcp_close(c.h, 1)); }, "", "tcp_close: true"},
		// 53
		{"lsm_profile", Kind::Setter, "ccr_options_set_lsm_profile",
		 [](Ctx &c) { OK(ccr_options_set_lsm_profile(c.h, "apparmor:ccr-web1")); }, "",
		 R"(lsm_profile: "apparmor:ccr-web1")"},
		// 54
		{"tls_cacert", Kind::Setter, "ccr_options_set_tls(enable, cacert, ...)",
		 [](Ctx &c) { OK(ccr_options_set_tls(c.h, 1, "/etc/pki/ca.pem", nullptr, nullptr, nullptr, 0)); },
		 R"(tls: true tls_cacert: "/etc/pki/ca.pem")", R"(tls: true tls_cacert: "/etc/pki/ca.pem")"},
		// 55
		{"tls_cacrl", Kind::Setter, "ccr_options_set_tls(enable, _, cacrl, ...)",
		 [](Ctx &c) { OK(ccr_options_set_tls(c.h, 1, nullptr, "/etc/pki/crl.pem", nullptr, nullptr, 0)); },
		 R"(tls: true tls_cacrl: "/etc/pki/crl.pem")", R"(tls: true tls_cacrl: "/etc/pki/crl.pem")"},
		// 56
		{"tls_cert", Kind::Setter, "ccr_options_set_tls(enable, _, _, cert, ...)",
		 [](Ctx &c) { OK(ccr_options_set_tls(c.h, 1, nullptr, nullptr, "/etc/pki/cert.pem", nullptr, 0)); },
		 R"(tls: true tls_cert: "/etc/pki/cert.pem")", R"(tls: true tls_cert: "/etc/pki/cert.pem")"},
		// 57
		{"tls_key", Kind::Setter, "ccr_options_set_tls(enable, _, _, _, key, _)",
		 [](Ctx &c) { OK(ccr_options_set_tls(c.h, 1, nullptr, nullptr, nullptr, "/etc/pki/key.pem", 0)); },
		 R"(tls: true tls_key: "/etc/pki/key.pem")", R"(tls: true tls_key: "/etc/pki/key.pem")"},
		// 58
		{"tls", Kind::Setter, "ccr_options_set_tls(1, NULL, NULL, NULL, NULL, 0)",
		 [](Ctx &c) { OK(ccr_options_set_tls(c.h, 1, nullptr, nullptr, nullptr, nullptr, 0)); }, "tls: true",
		 "tls: true"},
		// 59
		{"tls_no_cn_verify", Kind::Setter, "ccr_options_set_tls(enable, ..., no_cn_verify)",
		 [](Ctx &c) { OK(ccr_options_set_tls(c.h, 1, nullptr, nullptr, nullptr, nullptr, 1)); },
		 "tls: true tls_no_cn_verify: true", "tls: true tls_no_cn_verify: true"},
		// 60
		{"cgroup_yard", Kind::Setter, "ccr_options_set_cgroup_yard",
		 [](Ctx &c) { OK(ccr_options_set_cgroup_yard(c.h, "/run/ccr/yard")); }, "",
		 R"(cgroup_yard: "/run/ccr/yard")"},
		// 61
		{"pre_dump_mode", Kind::Setter, "ccr_options_set_pre_dump_mode(CCR_PRE_DUMP_READ)",
		 [](Ctx &c) { OK(ccr_options_set_pre_dump_mode(c.h, CCR_PRE_DUMP_READ)); }, "pre_dump_mode: VM_READ",
		 ""},
		{"pre_dump_mode", Kind::Setter, "ccr_options_set_pre_dump_mode(CCR_PRE_DUMP_SPLICE)",
		 [](Ctx &c) { OK(ccr_options_set_pre_dump_mode(c.h, CCR_PRE_DUMP_SPLICE)); }, "pre_dump_mode: SPLICE",
		 ""},
		// 62
		{"pidfd_store_sk", Kind::Setter, "ccr_options_set_pidfd_store_fd (the socket becomes CRIU's fd 4)",
		 [](Ctx &c) { OK(ccr_options_set_pidfd_store_fd(c.h, c.socket())); }, "pidfd_store_sk: 4", ""},
		// 63
		{"lsm_mount_context", Kind::Setter, "ccr_options_set_lsm_mount_context",
		 [](Ctx &c) {
			 OK(ccr_options_set_lsm_mount_context(c.h, "system_u:object_r:container_file_t:s0:c1,c2"));
		 },
		 "", R"(lsm_mount_context: "system_u:object_r:container_file_t:s0:c1,c2")"},
		// 64
		{"network_lock", Kind::Setter, "ccr_options_set_network_lock(CCR_NETWORK_LOCK_NFTABLES)",
		 [](Ctx &c) { OK(ccr_options_set_network_lock(c.h, CCR_NETWORK_LOCK_NFTABLES)); },
		 "network_lock: NFTABLES", ""},
		{"network_lock", Kind::Setter, "ccr_options_set_network_lock(CCR_NETWORK_LOCK_SKIP)",
		 [](Ctx &c) { OK(ccr_options_set_network_lock(c.h, CCR_NETWORK_LOCK_SKIP)); }, "network_lock: SKIP", ""},
		{"network_lock", Kind::Setter, "ccr_options_set_network_lock(CCR_NETWORK_LOCK_IPTABLES)",
		 [](Ctx &c) { OK(ccr_options_set_network_lock(c.h, CCR_NETWORK_LOCK_IPTABLES)); },
		 "network_lock: IPTABLES", ""},
		// 65
		{"mntns_compat_mode", Kind::Setter, "ccr_options_set_mntns_compat_mode",
		 [](Ctx &c) { OK(ccr_options_set_mntns_compat_mode(c.h, 1)); }, "", "mntns_compat_mode: true"},
		// 66
		{"skip_file_rwx_check", Kind::Setter, "ccr_options_set_skip_file_rwx_check",
		 [](Ctx &c) { OK(ccr_options_set_skip_file_rwx_check(c.h, 1)); }, "", "skip_file_rwx_check: true"},
		// 67
		{"unprivileged", Kind::Setter, "ccr_options_set_unprivileged",
		 [](Ctx &c) { OK(ccr_options_set_unprivileged(c.h, 1)); }, "unprivileged: true", "unprivileged: true"},
		// 68
		{"images_dir", Kind::Never,
		 "ccr opens the directory itself (no symlinks, private) and sends images_dir_fd instead",
		 [](Ctx &c) {
			 OK(ccr_options_set_images_dir(c.h, "/var/lib/ccr/img"));
			 OK(ccr_options_set_work_dir(c.h, "/var/lib/ccr/work"));
		 },
		 "", ""},
		// 69
		{"leave_stopped", Kind::Setter, "ccr_options_set_leave_stopped",
		 [](Ctx &c) { OK(ccr_options_set_leave_stopped(c.h, 1)); }, "", "leave_stopped: true"},
		// 70
		{"display_stats", Kind::Setter, "ccr_options_set_display_stats",
		 [](Ctx &c) { OK(ccr_options_set_display_stats(c.h, 1)); }, "display_stats: true",
		 "display_stats: true"},
		// 71
		{"log_to_stderr", Kind::Setter, "ccr_options_set_log_to_stderr",
		 [](Ctx &c) { OK(ccr_options_set_log_to_stderr(c.h, 1)); }, "log_to_stderr: true",
		 "log_to_stderr: true"},
	};
	return table;
}

// ---- field-by-field comparison ----------------------------------------------------

const pb::Descriptor *opts_descriptor()
{
	return criu::criu_opts::descriptor();
}

criu::criu_opts parse(const char *text)
{
	criu::criu_opts o;
	pb::TextFormat::Parser parser;
	parser.AllowPartialMessage(true); // images_dir_fd is required
	EXPECT_TRUE(parser.ParseFromString(text, &o)) << "bad expectation text: " << text;
	return o;
}

bool present(const criu::criu_opts &o, const pb::FieldDescriptor *f)
{
	const pb::Reflection *r = o.GetReflection();
	return f->is_repeated() ? r->FieldSize(o, f) > 0 : r->HasField(o, f);
}

// `o` with every field but `f` cleared, serialized: equal bytes, equal field.
std::string only(const criu::criu_opts &o, const pb::FieldDescriptor *f)
{
	criu::criu_opts copy = o;
	const pb::Reflection *r = copy.GetReflection();
	for (int i = 0; i < opts_descriptor()->field_count(); i++)
		if (opts_descriptor()->field(i) != f)
			r->ClearField(&copy, opts_descriptor()->field(i));
	return copy.SerializePartialAsString();
}

std::string text_of(const criu::criu_opts &o, const pb::FieldDescriptor *f)
{
	criu::criu_opts copy;
	copy.ParsePartialFromString(only(o, f));
	std::string s;
	pb::TextFormat::Printer printer;
	printer.SetSingleLineMode(true);
	printer.PrintToString(copy, &s);
	return s.empty() ? "(absent)" : s;
}

std::set<std::string> present_fields(const criu::criu_opts &o)
{
	std::set<std::string> out;
	for (int i = 0; i < opts_descriptor()->field_count(); i++)
		if (present(o, opts_descriptor()->field(i)))
			out.insert(opts_descriptor()->field(i)->name());
	return out;
}

std::set<std::string> differing_fields(const criu::criu_opts &a, const criu::criu_opts &b)
{
	std::set<std::string> out;
	for (int i = 0; i < opts_descriptor()->field_count(); i++) {
		const pb::FieldDescriptor *f = opts_descriptor()->field(i);
		if (only(a, f) != only(b, f))
			out.insert(f->name());
	}
	return out;
}

std::string join(const std::set<std::string> &s)
{
	std::string out;
	for (const auto &x : s)
		out += (out.empty() ? "" : ", ") + x;
	return "{" + out + "}";
}

// The built request differs from the default one in exactly the fields the
// expectation names, each with the expected value.
void expect_exact_change(const char *op, const criu::criu_opts &built, const criu::criu_opts &dflt,
			 const char *expected_text)
{
	criu::criu_opts expected = parse(expected_text);
	std::set<std::string> want = present_fields(expected);
	EXPECT_EQ(differing_fields(built, dflt), want) << op << " request: the fields that changed";
	for (const auto &name : want) {
		const pb::FieldDescriptor *f = opts_descriptor()->FindFieldByName(name);
		EXPECT_EQ(only(built, f), only(expected, f))
			<< op << " request: " << name << " is " << text_of(built, f) << ", expected "
			<< text_of(expected, f);
	}
}

const Case *find_case(const std::string &field, Kind kind)
{
	for (const auto &c : cases())
		if (c.field == field && c.kind == kind)
			return &c;
	return nullptr;
}

const char *kind_name(Kind k)
{
	switch (k) {
	case Kind::Setter:
		return "setter";
	case Kind::Derived:
		return "set by ccr";
	case Kind::Default:
		return "always sent";
	case Kind::Never:
		return "never sent";
	}
	return "?";
}

// ---- the tests ---------------------------------------------------------------------

TEST(CriuOptsCoverage, EveryFieldHasACase)
{
	const pb::Descriptor *d = opts_descriptor();
	ASSERT_GT(d->field_count(), 60) << "criu_opts looks truncated";
	for (int i = 0; i < d->field_count(); i++) {
		const pb::FieldDescriptor *f = d->field(i);
		bool covered = false;
		for (const auto &c : cases())
			covered = covered || f->name() == c.field;
		EXPECT_TRUE(covered) << "criu_opts." << f->name() << " = " << f->number()
				     << " has no case in criu_opts_coverage_test.cpp: add a ccr_options setter (or "
					"say why ccr sets it itself or never), a case here, and a row in "
					"docs/options.md";
	}
}

TEST(CriuOptsCoverage, EveryCaseNamesARealField)
{
	for (const auto &c : cases()) {
		EXPECT_NE(opts_descriptor()->FindFieldByName(c.field), nullptr) << c.field;
		EXPECT_EQ(c.apply == nullptr, c.kind == Kind::Default) << c.field << ": only defaults set nothing";
		if (c.kind == Kind::Setter || c.kind == Kind::Derived) {
			// The case must prove its own field in at least one request.
			bool named = present_fields(parse(c.dump)).count(c.field) ||
				     present_fields(parse(c.restore)).count(c.field);
			EXPECT_TRUE(named) << c.field << " (" << c.how << ") expects its field in neither request";
		}
	}
}

TEST(CriuOptsCoverage, EachCaseLandsInItsField)
{
	Ctx base;
	const criu::criu_opts dump_default = base.build_dump().opts();
	const criu::criu_opts restore_default = base.build_restore().opts();

	for (const auto &c : cases()) {
		SCOPED_TRACE(std::string(c.field) + " [" + kind_name(c.kind) + ": " + c.how + "]");
		const pb::FieldDescriptor *f = opts_descriptor()->FindFieldByName(c.field);
		ASSERT_NE(f, nullptr);
		if (c.kind == Kind::Default) {
			for (auto [op, built, text] : {std::tuple{"dump", &dump_default, c.dump},
						       std::tuple{"restore", &restore_default, c.restore}}) {
				criu::criu_opts expected = parse(text);
				for (const auto &name : present_fields(expected)) {
					const pb::FieldDescriptor *g = opts_descriptor()->FindFieldByName(name);
					EXPECT_EQ(only(*built, g), only(expected, g))
						<< op << " default: " << name << " is " << text_of(*built, g)
						<< ", expected " << text_of(expected, g);
				}
				if (!present(expected, f)) {
					EXPECT_FALSE(present(*built, f))
						<< op << " default carries " << text_of(*built, f);
				}
			}
			continue;
		}
		Ctx ctx;
		c.apply(ctx);
		criu::criu_req dump = ctx.build_dump();
		criu::criu_req restore = ctx.build_restore();
		EXPECT_TRUE(dump.IsInitialized()) << dump.InitializationErrorString();
		EXPECT_TRUE(restore.IsInitialized()) << restore.InitializationErrorString();
		expect_exact_change("dump", dump.opts(), dump_default, c.dump);
		expect_exact_change("restore", restore.opts(), restore_default, c.restore);
		if (c.kind == Kind::Never) {
			EXPECT_FALSE(present(dump.opts(), f)) << text_of(dump.opts(), f);
			EXPECT_FALSE(present(restore.opts(), f)) << text_of(restore.opts(), f);
		}
	}
}

TEST(CriuOptsCoverage, EveryCaseAtOnceStillLandsEachField)
{
	// All setter cases on one handle (one value per field: the first case
	// of each), as a caller that sets everything would: no setter may
	// undo another's field.
	Ctx ctx;
	std::set<std::string> applied;
	for (const auto &c : cases()) {
		if (c.kind != Kind::Setter || applied.count(c.field))
			continue;
		// Mutually exclusive with the address case, and would renumber
		// the pidfd store's descriptor; covered separately below.
		if (std::string(c.how).find("page_server_fd") != std::string::npos)
			continue;
		// TLS: one call sets all six fields; the last call wins.
		if (std::string(c.field).rfind("tls", 0) == 0)
			continue;
		c.apply(ctx);
		applied.insert(c.field);
	}
	OK(ccr_options_set_tls(ctx.h, 1, "/ca", "/crl", "/cert", "/key", 1));
	criu::criu_opts d = ctx.build_dump().opts();
	criu::criu_opts r = ctx.build_restore().opts();
	for (const auto &name : applied) {
		const Case *c = find_case(name, Kind::Setter);
		const pb::FieldDescriptor *f = opts_descriptor()->FindFieldByName(name);
		criu::criu_opts want_d = parse(c->dump), want_r = parse(c->restore);
		if (present(want_d, f)) {
			EXPECT_EQ(only(d, f), only(want_d, f)) << name << " on dump: " << text_of(d, f);
		}
		if (present(want_r, f)) {
			EXPECT_EQ(only(r, f), only(want_r, f)) << name << " on restore: " << text_of(r, f);
		}
	}
	for (const auto *o : {&d, &r}) {
		EXPECT_TRUE(o->tls());
		EXPECT_EQ(o->tls_cacert(), "/ca");
		EXPECT_EQ(o->tls_cacrl(), "/crl");
		EXPECT_EQ(o->tls_cert(), "/cert");
		EXPECT_EQ(o->tls_key(), "/key");
		EXPECT_TRUE(o->tls_no_cn_verify());
	}
}

// ---- descriptors: numbered by the operation (CriuLaunch::pass) -------------------------

TEST(CriuOptsFds, PageServerAndPidfdStoreTakeConsecutiveCriuDescriptors)
{
	Ctx ctx;
	int ps = ctx.socket(), store = ctx.socket();
	OK(ccr_options_set_page_server_fd(ctx.h, ps));
	OK(ccr_options_set_pidfd_store_fd(ctx.h, store));
	EXPECT_EQ(ctx.opts().page_server.fd, ps);
	EXPECT_TRUE(ctx.opts().page_server.address.empty());
	EXPECT_EQ(ctx.opts().pidfd_store_fd, store);
	criu::criu_opts o = ctx.build_dump().opts();
	// checkpoint() passes the page server's socket first.
	EXPECT_EQ(o.ps().fd(), ccr::kCriuFirstExtraFd);
	EXPECT_FALSE(o.ps().has_address());
	EXPECT_FALSE(o.ps().has_port());
	EXPECT_EQ(o.pidfd_store_sk(), ccr::kCriuFirstExtraFd + 1);
	// Neither means anything to a restore.
	criu::criu_opts r = ctx.build_restore().opts();
	EXPECT_FALSE(r.has_ps());
	EXPECT_FALSE(r.has_pidfd_store_sk());
}

TEST(CriuOptsFds, PageServerFdReplacesAnAddressAndBack)
{
	Ctx ctx;
	OK(ccr_options_set_page_server(ctx.h, "10.0.0.2", 1234));
	OK(ccr_options_set_page_server_fd(ctx.h, ctx.socket()));
	criu::criu_opts o = ctx.build_dump().opts();
	EXPECT_FALSE(o.ps().has_address());
	EXPECT_FALSE(o.ps().has_port());
	EXPECT_EQ(o.ps().fd(), ccr::kCriuFirstExtraFd);
	OK(ccr_options_set_page_server(ctx.h, "10.0.0.3", 4321));
	o = ctx.build_dump().opts();
	EXPECT_EQ(o.ps().address(), "10.0.0.3");
	EXPECT_EQ(o.ps().port(), 4321);
	EXPECT_FALSE(o.ps().has_fd());
}

TEST(CriuOptsFds, PlanDescriptorsAreSentAsGiven)
{
	ccr::DumpPlan plan;
	plan.page_server_fd = 9;
	plan.pidfd_store_fd = 10;
	ccr::Options opts;
	opts.page_server.fd = 99; // the caller's number: CRIU's is in the plan
	opts.pidfd_store_fd = 100;
	criu::criu_opts o = ccr::build_dump_request(opts, plan).opts();
	EXPECT_EQ(o.ps().fd(), 9);
	EXPECT_EQ(o.pidfd_store_sk(), 10);
	// Without a page server or a store in the options, nothing is sent.
	EXPECT_FALSE(ccr::build_dump_request({}, {}).opts().has_ps());
	EXPECT_FALSE(ccr::build_dump_request({}, {}).opts().has_pidfd_store_sk());
}

TEST(CriuOptsFds, CallerInheritFdsArePlacedInOrder)
{
	Ctx ctx;
	int a = ctx.socket(), b = ctx.socket();
	OK(ccr_options_add_inherit_fd(ctx.h, "file[1f:100]", a));
	OK(ccr_options_add_inherit_fd(ctx.h, "socket[200]", b));
	std::vector<int> placed;
	auto entries = ccr::caller_inherit_fds(ctx.opts(), [&](int fd) {
		placed.push_back(fd);
		return 40 + int(placed.size());
	});
	EXPECT_EQ(placed, (std::vector<int>{a, b})) << "each caller descriptor placed once, in order";
	ASSERT_EQ(entries.size(), 2u);
	EXPECT_EQ(entries[0], (std::pair<std::string, int>{"file[1f:100]", 41}));
	EXPECT_EQ(entries[1], (std::pair<std::string, int>{"socket[200]", 42}));
	// No entries: `place` is never called.
	ccr::Options none;
	EXPECT_TRUE(ccr::caller_inherit_fds(none, [](int) -> int {
			    ADD_FAILURE() << "placed a descriptor nobody asked for";
			    return -1;
		    }).empty());
}

TEST(CriuOptsFds, CallerInheritFdsComeAfterNamespaceDescriptors)
{
	// restore() passes the namespace descriptors first (restore_namespaces
	// numbers them from kCriuFirstExtraFd), then the caller's: the numbers
	// in the request must be where CriuLaunch puts them.
	struct stat st;
	if (::stat("/proc/self/ns/net", &st) != 0 || ::stat("/proc/self/ns/pid", &st) != 0)
		GTEST_SKIP() << "no /proc/self/ns";
	ccr::OciConfig config;
	config.namespaces = {{"network", "/proc/self/ns/net"}, {"pid", "/proc/self/ns/pid"}};
	ccr::RestoreNamespaces ns;
	try {
		ns = ccr::restore_namespaces(config, ccr::kCriuFirstExtraFd);
	} catch (const ccr::Error &e) {
		GTEST_SKIP() << "cannot open own namespace files: " << e.what();
	}
	Ctx ctx;
	int mine = ctx.socket();
	OK(ccr_options_add_inherit_fd(ctx.h, "file[1f:4242]", mine));

	ccr::CriuLaunch launch;
	std::vector<int> numbers;
	for (const auto &fd : ns.fds)
		numbers.push_back(launch.pass(fd.get()));
	ccr::RestorePlan plan;
	plan.inherit_fds = ns.inherit_fds;
	for (const auto &e : ccr::caller_inherit_fds(ctx.opts(), [&](int fd) { return launch.pass(fd); }))
		plan.inherit_fds.push_back(e);
	criu::criu_opts o = ccr::build_restore_request(ctx.opts(), plan).opts();

	ASSERT_EQ(o.inherit_fd_size(), 3);
	EXPECT_EQ(o.inherit_fd(0).key(), "extRootNetNS");
	EXPECT_EQ(o.inherit_fd(0).fd(), numbers.at(0));
	EXPECT_EQ(o.inherit_fd(1).key(), "extRootPidNS");
	EXPECT_EQ(o.inherit_fd(1).fd(), numbers.at(1));
	EXPECT_EQ(o.inherit_fd(2).key(), "file[1f:4242]");
	EXPECT_EQ(o.inherit_fd(2).fd(), ccr::kCriuFirstExtraFd + 2);
	// And CRIU's table holds the caller's own descriptor at that number.
	ASSERT_EQ(launch.extra_fds.size(), 3u);
	EXPECT_EQ(launch.extra_fds[2], mine);
}

// ---- fields ccr derives ----------------------------------------------------------------

TEST(CriuOptsDerived, ExternalNamespacesByInode)
{
	struct stat net, pid;
	if (::stat("/proc/self/ns/net", &net) != 0 || ::stat("/proc/self/ns/pid", &pid) != 0)
		GTEST_SKIP() << "no /proc/self/ns";
	ccr::OciConfig config;
	config.namespaces = {{"network", "/proc/self/ns/net"}, {"pid", "/proc/self/ns/pid"}, {"ipc", ""}};
	auto ext = ccr::dump_external_namespaces(config);
	ASSERT_EQ(ext.size(), 2u);
	EXPECT_EQ(ext[0], "net[" + std::to_string(net.st_ino) + "]:extRootNetNS");
	EXPECT_EQ(ext[1], "pid[" + std::to_string(pid.st_ino) + "]:extRootPidNS");
	// New namespaces (no path) are the container's own.
	config.namespaces = {{"network", ""}, {"pid", ""}};
	EXPECT_TRUE(ccr::dump_external_namespaces(config).empty());
}

TEST(CriuOptsDerived, JoinedNamespacesFromTheConfig)
{
	ccr::OciConfig config;
	config.namespaces = {
		{"ipc", "/proc/77/ns/ipc"}, {"uts", "/proc/77/ns/uts"}, {"mount", "/proc/77/ns/mnt"}, {"user", ""}};
	ccr::RestoreNamespaces ns = ccr::restore_namespaces(config, ccr::kCriuFirstExtraFd);
	EXPECT_TRUE(ns.fds.empty());
	ccr::RestorePlan plan;
	plan.join_ns = ns.join_ns;
	criu::criu_opts o = ccr::build_restore_request({}, plan).opts();
	// The mount namespace is CRIU's to make (root); new ones are not joined.
	ASSERT_EQ(o.join_ns_size(), 2);
	EXPECT_EQ(o.join_ns(0).ns(), "ipc");
	EXPECT_EQ(o.join_ns(0).ns_file(), "/proc/77/ns/ipc");
	EXPECT_EQ(o.join_ns(1).ns(), "uts");
	EXPECT_EQ(o.join_ns(1).ns_file(), "/proc/77/ns/uts");
	// A cgroup namespace cannot be joined by CRIU.
	config.namespaces = {{"cgroup", "/proc/77/ns/cgroup"}};
	EXPECT_THROW(ccr::restore_namespaces(config, ccr::kCriuFirstExtraFd), ccr::Error);
}

TEST(CriuOptsDerived, ConfigJoinNsComeBeforeTheCallers)
{
	Ctx ctx;
	ctx.restore.join_ns = {{"ipc", "/proc/77/ns/ipc"}};
	OK(ccr_options_add_join_ns(ctx.h, "uts", "/proc/88/ns/uts", nullptr));
	criu::criu_opts o = ctx.build_restore().opts();
	ASSERT_EQ(o.join_ns_size(), 2);
	EXPECT_EQ(o.join_ns(0).ns(), "ipc");
	EXPECT_EQ(o.join_ns(1).ns(), "uts");
	EXPECT_FALSE(o.join_ns(1).has_extra_opt()) << "NULL extra must not be sent as \"\"";
}

TEST(CriuOptsDerived, ConfigFileSetToNothingIsNotSent)
{
	Ctx ctx;
	ctx.config.annotations["org.criu.config"] = "/srv/criu/web1.conf";
	OK(ccr_options_set_criu_config_file(ctx.h, "")); // explicit "no file"
	EXPECT_FALSE(ctx.build_dump().opts().has_config_file());
	EXPECT_FALSE(ctx.build_restore().opts().has_config_file());
}

TEST(CriuOptsDerived, EmptyFreezeCgroupMeansPtraceAlone)
{
	Ctx ctx;
	ctx.dump.freeze_cgroup = "/sys/fs/cgroup/ccr/web1"; // the container's own
	EXPECT_EQ(ctx.build_dump().opts().freeze_cgroup(), "/sys/fs/cgroup/ccr/web1");
	OK(ccr_options_set_freeze_cgroup(ctx.h, ""));
	EXPECT_FALSE(ctx.build_dump().opts().has_freeze_cgroup());
}

TEST(CriuOptsDerived, StatusFdIsAnsweredByCcrNotCriu)
{
	// CRIU never sees the caller's status descriptor: at "status-ready"
	// ccr writes one '\0' to it and closes it (checkpoint.cpp), as runc.
	int p[2];
	ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
	{
		ccr::StatusFd status(p[1]);
		status.ready();
		status.ready(); // a second status-ready writes nothing more
	}
	char buf[4];
	EXPECT_EQ(::read(p[0], buf, sizeof buf), 1);
	EXPECT_EQ(buf[0], '\0');
	EXPECT_EQ(::read(p[0], buf, sizeof buf), 0) << "the write end was not closed";
	::close(p[0]);

	// Closed whatever happened, even without status-ready.
	ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
	{
		ccr::StatusFd status(p[1]);
	}
	EXPECT_EQ(::read(p[0], buf, sizeof buf), 0);
	::close(p[0]);
}

// ---- a refused value changes nothing -------------------------------------------------

ccr_error_code code_of(ccr_error *err)
{
	ccr_error_code code = ccr_error_code_of(err);
	ccr_error_free(err);
	return code;
}

TEST(CriuOptsRefusals, ARefusedValueLeavesTheRequestsAsTheyWere)
{
	Ctx ctx;
	int sock = ctx.socket();
	OK(ccr_options_set_page_server(ctx.h, "10.0.0.2", 1234));
	OK(ccr_options_set_pre_dump_mode(ctx.h, CCR_PRE_DUMP_READ));
	OK(ccr_options_set_network_lock(ctx.h, CCR_NETWORK_LOCK_NFTABLES));
	OK(ccr_options_set_freeze_cgroup(ctx.h, "/sys/fs/cgroup/freezer/ccr"));
	OK(ccr_options_add_inherit_fd(ctx.h, "file[1f:1]", sock));
	const std::string dump = ctx.build_dump().SerializeAsString();
	const std::string restore = ctx.build_restore().SerializeAsString();

	volatile int bad = 7;
	const std::vector<std::pair<const char *, std::function<ccr_error *()>>> refused = {
		{"page server fd -1", [&] { return ccr_options_set_page_server_fd(ctx.h, -1); }},
		{"page server port 0", [&] { return ccr_options_set_page_server(ctx.h, "10.0.0.3", 0); }},
		{"page server address \"\"", [&] { return ccr_options_set_page_server(ctx.h, "", 99); }},
		{"pidfd store fd -1", [&] { return ccr_options_set_pidfd_store_fd(ctx.h, -1); }},
		{"pre-dump mode 7",
		 [&] { return ccr_options_set_pre_dump_mode(ctx.h, static_cast<ccr_pre_dump_mode>(bad)); }},
		{"network lock 7",
		 [&] { return ccr_options_set_network_lock(ctx.h, static_cast<ccr_network_lock>(bad)); }},
		{"inherit fd -1", [&] { return ccr_options_add_inherit_fd(ctx.h, "file[1f:2]", -1); }},
		{"inherit key \"\"", [&] { return ccr_options_add_inherit_fd(ctx.h, "", sock); }},
		{"veth outside \"\"", [&] { return ccr_options_add_veth_pair(ctx.h, "eth0", ""); }},
		{"ext mount value \"\"", [&] { return ccr_options_add_ext_mount(ctx.h, "/data", ""); }},
		{"join ns file \"\"", [&] { return ccr_options_add_join_ns(ctx.h, "ipc", "", nullptr); }},
		{"cgroup root relative", [&] { return ccr_options_add_cgroup_root(ctx.h, "cpu", "ccr"); }},
		{"freeze cgroup relative", [&] { return ccr_options_set_freeze_cgroup(ctx.h, "freezer/ccr"); }},
		{"cgroup yard \"\"", [&] { return ccr_options_set_cgroup_yard(ctx.h, ""); }},
		{"exec cmd \"\"", [&] { return ccr_options_add_exec_cmd(ctx.h, ""); }},
		{"status fd -2", [&] { return ccr_options_set_status_fd(ctx.h, -2); }},
	};
	for (const auto &[what, call] : refused) {
		EXPECT_EQ(code_of(call()), CCR_ERR_INVALID_ARGUMENT) << what;
		EXPECT_EQ(ctx.build_dump().SerializeAsString(), dump) << what << " changed the dump request";
		EXPECT_EQ(ctx.build_restore().SerializeAsString(), restore) << what << " changed the restore request";
	}
	EXPECT_EQ(ctx.opts().status_fd->load(), -1);
}

// CRIU applies --cgroup-props / --cgroup-props-file while dumping (cgp_init()
// in cr_dump_tasks(); criu(8) lists them under dump: "properties to be saved
// into the image file"); a restore request would ignore them.
TEST(CriuOptsCoverage, CgroupPropsBelongToTheDump)
{
	Ctx ctx;
	OK(ccr_options_set_cgroup_props(ctx.h, "\"cpu\":\n - \"strategy\": \"merge\"\n"));
	OK(ccr_options_set_cgroup_props_file(ctx.h, "/etc/criu/cgroup-props.yaml"));
	criu::criu_opts o = ctx.build_dump().opts();
	EXPECT_TRUE(o.has_cgroup_props());
	EXPECT_EQ(o.cgroup_props_file(), "/etc/criu/cgroup-props.yaml");
}

} // namespace
