#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Pod downtime, in one command (as root):
#
#   sudo bash bench/run_pod.sh [--runs N] [--warmup N] [--seed N]
#
# Builds the ccr tool (build-bench/, or $CCR_BENCH_BUILD) and the static
# workload, then runs bench/pod_bench.py, which writes bench/results/pod.md
# and prints it: a leave-running `ccr pod checkpoint` of three containers
# against runc checkpointing the same three one after another. Every
# container, cgroup and directory it makes is removed when it ends.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${CCR_BENCH_BUILD:-$repo/build-bench}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

log() { printf 'bench: %s\n' "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "must run as root: sudo bash bench/run_pod.sh"; exit 1; }
bash "$repo/scripts/bootstrap.sh"
[ -x /bin/busybox ] || { log "missing /bin/busybox (apt-get install busybox-static)"; exit 1; }

bin=$(mktemp -d /tmp/ccr-pod-bench-bin.XXXXXX)
tag=$$
cleanup() {
  local rc=$?
  # pod_bench.py removes what it made; this is the net under it (a SIGKILL).
  for f in /sys/fs/cgroup/*/ccr-bench-pod$tag/*/*/cgroup.procs /sys/fs/cgroup/*/ccr-bench-pod$tag/*/cgroup.procs; do
    [ -f "$f" ] || continue
    while read -r p; do kill -9 "$p" 2>/dev/null || true; done < "$f"
  done
  for d in /sys/fs/cgroup/*/ccr-bench-pod$tag; do
    [ -d "$d" ] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  rm -rf "$bin" "/var/tmp/ccr-pod-bench.$tag"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

log "building the ccr tool in $build"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCCR_BUILD_EXAMPLES=ON >"$bin/cmake.log" 2>&1 ||
    { tail -n 30 "$bin/cmake.log" >&2; exit 1; }
fi
ninja -C "$build" -j2 ccr_cli >"$bin/ninja.log" 2>&1 || { tail -n 30 "$bin/ninja.log" >&2; exit 1; }
gcc -O2 -static -o "$bin/memhog" "$here/memhog.c"
gcc -O2 -static -o "$bin/launch" "$here/launch.c"

trap - INT TERM HUP
python3 "$here/pod_bench.py" --ccr "$build/examples/ccr" --bindir "$bin" --tag "$tag" "$@"
