/* SPDX-License-Identifier: Apache-2.0 */
/*
 * launch: runs one command and reports its wall time, exit status and peak
 * RSS, for bench/bench.py.
 *
 *   launch RESULT_FILE COMMAND [ARG...]
 *
 * Why not let the benchmark (Python) start the command itself: Linux records
 * the RSS high-water mark of the image a process had before execve() into its
 * ru_maxrss, so a command exec'd straight from a 20 MiB Python process would
 * report at least 20 MiB whatever it used. launch is linked statically and
 * tiny, so what the command reports is its own (plus the processes it waited
 * for, as wait4 counts them). The command inherits launch's descriptors and
 * environment; COMMAND is looked up in launch's PATH. The wall time is
 * CLOCK_MONOTONIC from just before posix_spawnp() to wait4() returning.
 *
 * RESULT_FILE gets one JSON line: {"wall_us":..,"status":..,"maxrss_kb":..}
 * where status is the exit code, or 128 + the signal that ended the command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: launch RESULT_FILE COMMAND [ARG...]\n");
		return 127;
	}
	/* Signals that would stop us while the command runs go to it as well
	 * (same process group); we only report. */
	long long t0 = now_ns();
	pid_t pid;
	int err = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ);
	if (err) {
		fprintf(stderr, "launch: %s: %s\n", argv[2], strerror(err));
		return 127;
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("launch: wait4");
			return 127;
		}
	long long t1 = now_ns();
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	FILE *f = fopen(argv[1], "we");
	if (!f) {
		perror(argv[1]);
		return 127;
	}
	fprintf(f, "{\"wall_us\":%.1f,\"status\":%d,\"maxrss_kb\":%ld}\n", (t1 - t0) / 1000.0, code, ru.ru_maxrss);
	fclose(f);
	return code;
}
