// SPDX-License-Identifier: Apache-2.0
// ccr: the command-line face of libccr, written against the public C header
// only. `ccr --help` lists the commands; `ccr COMMAND --help` each one.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "cli.hpp"

namespace {

using cli::Args;

// Runs setters in turn; keeps the first error.
class Setup {
public:
	void operator()(ccr_error *e)
	{
		if (!first_)
			first_ = e;
		else
			ccr_error_free(e);
	}
	ccr_error *take() { return std::exchange(first_, nullptr); }

private:
	ccr_error *first_ = nullptr;
};

std::string friendly_phase(const std::string &script)
{
	if (script == "pre-dump")
		return "freezing and collecting the container";
	if (script == "network-lock")
		return "network locked, dumping";
	if (script == "post-dump")
		return "images written";
	if (script == "pre-restore")
		return "restoring";
	if (script == "setup-namespaces" || script == "post-setup-namespaces")
		return "restoring namespaces";
	if (script == "post-restore")
		return "processes restored";
	if (script == "pre-resume" || script == "post-resume")
		return "resuming";
	return "CRIU: " + script;
}

int on_notify(const ccr_notify *n, void *payload)
{
	static_cast<cli::Progress *>(payload)->phase(friendly_phase(ccr_notify_script(n)));
	return 0;
}

ccr_cgroup_mode cgroup_mode(const std::string &m)
{
	if (m == "soft")
		return CCR_CGROUP_SOFT;
	if (m == "full")
		return CCR_CGROUP_FULL;
	if (m == "strict")
		return CCR_CGROUP_STRICT;
	if (m == "ignore")
		return CCR_CGROUP_IGNORE;
	if (m == "none")
		return CCR_CGROUP_NONE;
	if (m == "props")
		return CCR_CGROUP_PROPS;
	return ccr_cgroup_mode(-1); // refused by the setter, with a message
}

ccr_network_lock network_lock(const std::string &m)
{
	if (m == "iptables")
		return CCR_NETWORK_LOCK_IPTABLES;
	if (m == "nftables")
		return CCR_NETWORK_LOCK_NFTABLES;
	if (m == "skip")
		return CCR_NETWORK_LOCK_SKIP;
	return ccr_network_lock(-1);
}

// --verbose and --debug: ccr's log on stderr, one line each.
void print_log(ccr_log_level level, const char *message, void *)
{
	static const char *const names[] = {"", "error", "warning", "info", "debug"};
	const char *name = level >= CCR_LOG_ERROR && level <= CCR_LOG_DEBUG ? names[level] : "log";
	std::fprintf(stderr, "ccr: %s: %s\n", name, message);
}

void configure(Setup &step, ccr_container *c, ccr_options *o, const Args &a)
{
	if (a.values.count("--pid"))
		step(ccr_container_set_pid(c, int(a.number("--pid"))));
	if (a.values.count("--bundle"))
		step(ccr_container_set_bundle(c, a.get("--bundle").c_str()));
	if (a.values.count("--config"))
		step(ccr_container_set_config_path(c, a.get("--config").c_str()));
	if (a.values.count("--rootfs"))
		step(ccr_container_set_rootfs(c, a.get("--rootfs").c_str()));
	if (a.values.count("--cgroup-path"))
		step(ccr_container_set_cgroup_path(c, nullptr, a.get("--cgroup-path").c_str()));
	if (a.values.count("--image-path"))
		step(ccr_options_set_images_dir(o, a.get("--image-path").c_str()));
	if (a.values.count("--work-path"))
		step(ccr_options_set_work_dir(o, a.get("--work-path").c_str()));
	if (a.values.count("--criu"))
		step(ccr_options_set_criu_path(o, a.get("--criu").c_str()));
	if (a.values.count("--parent-path"))
		step(ccr_options_set_parent_path(o, a.get("--parent-path").c_str()));
	if (a.values.count("--manage-cgroups-mode"))
		step(ccr_options_set_cgroup_mode(o, cgroup_mode(a.get("--manage-cgroups-mode"))));
	if (a.values.count("--network-lock"))
		step(ccr_options_set_network_lock(o, network_lock(a.get("--network-lock"))));
	if (a.values.count("--timeout-ms"))
		step(ccr_options_set_timeout_ms(o, uint32_t(a.number("--timeout-ms"))));
	if (a.values.count("--log-level"))
		step(ccr_options_set_log_level(o, int(a.number("--log-level"))));
	if (a.has("--verbose") || a.has("--debug"))
		step(ccr_options_set_log(o, a.has("--debug") ? CCR_LOG_DEBUG : CCR_LOG_INFO, print_log, nullptr,
					 nullptr));
	if (a.values.count("--console-socket"))
		step(ccr_options_set_console_socket(o, a.get("--console-socket").c_str()));
	if (a.values.count("--lsm-profile"))
		step(ccr_options_set_lsm_profile(o, a.get("--lsm-profile").c_str()));
	if (a.values.count("--lsm-mount-context"))
		step(ccr_options_set_lsm_mount_context(o, a.get("--lsm-mount-context").c_str()));
	if (a.values.count("--page-server")) {
		// HOST:PORT, the host bracketed when it is an IPv6 address
		// ("[::1]:9876"), as runc takes it.
		std::string hp = a.get("--page-server");
		auto colon = hp.rfind(':');
		std::string host = hp.substr(0, colon);
		if (host.size() > 2 && host.front() == '[' && host.back() == ']')
			host = host.substr(1, host.size() - 2);
		step(ccr_options_set_page_server(o, host.c_str(), std::atoi(hp.c_str() + colon + 1)));
	}
	step(ccr_options_set_leave_running(o, a.has("--leave-running")));
	step(ccr_options_set_tcp_established(o, a.has("--tcp-established")));
	step(ccr_options_set_tcp_close(o, a.has("--tcp-close")));
	step(ccr_options_set_tcp_skip_in_flight(o, a.has("--tcp-skip-in-flight")));
	step(ccr_options_set_ext_unix_sk(o, a.has("--ext-unix-sk")));
	step(ccr_options_set_shell_job(o, a.has("--shell-job")));
	step(ccr_options_set_file_locks(o, a.has("--file-locks")));
	step(ccr_options_set_pre_dump(o, a.has("--pre-dump")));
	step(ccr_options_set_auto_dedup(o, a.has("--auto-dedup")));
	step(ccr_options_set_lazy_pages(o, a.has("--lazy-pages")));
	step(ccr_options_set_link_remap(o, a.has("--link-remap")));
	step(ccr_options_set_leave_stopped(o, a.has("--leave-stopped")));
	if (a.command == "checkpoint")
		step(ccr_options_set_allow_processes_outside_tree(o, a.has("--allow-processes-outside-tree")));
	if (a.has("--process-tree"))
		step(ccr_container_set_process_tree(c, 1));
	if (!a.list("--empty-ns").empty()) // parse_args let "network" through only
		step(ccr_options_set_empty_ns(o, 0x40000000 /* CLONE_NEWNET */));
	if (a.values.count("--status-fd"))
		step(ccr_options_set_status_fd(o, int(a.number("--status-fd"))));
}

// Writes `pid` (digits, no newline) to `path` as runc does: into a
// temporary file beside it, renamed over it, so a reader never sees a
// partial pid.
bool write_pid_file(const std::string &path, int pid)
{
	size_t slash = path.rfind('/');
	std::string tmp = path.substr(0, slash + 1) + "." + path.substr(slash + 1) + ".tmp";
	FILE *f = std::fopen(tmp.c_str(), "we");
	if (!f)
		return false;
	bool ok = std::fprintf(f, "%d", pid) > 0;
	ok = std::fclose(f) == 0 && ok;
	if (ok && std::rename(tmp.c_str(), path.c_str()) == 0)
		return true;
	int saved = errno; // for the caller's perror()
	std::remove(tmp.c_str());
	errno = saved;
	return false;
}

int check(const Args &a)
{
	ccr_options *o = nullptr;
	if (ccr_error *e = ccr_options_new(&o))
		return cli::report_error(e, a);
	Setup step;
	if (a.values.count("--criu"))
		step(ccr_options_set_criu_path(o, a.get("--criu").c_str()));
	unsigned version = 0, features = 0;
	ccr_cgroup_layout layout = CCR_CGROUP_LAYOUT_NONE;
	ccr_freezer_kind freezer = CCR_FREEZER_NONE;
	ccr_error *e = step.take();
	if (!e)
		e = ccr_criu_version(&version, o);
	if (!e)
		e = ccr_criu_features(&features, o);
	if (!e)
		e = ccr_host_cgroup_layout(&layout, &freezer);
	ccr_options_free(o);
	if (e)
		return cli::report_error(e, a);
	auto yes = [&](unsigned bit) { return (features & bit) != 0; };
	const std::vector<std::string> notes = cli::host_notes();
	if (a.json) {
		cli::print_json(
			{{"ok", true},
			 {"command", "check"},
			 {"ccr", ccr_version_string()},
			 {"criu", std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) + "." +
					  std::to_string(version % 100)},
			 {"criu_version", version},
			 {"features",
			  {{"mem_track", yes(CCR_FEATURE_MEM_TRACK)},
			   {"lazy_pages", yes(CCR_FEATURE_LAZY_PAGES)},
			   {"pidfd_store", yes(CCR_FEATURE_PIDFD_STORE)}}},
			 {"cgroups", {{"layout", cli::layout_name(layout)}, {"freezer", cli::freezer_name(freezer)}}},
			 {"notes", notes}});
		return cli::kOk;
	}
	auto word = [&](unsigned bit) { return (features & bit) ? "yes" : "no"; };
	std::printf("ccr %s, criu %u.%u.%u\n", ccr_version_string(), version / 10000, version / 100 % 100,
		    version % 100);
	std::printf("  mem-track (pre-dump):   %s\n", word(CCR_FEATURE_MEM_TRACK));
	std::printf("  lazy-pages:             %s\n", word(CCR_FEATURE_LAZY_PAGES));
	std::printf("  pidfd-store:            %s\n", word(CCR_FEATURE_PIDFD_STORE));
	std::printf("  cgroups:                %s\n", cli::layout_description(layout));
	std::printf("  freezer:                %s\n", cli::freezer_description(freezer));
	for (const auto &n : notes)
		std::printf("note: %s\n", n.c_str());
	return cli::kOk;
}

