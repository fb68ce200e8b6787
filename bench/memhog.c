/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memhog: the benchmark's workload, linked statically into the busybox rootfs.
 *
 *   memhog MiB [GAP_MS]
 *
 * Touches MiB MiB of anonymous memory with non-zero data (CRIU dumps only
 * pages that are present), prints "ready MiB T", then loops with a 1 ms
 * heartbeat taken from CLOCK_MONOTONIC (the host's clock: runc makes no time
 * namespace, and a checkpointed process keeps it). When two heartbeats are
 * more than GAP_MS ms apart it prints "gap LAST FIRST" (nanoseconds): after a
 * restore, LAST is the last heartbeat before the checkpoint froze it (it is
 * in the checkpointed memory) and FIRST the first after it resumed. That
 * difference is the downtime as seen from inside the container; after a
 * leave-running checkpoint, the time the checkpoint kept it frozen. GAP_MS
 * (default 10) sets the reporting threshold.
 *
 * Commands on stdin, one per line, each answered on stdout:
 *   p        -> "pong T SUM"  (SUM reads one word of 64 pages: cheap)
 *   t        -> "touched T NS" after reading one word of every page
 *   EOF      -> exit
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	uint64_t gap_ns = (argc > 2 ? strtoull(argv[2], NULL, 10) : 10) * 1000000ull;
	size_t len = mib << 20, page = 4096;
	volatile uint64_t *mem = NULL;
	if (len) {
		mem = malloc(len);
		if (!mem) {
			printf("error malloc %zu MiB\n", mib);
			return 1;
		}
		/* Non-zero, different on every page: no zero page, nothing shared. */
		for (size_t off = 0; off < len; off += sizeof(uint64_t))
			mem[off / sizeof(uint64_t)] = 0x9e3779b97f4a7c15ull ^ off;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %zu %llu\n", mib, (unsigned long long)now_ns());

	uint64_t last = now_ns();
	char line[256];
	size_t have = 0;
	for (;;) {
		struct pollfd pfd = {.fd = 0, .events = POLLIN};
		int r = poll(&pfd, 1, 1);
		uint64_t t = now_ns();
		if (t - last > gap_ns)
			printf("gap %llu %llu\n", (unsigned long long)last, (unsigned long long)t);
		last = t;
		if (r <= 0 || !(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t n = read(0, line + have, sizeof line - 1 - have);
		if (n <= 0)
			return 0;
		have += (size_t)n;
		char *nl;
		while ((nl = memchr(line, '\n', have))) {
			*nl = 0;
			if (line[0] == 'p') {
				uint64_t sum = 0;
				for (size_t i = 0; i < 64 && i * page < len; i++)
					sum += mem[i * page / sizeof(uint64_t)];
				printf("pong %llu %llu\n", (unsigned long long)now_ns(), (unsigned long long)sum);
			} else if (line[0] == 't') {
				uint64_t t0 = now_ns(), sum = 0;
				for (size_t off = 0; off < len; off += page)
					sum += mem[off / sizeof(uint64_t)];
				uint64_t t1 = now_ns();
				printf("touched %llu %llu %llu\n", (unsigned long long)t1,
				       (unsigned long long)(t1 - t0), (unsigned long long)sum);
			}
			size_t used = (size_t)(nl - line) + 1;
			memmove(line, nl + 1, have - used);
			have -= used;
		}
		if (have == sizeof line - 1)
			have = 0;
	}
}
