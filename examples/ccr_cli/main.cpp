// ccr: a small command-line front end to libccr, written against the public
// C header only.
//
//   ccr check
//   ccr checkpoint --pid PID --bundle DIR --images DIR [--leave-running] ...
//   ccr restore --bundle DIR --images DIR [--pid-file FILE] ...
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ccr.h"

namespace {

int usage(FILE *to)
{
	std::fprintf(to,
		     "usage:\n"
		     "  ccr check\n"
		     "  ccr checkpoint --id ID --pid PID --bundle DIR --images DIR [options]\n"
		     "  ccr restore    --id ID --bundle DIR --images DIR [--pid-file FILE] [options]\n"
		     "options:\n"
		     "  --work DIR            CRIU's work directory (log, statistics)\n"
		     "  --criu PATH           the CRIU binary (default: criu in PATH)\n"
		     "  --leave-running       keep the container running after checkpoint\n"
		     "  --tcp-established     checkpoint/restore established TCP connections\n"
		     "  --ext-unix-sk         allow external unix sockets\n"
		     "  --shell-job           the container shares the caller's session\n"
		     "  --file-locks          checkpoint/restore file locks\n"
		     "  --parent-path DIR     pre-dump images to build on (relative to --images)\n"
		     "  --pre-dump            take a pre-dump only\n"
		     "  --manage-cgroups-mode soft|full|strict|ignore\n"
		     "  --timeout-ms N        give up after N milliseconds\n"
		     "  --verbose             print every notify script as it happens\n");
	return to == stderr ? 2 : 0;
}

// Prints an error the way a user wants to read it: the message, then CRIU's
// own words and the log lines that explain it. Returns the exit code.
int report(ccr_error *err)
{
	std::fprintf(stderr, "ccr: %s [%s]\n", ccr_error_message(err), ccr_error_code_name(ccr_error_code_of(err)));
	if (const char *log = ccr_error_log_excerpt(err))
		std::fprintf(stderr, "criu log %s:\n%s\n", ccr_error_log_path(err), log);
	int code = 10 + int(ccr_error_code_of(err));
	ccr_error_free(err);
	return code;
}

int print_notify(const ccr_notify *n, void *)
{
	std::fprintf(stderr, "ccr: %s (pid %d)\n", ccr_notify_script(n), ccr_notify_pid(n));
	return 0;
}

struct Args {
	std::string id, bundle, images, work, criu, parent, cg_mode, pid_file;
	int pid = 0;
	bool leave_running = false, tcp = false, ext_unix = false, shell_job = false, file_locks = false,
	     pre_dump = false, verbose = false;
	unsigned timeout_ms = 0;
};

bool parse(int argc, char **argv, Args &a)
{
	for (int i = 2; i < argc; i++) {
		std::string k = argv[i];
		auto value = [&]() -> std::string {
			if (i + 1 >= argc) {
				std::fprintf(stderr, "ccr: %s needs a value\n", k.c_str());
				std::exit(2);
			}
			return argv[++i];
		};
		if (k == "--id") a.id = value();
		else if (k == "--pid") a.pid = std::atoi(value().c_str());
		else if (k == "--bundle") a.bundle = value();
		else if (k == "--images") a.images = value();
		else if (k == "--work") a.work = value();
		else if (k == "--criu") a.criu = value();
		else if (k == "--parent-path") a.parent = value();
		else if (k == "--manage-cgroups-mode") a.cg_mode = value();
		else if (k == "--pid-file") a.pid_file = value();
		else if (k == "--timeout-ms") a.timeout_ms = unsigned(std::strtoul(value().c_str(), nullptr, 10));
		else if (k == "--leave-running") a.leave_running = true;
		else if (k == "--tcp-established") a.tcp = true;
		else if (k == "--ext-unix-sk") a.ext_unix = true;
		else if (k == "--shell-job") a.shell_job = true;
		else if (k == "--file-locks") a.file_locks = true;
		else if (k == "--pre-dump") a.pre_dump = true;
		else if (k == "--verbose") a.verbose = true;
		else {
			std::fprintf(stderr, "ccr: unknown option %s\n", k.c_str());
			return false;
		}
	}
	return true;
}

// Runs each setter in turn and stops at the first error.
ccr_error *configure(ccr_container *c, ccr_options *o, const Args &a)
{
	ccr_error *e = nullptr;
	auto step = [&](ccr_error *r) {
		if (!e)
			e = r;
		else
			ccr_error_free(r);
	};
	if (a.pid) step(ccr_container_set_pid(c, a.pid));
	if (!a.bundle.empty()) step(ccr_container_set_bundle(c, a.bundle.c_str()));
	if (!a.images.empty()) step(ccr_options_set_images_dir(o, a.images.c_str()));
	if (!a.work.empty()) step(ccr_options_set_work_dir(o, a.work.c_str()));
	if (!a.criu.empty()) step(ccr_options_set_criu_path(o, a.criu.c_str()));
	if (!a.parent.empty()) step(ccr_options_set_parent_path(o, a.parent.c_str()));
	step(ccr_options_set_leave_running(o, a.leave_running));
	step(ccr_options_set_tcp_established(o, a.tcp));
	step(ccr_options_set_ext_unix_sk(o, a.ext_unix));
	step(ccr_options_set_shell_job(o, a.shell_job));
	step(ccr_options_set_file_locks(o, a.file_locks));
	step(ccr_options_set_pre_dump(o, a.pre_dump));
	step(ccr_options_set_timeout_ms(o, a.timeout_ms));
	if (!a.cg_mode.empty()) {
		ccr_cgroup_mode m = a.cg_mode == "soft"	    ? CCR_CGROUP_SOFT
				    : a.cg_mode == "full"   ? CCR_CGROUP_FULL
				    : a.cg_mode == "strict" ? CCR_CGROUP_STRICT
				    : a.cg_mode == "ignore" ? CCR_CGROUP_IGNORE
							    : ccr_cgroup_mode(-1);
		step(ccr_options_set_cgroup_mode(o, m));
	}
	if (a.verbose) step(ccr_options_set_notify(o, print_notify, nullptr, nullptr));
	return e;
}

int check(void)
{
	unsigned version = 0, features = 0;
	if (ccr_error *e = ccr_criu_version(&version, nullptr))
		return report(e);
	std::printf("ccr %s, criu %u.%u.%u\n", ccr_version_string(), version / 10000, version / 100 % 100,
		    version % 100);
	if (ccr_error *e = ccr_criu_features(&features, nullptr))
		return report(e);
	std::printf("  mem-track (pre-dump):   %s\n", features & CCR_FEATURE_MEM_TRACK ? "yes" : "no");
	std::printf("  lazy-pages:             %s\n", features & CCR_FEATURE_LAZY_PAGES ? "yes" : "no");
	std::printf("  pidfd-store:            %s\n", features & CCR_FEATURE_PIDFD_STORE ? "yes" : "no");
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	std::string cmd = argv[1];
	if (cmd == "-h" || cmd == "--help" || cmd == "help")
		return usage(stdout);
	if (cmd == "check")
		return check();
	if (cmd != "checkpoint" && cmd != "restore")
		return usage(stderr);
	Args a;
	if (!parse(argc, argv, a))
		return usage(stderr);
	if (a.id.empty())
		a.id = "ccr";

	ccr_container *c = nullptr;
	ccr_options *o = nullptr;
	if (ccr_error *e = ccr_container_new(&c, a.id.c_str()))
		return report(e);
	if (ccr_error *e = ccr_options_new(&o)) {
		ccr_container_free(c);
		return report(e);
	}
	int rc = 0;
	ccr_result *result = nullptr;
	ccr_error *e = configure(c, o, a);
	if (!e)
		e = cmd == "checkpoint" ? ccr_checkpoint(&result, c, o) : ccr_restore(&result, c, o);
	if (e) {
		rc = report(e);
	} else if (cmd == "restore") {
		int pid = ccr_result_pid(result);
		std::fprintf(stderr, "ccr: restored container %s, init pid %d\n", a.id.c_str(), pid);
		if (!a.pid_file.empty()) {
			if (FILE *f = std::fopen(a.pid_file.c_str(), "w")) {
				std::fprintf(f, "%d\n", pid);
				std::fclose(f);
			} else {
				std::perror(("ccr: " + a.pid_file).c_str());
				rc = 1;
			}
		}
	} else {
		std::fprintf(stderr, "ccr: checkpointed container %s into %s\n", a.id.c_str(), a.images.c_str());
	}
	ccr_result_free(result);
	ccr_options_free(o);
	ccr_container_free(c);
	return rc;
}
