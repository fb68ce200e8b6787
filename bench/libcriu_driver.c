/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcriu_driver: one dump or one restore through CRIU's own C library
 * (libcriu.so.2), timed in process, for bench/bench.py. (libcriu 4.1 has no
 * setter for lazy pages, so it takes no part in the lazy-restore pass.) The options are the
 * ones ccr sends (bench.py derives them from the bundle the same way ccr and
 * runc do) and are given on the command line.
 *
 *   libcriu_driver dump    --images DIR --pid PID --root DIR [options]
 *   libcriu_driver restore --images DIR --root DIR [options]
 *
 * options:
 *   --freeze-cgroup DIR      (dump)
 *   --ext KEY:VAL            external mount, repeatable
 *   --cg-root CTRL:PATH      (restore) cgroup root, repeatable
 *   --inherit FD:KEY         (restore) inherit_fd, repeatable
 *   --log-level N            default 4
 *   --network-lock M         iptables | nftables | skip
 *   --leave-running          (dump) the tasks go on running after the dump
 *   --no-version-check       skip criu_check_version(); crun calls it before
 *                            every operation, so the default does too
 *
 * Prints one JSON object on stdout like ccr_driver.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <criu/criu.h>

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ccr and runc ask CRIU to send notifications and acknowledge each; so do we. */
static int notify(char *action, criu_notify_arg_t na)
{
	(void)action;
	(void)na;
	return 0;
}

static int split(const char *v, char *key, size_t n, const char **val)
{
	const char *colon = strchr(v, ':');
	if (!colon || (size_t)(colon - v) >= n)
		return -1;
	memcpy(key, v, (size_t)(colon - v));
	key[colon - v] = 0;
	*val = colon + 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "dump") && strcmp(argv[1], "restore"))) {
		fprintf(stderr, "usage: libcriu_driver dump|restore --images DIR ...\n");
		return 2;
	}
	int restore = !strcmp(argv[1], "restore");
	int version_check = 1, log_level = 4, pid = 0;
	const char *images = NULL;

	uint64_t t0 = now_us();
	/* libcriu wants SIGCHLD blocked around restore_child (see swrk_connect). */
	if (criu_init_opts() < 0) {
		printf("{\"ok\":false,\"error\":\"criu_init_opts\"}\n");
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		const char *k = argv[i];
		if (!strcmp(k, "--leave-running")) {
			criu_set_leave_running(true);
			continue;
		}
		if (!strcmp(k, "--no-version-check")) {
			version_check = 0;
			continue;
		}
		const char *v = i + 1 < argc ? argv[++i] : NULL;
		char key[4096];
		const char *val;
		if (!v) {
			fprintf(stderr, "libcriu_driver: %s needs a value\n", k);
			return 2;
		}
		if (!strcmp(k, "--images"))
			images = v;
		else if (!strcmp(k, "--pid"))
			pid = atoi(v);
		else if (!strcmp(k, "--root"))
			criu_set_root(v);
		else if (!strcmp(k, "--freeze-cgroup"))
			criu_set_freeze_cgroup(v);
		else if (!strcmp(k, "--log-level"))
			log_level = atoi(v);
		else if (!strcmp(k, "--network-lock"))
			criu_set_network_lock(!strcmp(v, "nftables") ? CRIU_NETWORK_LOCK_NFTABLES
					      : !strcmp(v, "skip")   ? CRIU_NETWORK_LOCK_SKIP
								     : CRIU_NETWORK_LOCK_IPTABLES);
		else if (!strcmp(k, "--ext") && !split(v, key, sizeof key, &val))
			criu_add_ext_mount(key, val);
		else if (!strcmp(k, "--cg-root") && !split(v, key, sizeof key, &val))
			criu_add_cg_root(key, val);
		else if (!strcmp(k, "--inherit") && !split(v, key, sizeof key, &val))
			criu_add_inherit_fd(atoi(key), val);
		else {
			fprintf(stderr, "libcriu_driver: bad option %s %s\n", k, v);
			return 2;
		}
	}
	if (!images) {
		fprintf(stderr, "libcriu_driver: --images is required\n");
		return 2;
	}
	int dfd = open(images, O_DIRECTORY | O_RDONLY);
	if (dfd < 0) {
		printf("{\"ok\":false,\"error\":\"cannot open %s\"}\n", images);
		return 1;
	}
	criu_set_images_dir_fd(dfd);
	criu_set_log_level(log_level);
	criu_set_log_file(restore ? "restore.log" : "dump.log");
	criu_set_manage_cgroups(true);
	criu_set_orphan_pts_master(true);
	criu_set_notify_cb(notify);

	int ret;
	if (version_check && (ret = criu_check_version(30000)) != 1) {
		printf("{\"ok\":false,\"error\":\"criu_check_version: %d\"}\n", ret);
		return 1;
	}
	if (restore) {
		criu_set_evasive_devices(true);
		sigset_t mask, old;
		sigemptyset(&mask);
		sigaddset(&mask, SIGCHLD);
		sigprocmask(SIG_BLOCK, &mask, &old);
		ret = criu_restore_child();
		sigprocmask(SIG_SETMASK, &old, NULL);
	} else {
		criu_set_pid(pid);
		ret = criu_dump();
	}
	uint64_t wall = now_us() - t0;
	if (ret < 0) {
		printf("{\"ok\":false,\"error\":\"libcriu %s: %d (see the CRIU log in %s)\"}\n", argv[1], ret, images);
		return 1;
	}
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	printf("{\"ok\":true,\"wall_us\":%llu,\"pid\":%d,\"maxrss_kb\":%ld,\"children_maxrss_kb\":%ld}\n",
	       (unsigned long long)wall, restore ? ret : 0, self.ru_maxrss, kids.ru_maxrss);
	return 0;
}
