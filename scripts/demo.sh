#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job, end to end on this machine: start a busybox container with
# runc, checkpoint it with ccr, restore it with ccr, and show that it carried
# on counting from where it was.
# Usage: sudo bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=${CCR_BUILD_DIR:-$top/build}

bash scripts/bootstrap.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" ccr_cli >/dev/null
ccr=$build/examples/ccr

id=ccr-demo-$$
work=$(mktemp -d /tmp/ccr-demo.XXXXXX)
bundle=$work/bundle
runc_root=$work/runc
restored_pid=
cleanup() {
  [ -n "$restored_pid" ] && kill -KILL "$restored_pid" 2>/dev/null || true
  runc --root "$runc_root" delete -f "$id" >/dev/null 2>&1 || true
  for d in /sys/fs/cgroup/*/ccr-demo/"$id" /sys/fs/cgroup/*/ccr-demo; do rmdir "$d" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A busybox rootfs and runc's default spec, changed to run a counter with
# pipes for stdio (CRIU hands pipes back on restore; a host /dev/null it could not).
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/"
for applet in sh sleep echo; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
runc spec --bundle "$bundle"
python3 - "$bundle/config.json" "$id" <<'PY'
import json, sys
path, cid = sys.argv[1], sys.argv[2]
cfg = json.load(open(path))
cfg["process"]["terminal"] = False
cfg["process"]["args"] = ["sh", "-c", 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 1; done']
cfg["root"]["readonly"] = False
cfg["linux"]["cgroupsPath"] = "/ccr-demo/" + cid
json.dump(cfg, open(path, "w"), indent=2)
PY

# Two pipes held open read-write by this shell: the container's stdin and stdout.
exec {cin}<> <(:)
exec {cout}<> <(:)
ticks() { # drains what the container wrote so far: its tick numbers, space-separated
  local line out=""
  while read -r -t 0.3 -u "$cout" line; do
    case $line in tick\ *) out="$out ${line#tick }" ;; esac
  done
  echo "${out# }"
}

echo "== start a busybox container with runc"
runc --root "$runc_root" run -d --bundle "$bundle" "$id" <&$cin >&$cout 2>&$cout
pid=$(runc --root "$runc_root" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
sleep 2.5
before=$(ticks)
echo "   container $id, init pid $pid, counted: $before"

echo "== checkpoint it with ccr"
time "$ccr" checkpoint --id "$id" --pid "$pid" --bundle "$bundle" --image-path "$work/images"
for _ in $(seq 50); do
  state=$(runc --root "$runc_root" state "$id" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' || echo gone)
  [ "$state" = stopped ] || [ "$state" = gone ] && break
  sleep 0.1
done
[ "$state" = stopped ] || [ "$state" = gone ] || { echo "the container should have stopped after checkpoint (runc says $state)"; exit 1; }
runc --root "$runc_root" delete -f "$id" >/dev/null 2>&1 || true
ls "$work/images" | head -n 5 | sed 's/^/   image: /'
echo "   (the container is gone; its state is in $work/images)"

echo "== restore it with ccr"
time "$ccr" restore --id "$id" --bundle "$bundle" --image-path "$work/images" --pid-file "$work/restored.pid" \
  <&$cin >&$cout 2>&$cout
restored_pid=$(cat "$work/restored.pid")
sleep 2.5
after=$(ticks)
echo "   restored init pid $restored_pid, counted: $after"

b=${before##* } a=${after%% *}
if [ -n "$b" ] && [ -n "$a" ] && [ "$a" -eq $((b + 1)) ]; then
  echo "== it carried on: its last tick before the checkpoint was $b, its first after the restore was $a"
else
  echo "== FAILED: before='$before' after='$after'"
  exit 1
fi