int stats(const Args &a)
{
	std::string dir = a.positionals.at(0);
	ccr_result *r = nullptr;
	if (ccr_error *e = ccr_stats_read(&r, dir.c_str()))
		return cli::report_error(e, a);
	if (a.json)
		cli::print_json({{"ok", true}, {"command", "stats"}, {"dir", dir}, {"stats", cli::stats_json(r)}});
	else
		std::printf("CRIU statistics in %s:\n%s", dir.c_str(), cli::stats_text(r).c_str());
	ccr_result_free(r);
	return cli::kOk;
}

int export_archive(const Args &a)
{
	std::string archive = a.positionals.at(0);
	ccr_container *c = nullptr;
	ccr_options *o = nullptr;
	if (ccr_error *e = ccr_container_new(&c, a.get("--id", "ccr").c_str()))
		return cli::report_error(e, a);
	if (ccr_error *e = ccr_options_new(&o)) {
		ccr_container_free(c);
		return cli::report_error(e, a);
	}
	Setup step;
	configure(step, c, o, a);
	if (a.values.count("--engine"))
		step(ccr_options_set_archive_engine(o, a.get("--engine").c_str()));
	if (a.values.count("--name"))
		step(ccr_options_set_archive_container_name(o, a.get("--name").c_str()));
	if (a.values.count("--image") || a.values.count("--image-ref"))
		step(ccr_options_set_archive_image(o, a.get("--image").c_str(), a.get("--image-ref").c_str()));
	if (a.values.count("--created") || a.values.count("--checkpointed")) // parse_args made them nanoseconds
		step(ccr_options_set_archive_times(o, int64_t(a.number("--created")),
						   int64_t(a.number("--checkpointed"))));
	ccr_error *e = step.take();
	std::string diff = a.get("--rootfs-diff");
	if (!e)
		e = ccr_archive_export(archive.c_str(), c, o, diff.empty() ? nullptr : diff.c_str());
	ccr_options_free(o);
	ccr_container_free(c);
	if (e)
		return cli::report_error(e, a);
	if (a.json)
		cli::print_json({{"ok", true}, {"command", "export"}, {"archive", archive}});
	else
		std::fprintf(stderr, "ccr: wrote %s\n", archive.c_str());
	return cli::kOk;
}

