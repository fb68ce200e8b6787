#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ccr's benchmark, in one command (as root):
#
#   sudo bash bench/run.sh [--runs N] [--warmup N] [--sizes 0,64,512] [--variants a,b] [--no-tmpfs] [--no-lazy] ...
#   sudo bash bench/run.sh --quick     # a few minutes: checks the report machinery (a trial run)
#
# Builds libccr (build-bench/), the workload (a static C program), the ccr and
# libcriu drivers, puts matplotlib in a venv under /tmp for the chart, then
# runs bench/bench.py, which writes bench/results/latest.{md,png,json} and
# prints the table. Every container, cgroup, mount and tmpfs it makes is
# removed when it ends, also on failure or Ctrl-C. Arguments go to bench.py
# (python3 bench/bench.py --help lists them).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${CCR_BENCH_BUILD:-$repo/build-bench}
venv=${CCR_BENCH_VENV:-/tmp/ccr-bench-venv}
CRIU_SRC=${CRIU_SRC:-/var/cache/ccr-bootstrap/criu-4.1.1}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

log() { printf 'bench: %s\n' "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "must run as root: sudo bash bench/run.sh"; exit 1; }
# A fresh machine gets everything the benchmark runs (idempotent, fast when ready).
bash "$repo/scripts/bootstrap.sh"
for tool in criu runc gcc cmake ninja unshare; do
  command -v "$tool" >/dev/null || { log "missing $tool (scripts/bootstrap.sh installs it)"; exit 1; }
done
[ -x /bin/busybox ] || { log "missing /bin/busybox (apt-get install busybox-static)"; exit 1; }
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || [ -n "$(gcc -print-file-name=libc.a | grep /)" ] ||
  { log "gcc -static needs libc.a (libc6-dev)"; exit 1; }

bin=$(mktemp -d /tmp/ccr-bench-bin.XXXXXX)
pipe_max=$(cat /proc/sys/fs/pipe-max-size)
workdir=/var/tmp/ccr-bench.$$
# The newer runc the benchmark compares with as well (bench.py --runc-new).
runc_new=/usr/local/libexec/ccr-test/runc-1.5.3/runc
cleanup() {
  local rc=$?
  # bench.py removes what it made; this is the net under it (e.g. if it was
  # killed with SIGKILL): containers, restore roots, the tmpfs, cgroups.
  if [ -d "$workdir" ]; then
    # Each runc generation keeps its containers under its own root.
    local root rt
    for root in runc:runc "runc_new:$runc_new"; do
      rt=${root#*:} root=$workdir/${root%%:*}
      [ -d "$root" ] && [ -x "$(command -v "$rt")" ] || continue
      for id in $("$rt" --root "$root" list -q 2>/dev/null); do
        "$rt" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
      done
    done
    for d in /sys/fs/cgroup/freezer/ccr-bench-$$/*/; do
      [ -d "$d" ] && echo THAWED > "$d/freezer.state" 2>/dev/null || true
    done
    for f in /sys/fs/cgroup/*/ccr-bench-$$/*/cgroup.procs; do
      [ -f "$f" ] || continue
      while read -r p; do kill -9 "$p" 2>/dev/null || true; done < "$f"
    done
    sleep 0.2
    grep -o " $workdir[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$workdir"
  fi
  for d in /sys/fs/cgroup/*/ccr-bench-$$; do
    [ -d "$d" ] || continue
    find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null || true
    rmdir "$d" 2>/dev/null || true
  done
  # bench.py raises fs.pipe-max-size for the lazy pass only and puts it back.
  [ "$(cat /proc/sys/fs/pipe-max-size)" = "$pipe_max" ] || echo "$pipe_max" > /proc/sys/fs/pipe-max-size || true
  rm -rf "$bin"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP  # replaced once bench.py runs

log "building libccr in $build"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$bin/cmake.log" 2>&1 ||
    { tail -n 30 "$bin/cmake.log" >&2; exit 1; }
fi
ninja -C "$build" -j2 ccr >"$bin/ninja.log" 2>&1 || { tail -n 30 "$bin/ninja.log" >&2; exit 1; }

log "building the workload and the drivers"
gcc -O2 -static -o "$bin/memhog" "$here/memhog.c"
gcc -O2 -static -o "$bin/launch" "$here/launch.c"
gcc -O2 -Wall -I"$repo/include" -I"$build/include" -I"$build/include/ccr" -rdynamic -o "$bin/ccr_driver" "$here/ccr_driver.c" \
  -L"$build" -lccr -ldl -Wl,-rpath,"$build"
# libcriu's criu.h includes "rpc.pb-c.h", which CRIU generates into images/ of
# its build directory; scripts/bootstrap.sh installs it next to criu.h, older
# set-ups may not have it there yet.
criu_inc=(-I/usr/local/include)
[ -f /usr/local/include/criu/rpc.pb-c.h ] || criu_inc+=(-I"$CRIU_SRC/images")
if gcc -O2 -Wall "${criu_inc[@]}" -o "$bin/libcriu_driver" "$here/libcriu_driver.c" -L/usr/local/lib -lcriu \
    -Wl,-rpath,/usr/local/lib 2>"$bin/libcriu.log"; then
  :
else
  log "libcriu driver not built (libcriu.so.2 or its headers are missing): $(head -n 3 "$bin/libcriu.log")"
fi

py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
  log "installing matplotlib into $venv (for the chart)"
  if "$py" -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q matplotlib >"$bin/pip.log" 2>&1; then
    :
  else
    log "no matplotlib (see $bin/pip.log): the run goes on without the chart"
  fi
fi
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import matplotlib' 2>/dev/null && py=$venv/bin/python

mkdir -p "$here/results"
# In the background so that a signal to this script reaches bench.py at once
# (it cleans up on SIGTERM), not after the whole run.
"$py" "$here/bench.py" --runc-new "$runc_new" --bindir "$bin" --workdir "$workdir" --tag $$ --out "$here/results" "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' INT TERM HUP
rc=0
while :; do
  wait "$child" && rc=0 || rc=$?
  kill -0 "$child" 2>/dev/null || break
done
exit "$rc"
