/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccr_driver: one checkpoint or one restore through libccr's C ABI, timed in
 * process, for bench/bench.py.
 *
 *   ccr_driver checkpoint --id ID --bundle DIR --images DIR --pid PID [options]
 *   ccr_driver restore    --id ID --bundle DIR --images DIR --stdio IN,OUT,ERR [options]
 *
 * options:
 *   --log-level N            CRIU's log level (ccr's default: 4, as runc)
 *   --network-lock M         default | iptables | nftables | skip
 *   --seize                  no freezer cgroup: CRIU seizes with ptrace alone
 *                            (ccr_options_set_freeze_cgroup(o, ""))
 *   --prefreeze DIR          freeze the v1 freezer cgroup DIR ourselves,
 *                            polling freezer.state every 50 us, before calling
 *                            ccr_checkpoint (a prototype of a ccr change:
 *                            CRIU finds it FROZEN and skips its 100 ms poll);
 *                            counted in the wall time
 *   --empty-ns-net           ccr_options_set_empty_ns(o, CLONE_NEWNET), as runc
 *                            always does: CRIU neither dumps nor restores the
 *                            network namespace's contents (links, addresses,
 *                            routes, iptables/nftables rules)
 *   --lazy-pages             lazy pages (both)
 *   --leave-running          (checkpoint) the container goes on running
 *   --page-server ADDR:PORT  (checkpoint) serve pages from there
 *   --status-fd N            (checkpoint) '\0' is written there when CRIU is
 *                            ready to serve lazy pages
 *   --criu PATH              the CRIU binary
 *
 * Prints one JSON object on stdout: ok, wall_us (CLOCK_MONOTONIC around the
 * whole library use: handles, options, the call), every statistic
 * ccr_result_stat() knows, the restored pid, and getrusage() peaks of this
 * process (the caller) and of its reaped children (CRIU).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <spawn.h>
#include <sys/types.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <ccr/ccr.h>

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int fail(const char *what, ccr_error *e)
{
	printf("{\"ok\":false,\"error\":");
	char buf[8192];
	snprintf(buf, sizeof buf, "%s: %s [%s]%s%s", what, ccr_error_message(e),
		 ccr_error_code_name(ccr_error_code_of(e)), ccr_error_log_excerpt(e) ? "\n" : "",
		 ccr_error_log_excerpt(e) ? ccr_error_log_excerpt(e) : "");
	json_string(buf);
	printf("}\n");
	ccr_error_free(e);
	return 1;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Freezes a v1 freezer cgroup and waits, with a fine poll, until it is
 * FROZEN. Returns 0, or -1 after thawing it again. */
static int prefreeze(const char *dir)
{
	char state[512], buf[32];
	snprintf(state, sizeof state, "%s/freezer.state", dir);
	if (write_str(state, "FROZEN") < 0)
		return -1;
	for (int i = 0; i < 200000; i++) { /* 10 s */
		int fd = open(state, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0 && strncmp(buf, "FROZEN", 6) == 0)
			return 0;
		/* Re-asking helps a v1 freezer stuck in FREEZING (as CRIU does). */
		if (i % 200 == 199)
			write_str(state, "FROZEN");
		usleep(50);
	}
	write_str(state, "THAWED");
	return -1;
}

/*
 * Where ccr's time outside CRIU goes, measured without disturbing it: this
 * executable defines posix_spawn, posix_spawnp and waitpid, which the dynamic
 * linker binds libccr's calls to (-rdynamic), notes the time and calls libc's.
 * t_spawn: ccr starts CRIU; t_reaped: ccr has reaped it (CRIU has exited).
 */
static uint64_t t_spawn, t_reaped;
static pid_t criu_pid;

typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
			char *const[], char *const[]);

