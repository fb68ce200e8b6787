#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Starts scripts/test.sh and interrupts it the way a developer's Ctrl-C
# does (SIGINT to its whole process group) once it has been in a given stage
# for a while. CI runs this before the real runs, so that they prove the test
# command still passes on a machine where a run was cut short: containers,
# mounts, cgroups, install prefixes and build caches of the interrupted run
# are all still there.
#   bash scripts/test_interrupted.sh [STAGE [SECONDS]]
# STAGE is the text of a "==== STAGE" line test.sh prints (default: the C++
# end-to-end tests); SECONDS how long to let that stage run (default 30).
# Fails when test.sh fails or finishes before the interruption point: the
# interruption would prove nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=${1:-C++ unit, end-to-end and stress tests}
seconds=${2:-30}
log=$(mktemp /tmp/ccr-test-interrupted.XXXXXX.log)

# Job control on: the run gets a process group of its own, so the signal
# reaches every process test.sh started (ctest, the test binaries, CRIU, go,
# cargo) and nothing else; and SIGINT is not ignored in it, as it would be in
# a background command of a script without job control.
set -m
bash scripts/test.sh >"$log" 2>&1 &
run=$!
set +m
echo "interrupted run: test.sh is pid $run, output in $log"

while ! grep -qxF "==== $stage" "$log"; do
  if ! kill -0 "$run" 2>/dev/null; then
    wait "$run" && rc=0 || rc=$?
    tail -n 60 "$log" >&2
    echo "interrupted run: test.sh ended (exit $rc) before stage \"$stage\"" >&2
    exit 1
  fi
  sleep 1
done
sleep "$seconds"
if ! kill -0 "$run" 2>/dev/null; then
  tail -n 60 "$log" >&2
  echo "interrupted run: test.sh ended before it could be interrupted in \"$stage\"" >&2
  exit 1
fi
echo "interrupted run: SIGINT to the run's process group after ${seconds}s of \"$stage\""
kill -INT -- "-$run"
for _ in $(seq 60); do
  kill -0 "$run" 2>/dev/null || break
  sleep 1
done
if kill -0 "$run" 2>/dev/null; then
  echo "interrupted run: still going 60 s after SIGINT; SIGKILL to its process group"
  kill -KILL -- "-$run" 2>/dev/null || true
fi
wait "$run" && rc=0 || rc=$?
echo "interrupted run: test.sh stopped with exit $rc; the last lines it printed:"
tail -n 5 "$log"