int import_archive(const Args &a)
{
	const std::string &archive = a.positionals.at(0), &dest = a.positionals.at(1);
	ccr_options *o = nullptr;
	if (ccr_error *e = ccr_options_new(&o))
		return cli::report_error(e, a);
	Setup step;
	step(ccr_options_set_import_limits(o, a.number("--max-entries"), a.number("--max-bytes"),
					   uint32_t(a.number("--max-ratio"))));
	if (a.values.count("--timeout-ms"))
		step(ccr_options_set_timeout_ms(o, uint32_t(a.number("--timeout-ms"))));
	ccr_error *e = step.take();
	if (!e)
		e = ccr_archive_import_with_options(archive.c_str(), dest.c_str(), o);
	ccr_options_free(o);
	if (e)
		return cli::report_error(e, a);
	std::string images = dest + "/checkpoint";
	if (a.json)
		cli::print_json({{"ok", true}, {"command", "import"}, {"dir", dest}, {"images", images}});
	else
		std::fprintf(stderr, "ccr: unpacked %s; restore with --image-path %s\n", archive.c_str(),
			     images.c_str());
	return cli::kOk;
}

int operate(const Args &a)
{
	bool restore = a.command == "restore";
	std::string id = a.get("--id", "ccr");
	ccr_container *c = nullptr;
	ccr_options *o = nullptr;
	if (ccr_error *e = ccr_container_new(&c, id.c_str()))
		return cli::report_error(e, a);
	if (ccr_error *e = ccr_options_new(&o)) {
		ccr_container_free(c);
		return cli::report_error(e, a);
	}
	uint64_t expected = restore ? 0 : cli::resident_bytes(int(a.number("--pid")));
	cli::Progress progress(!a.quiet, restore ? "" : a.get("--image-path"), expected);
	Setup step;
	configure(step, c, o, a);
	step(ccr_options_set_notify(o, on_notify, &progress, nullptr));

	ccr_result *r = nullptr;
	ccr_error *e = step.take();
	if (!e)
		e = restore ? ccr_restore(&r, c, o) : ccr_checkpoint(&r, c, o);
	progress.done();
	int rc = cli::kOk;
	if (e) {
		rc = cli::report_error(e, a);
	} else {
		int pid = ccr_result_pid(r);
		// The operation happened: a warning is news, not a failure.
		if (!a.json)
			for (size_t i = 0; i < ccr_result_warning_count(r); i++)
				std::fprintf(stderr, "ccr: warning: %s\n", ccr_result_warning(r, i));
		std::string pid_file = a.get("--pid-file");
		if (restore && !pid_file.empty() && !write_pid_file(pid_file, pid)) {
			std::perror(("ccr restore: " + pid_file).c_str());
			rc = cli::kSystem;
		}
		if (a.json) {
			cli::Json doc = {{"ok", true},
					 {"command", a.command},
					 {"container", id},
					 {"images", a.get("--image-path")}};
			if (restore)
				doc["pid"] = pid;
			doc["stats"] = cli::stats_json(r);
			doc["warnings"] = cli::warnings_json(r);
			cli::print_json(doc);
		} else if (restore) {
			std::fprintf(stderr, "ccr: restored container %s, init pid %d\n", id.c_str(), pid);
		} else {
			std::fprintf(stderr, "ccr: checkpointed container %s into %s\n", id.c_str(),
				     a.get("--image-path").c_str());
		}
	}
	ccr_result_free(r);
	ccr_options_free(o);
	ccr_container_free(c);
	return rc;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2)
		return cli::usage("", false);
	if (std::string(argv[1]) == "help")
		return cli::usage(argc > 2 ? argv[2] : "", true);
	Args a;
	if (int rc = cli::parse_args(argc, argv, a); rc != cli::kContinue)
		return rc;
	if (a.command == "check")
		return check(a);
	if (a.command == "stats")
		return stats(a);
	if (a.command == "export")
		return export_archive(a);
	if (a.command == "import")
		return import_archive(a);
	if (a.command == "pod")
		return cli::pod(a);
	return operate(a);
}