static int spawn_hook(const char *name, pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		      const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	spawn_fn real = (spawn_fn)dlsym(RTLD_NEXT, name);
	uint64_t t = now_us();
	int r = real(pid, path, fa, attr, argv, envp);
	if (r == 0 && !t_spawn) {
		t_spawn = t;
		criu_pid = *pid;
	}
	return r;
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
		char *const argv[], char *const envp[])
{
	return spawn_hook("posix_spawn", pid, path, fa, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
		 char *const argv[], char *const envp[])
{
	return spawn_hook("posix_spawnp", pid, file, fa, attr, argv, envp);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	static pid_t (*real)(pid_t, int *, int);
	if (!real)
		real = (pid_t(*)(pid_t, int *, int))dlsym(RTLD_NEXT, "waitpid");
	pid_t r = real(pid, status, options);
	if (r > 0 && r == criu_pid && !t_reaped)
		t_reaped = now_us();
	return r;
}

static const struct {
	ccr_stat id;
	const char *name;
} stats[] = {
	{CCR_STAT_FREEZING_TIME_US, "freezing_time_us"},
	{CCR_STAT_FROZEN_TIME_US, "frozen_time_us"},
	{CCR_STAT_MEMDUMP_TIME_US, "memdump_time_us"},
	{CCR_STAT_MEMWRITE_TIME_US, "memwrite_time_us"},
	{CCR_STAT_PAGES_SCANNED, "pages_scanned"},
	{CCR_STAT_PAGES_SKIPPED_PARENT, "pages_skipped_parent"},
	{CCR_STAT_PAGES_WRITTEN, "pages_written"},
	{CCR_STAT_PAGES_LAZY, "pages_lazy"},
	{CCR_STAT_IRMAP_RESOLVE_US, "irmap_resolve_us"},
	{CCR_STAT_PAGE_PIPES, "page_pipes"},
	{CCR_STAT_PAGE_PIPE_BUFS, "page_pipe_bufs"},
	{CCR_STAT_PAGES_COMPARED, "pages_compared"},
	{CCR_STAT_PAGES_SKIPPED_COW, "pages_skipped_cow"},
	{CCR_STAT_FORKING_TIME_US, "forking_time_us"},
	{CCR_STAT_RESTORE_TIME_US, "restore_time_us"},
	{CCR_STAT_PAGES_RESTORED, "pages_restored"},
	{CCR_STAT_WALL_TIME_US, "ccr_wall_time_us"},
	{CCR_STAT_CRIU_TIME_US, "ccr_criu_time_us"},
	{CCR_STAT_OUTSIDE_CRIU_TIME_US, "ccr_outside_criu_time_us"},
};

#define STEP(call)                                                                                                     \
	do {                                                                                                           \
		if ((e = (call)))                                                                                      \
			return fail(#call, e);                                                                         \
	} while (0)

int main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "checkpoint") && strcmp(argv[1], "restore"))) {
		fprintf(stderr, "usage: ccr_driver checkpoint|restore --id ID --bundle DIR --images DIR ...\n");
		return 2;
	}
	int restore = !strcmp(argv[1], "restore");
	const char *id = NULL, *bundle = NULL, *images = NULL, *netlock = NULL, *prefreeze_dir = NULL,
		   *page_server = NULL, *criu = NULL;
	int pid = 0, log_level = -1, seize = 0, lazy = 0, status_fd = -1, stdio[3] = {-1, -1, -1};
	int empty_net = 0, leave_running = 0;
	for (int i = 2; i < argc; i++) {
		const char *k = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(k, "--seize")) {
			seize = 1;
			continue;
		}
		if (!strcmp(k, "--lazy-pages")) {
			lazy = 1;
			continue;
		}
		if (!strcmp(k, "--empty-ns-net")) {
			empty_net = 1;
			continue;
		}
		if (!strcmp(k, "--leave-running")) {
			leave_running = 1;
			continue;
		}

		if (!v) {
			fprintf(stderr, "ccr_driver: %s needs a value\n", k);
			return 2;
		}
		i++;
		if (!strcmp(k, "--id"))
			id = v;
		else if (!strcmp(k, "--bundle"))
			bundle = v;
		else if (!strcmp(k, "--images"))
			images = v;
		else if (!strcmp(k, "--pid"))
			pid = atoi(v);
		else if (!strcmp(k, "--log-level"))
			log_level = atoi(v);
		else if (!strcmp(k, "--network-lock"))
			netlock = v;
		else if (!strcmp(k, "--prefreeze"))
			prefreeze_dir = v;
		else if (!strcmp(k, "--page-server"))
			page_server = v;
		else if (!strcmp(k, "--status-fd"))
			status_fd = atoi(v);
		else if (!strcmp(k, "--criu"))
			criu = v;
		else if (!strcmp(k, "--stdio")) {
			if (sscanf(v, "%d,%d,%d", &stdio[0], &stdio[1], &stdio[2]) != 3) {
				fprintf(stderr, "ccr_driver: --stdio IN,OUT,ERR\n");
				return 2;
			}
		} else {
			fprintf(stderr, "ccr_driver: unknown option %s\n", k);
			return 2;
		}
	}
	if (!id || !bundle || !images) {
		fprintf(stderr, "ccr_driver: --id, --bundle and --images are required\n");
		return 2;
	}

	uint64_t t0 = now_us(), t_call = 0;
	ccr_error *e;
	ccr_container *c = NULL;
	ccr_options *o = NULL;
	ccr_result *r = NULL;
	STEP(ccr_container_new(&c, id));
	STEP(ccr_container_set_bundle(c, bundle));
	STEP(ccr_options_new(&o));
	STEP(ccr_options_set_images_dir(o, images));
	if (criu)
		STEP(ccr_options_set_criu_path(o, criu));
	if (log_level >= 0)
		STEP(ccr_options_set_log_level(o, log_level));
	if (netlock) {
		ccr_network_lock m = !strcmp(netlock, "iptables")   ? CCR_NETWORK_LOCK_IPTABLES
				     : !strcmp(netlock, "nftables") ? CCR_NETWORK_LOCK_NFTABLES
				     : !strcmp(netlock, "skip")     ? CCR_NETWORK_LOCK_SKIP
								    : CCR_NETWORK_LOCK_DEFAULT;
		STEP(ccr_options_set_network_lock(o, m));
	}
	if (lazy)
		STEP(ccr_options_set_lazy_pages(o, 1));
	if (empty_net)
		STEP(ccr_options_set_empty_ns(o, CLONE_NEWNET));
	if (restore) {
		STEP(ccr_container_set_stdio(c, stdio[0], stdio[1], stdio[2]));
		t_call = now_us();
		STEP(ccr_restore(&r, c, o));
	} else {
		STEP(ccr_container_set_pid(c, pid));
		if (seize)
			STEP(ccr_options_set_freeze_cgroup(o, ""));
		if (leave_running)
			STEP(ccr_options_set_leave_running(o, 1));
		if (page_server) {
			char addr[256];
			const char *colon = strrchr(page_server, ':');
			if (!colon || (size_t)(colon - page_server) >= sizeof addr) {
				fprintf(stderr, "ccr_driver: --page-server ADDR:PORT\n");
				return 2;
			}
			memcpy(addr, page_server, (size_t)(colon - page_server));
			addr[colon - page_server] = 0;
			STEP(ccr_options_set_page_server(o, addr, atoi(colon + 1)));
		}
		if (status_fd >= 0)
			STEP(ccr_options_set_status_fd(o, status_fd));
		if (prefreeze_dir && prefreeze(prefreeze_dir) < 0) {
			printf("{\"ok\":false,\"error\":\"cannot freeze %s: %s\"}\n", prefreeze_dir, strerror(errno));
			return 1;
		}
		t_call = now_us();
		e = ccr_checkpoint(&r, c, o);
		if (e) {
			if (prefreeze_dir) {
				char state[512];
				snprintf(state, sizeof state, "%s/freezer.state", prefreeze_dir);
				write_str(state, "THAWED");
			}
			return fail("ccr_checkpoint", e);
		}
	}
	uint64_t t_end = now_us(), wall = t_end - t0;

	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	printf("{\"ok\":true,\"wall_us\":%llu,\"pid\":%d,\"maxrss_kb\":%ld,\"children_maxrss_kb\":%ld",
	       (unsigned long long)wall, restore ? ccr_result_pid(r) : 0, self.ru_maxrss, kids.ru_maxrss);
	if (t_spawn && t_reaped && t_call)
		printf(",\"before_criu_us\":%llu,\"criu_seen_us\":%llu,\"after_criu_us\":%llu",
		       (unsigned long long)(t_spawn - t_call), (unsigned long long)(t_reaped - t_spawn),
		       (unsigned long long)(t_end - t_reaped));
	for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++) {
		uint64_t v;
		if (ccr_result_stat(&v, r, stats[i].id))
			printf(",\"%s\":%llu", stats[i].name, (unsigned long long)v);
	}
	printf("}\n");
	ccr_result_free(r);
	ccr_options_free(o);
	ccr_container_free(c);
	return 0;
}
