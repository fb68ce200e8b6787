# SPDX-License-Identifier: Apache-2.0
"""Pod downtime: one `ccr pod checkpoint` of three containers against
checkpointing the same three containers one after another with runc, in one
interleaved run (issue #14's benchmark). Started by bench/run_pod.sh.

Each round makes a pod of three fresh memhog containers (0, 0 and 64 MiB,
below one parent cgroup, each with its own network namespace) per tool,
takes a leave-running checkpoint of the whole pod and reads:

- freeze to thaw: ccr's CCR_POD_STAT_FROZEN_TIME_US (the pod's one freeze to
  its thaw); for runc, the sum over the three checkpoints of CRIU's
  freezing_time + frozen_time (each container frozen on its own, in turn);
- from inside: each container's heartbeat gap across the call (memhog's
  "gap LAST FIRST"); for ccr's pod the span from the earliest LAST to the
  latest FIRST (the pod stood still as one), for runc the sum of the three.

Everything lives under one base directory and one cgroup parent
(/ccr-bench-<tag>), removed on exit, also after an error or a signal.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
import types

from summary import med, ms, pct

import bench

SIZES = (0, 0, 64)


def pod_members(b, pod_cg, runtime):
    """Three fresh containers below `pod_cg` (a cgroup path), started."""
    members = []
    for size in SIZES:
        c = b.new_container(size, runtime)
        c.cgpath = pod_cg + "/" + c.id
        c.config["linux"]["cgroupsPath"] = c.cgpath
        with open(c.bundle + "/config.json", "w") as f:
            json.dump(c.config, f, indent=1)
        c.start()
        members.append(c)
    return members


def gaps_during(c, t0, t1):
    """memhog's heartbeat gaps of `c` that overlap [t0, t1] (ns), as (LAST,
    FIRST) pairs; asks it for a pong so every gap it saw has been printed."""
    c.pipes.send("p")
    out = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = c.pipes.read_line(max(0.01, deadline - time.monotonic()))
        if line is None:
            break
        f = line.split()
        if f[0] == "gap" and int(f[2]) >= t0 and int(f[1]) <= t1:
            out.append((int(f[1]), int(f[2])))
        elif f[0] == "pong":
            return out
    raise RuntimeError(f"{c.id}: no answer after the checkpoint: {c.pipes.stderr_text()}")


def inside_us(gaps):
    """The longest gap of one container, in microseconds; a container that
    reported none stood still for less than memhog's threshold, counted as
    the threshold (an upper bound)."""
    if not gaps:
        return bench.GAP_MS * 1000.0
    return max(first - last for last, first in gaps) / 1000.0


def round_ccr(b, ccr, n):
    pod_cg = f"{b.cg_parent}/pod-ccr-{n}"
    members = pod_members(b, pod_cg, "runc")
    images = os.path.join(b.base, "images", f"pod-ccr-{n}")
    argv = [ccr, "pod", "checkpoint", images, "--leave-running", "--json", "--quiet",
            "--pod-id", f"bench{n}", "--cgroup-parent", pod_cg]
    for c in members:
        argv += ["--container", f"{c.id}:{c.bundle}:{c.pid}"]
    t0 = bench.now_ns()
    r = subprocess.run(argv, capture_output=True, check=False)
    t1 = bench.now_ns()
    if r.returncode != 0:
        raise RuntimeError(f"ccr pod checkpoint: exit {r.returncode}: {r.stderr.decode(errors='replace')[-800:]}")
    doc = json.loads(r.stdout)
    all_gaps = [gaps_during(c, t0, t1) for c in members]
    flat = [g for gaps in all_gaps for g in gaps]
    if len([g for g in all_gaps if g]) == len(members):
        inside = (max(f for _, f in flat) - min(last for last, _ in flat)) / 1000.0
    else:
        inside = max(inside_us(g) for g in all_gaps)
    for c in members:
        c.destroy()
        b.live.pop(c.id, None)
    subprocess.run(["rm", "-rf", images], check=False)
    for h in bench.all_hierarchy_mounts():
        bench.rmdir_retry(h + pod_cg)
    return {"tool": "ccr", "freeze_to_thaw_us": float(doc["frozen_time_us"]), "inside_us": inside,
            "wall_us": (t1 - t0) / 1000.0}


def round_runc(b, runc_tool, n):
    pod_cg = f"{b.cg_parent}/pod-{runc_tool}-{n}"
    members = pod_members(b, pod_cg, runc_tool)
    runc, root = b.runc_bin[runc_tool], b.runc_root[runc_tool]
    frozen, inside = 0.0, 0.0
    t_start = bench.now_ns()
    dirs = []
    for c in members:
        images = os.path.join(b.base, "images", f"pod-{runc_tool}-{n}-{c.id}")
        dirs.append(images)
        t0 = bench.now_ns()
        r = subprocess.run([runc, "--root", root, "checkpoint", "--leave-running", "--image-path", images,
                            "--work-path", images, c.id], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           check=False)
        t1 = bench.now_ns()
        if r.returncode != 0:
            raise RuntimeError(f"{runc} checkpoint {c.id}: {r.stdout.decode(errors='replace')[-800:]}")
        st = bench.read_stats(os.path.join(images, "stats-dump"))
        frozen += float(st.get("freezing_time_us", 0) + st.get("frozen_time_us", 0))
        inside += inside_us(gaps_during(c, t0, t1))
    wall = (bench.now_ns() - t_start) / 1000.0
    for c in members:
        c.destroy()
        b.live.pop(c.id, None)
    for d in dirs:
        subprocess.run(["rm", "-rf", d], check=False)
    for h in bench.all_hierarchy_mounts():
        bench.rmdir_retry(h + pod_cg)
    return {"tool": runc_tool, "freeze_to_thaw_us": frozen, "inside_us": inside, "wall_us": wall}


def report(results, args, elapsed, tools):
    lines = ["# Pod checkpoint: one freeze (ccr) against one container after another (runc)", ""]
    if args.runs < 10:
        lines += [f"> **Trial run ({args.runs} runs): not a result.**", ""]
    lines += [(f"Run {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, kernel {os.uname().release}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; {args.runs} measured "
              f"rounds after {args.warmup} warm-up, tools in a shuffled order each round; {elapsed:.0f} s. "
              "A pod is three busybox containers running memhog (0, 0 and 64 MiB touched) below one parent "
              "cgroup, checkpointed leave-running. Command: `sudo bash bench/run_pod.sh`."), "",
              ("*freeze to thaw*: ccr's pod frozen time (one freeze of the pod's cgroup to its thaw); for runc "
              "the sum of CRIU's freezing + frozen time of the three checkpoints. *from inside*: for ccr the "
              "span from the pod's last heartbeat before to its first after (all three containers); for runc "
              "the sum of each container's longest heartbeat gap. Times in ms: median (p10–p90)."), "",
              "| tool | freeze to thaw | from inside | call wall |", "|---|---:|---:|---:|"]
    med_of = {}
    for t in tools:
        rows = [r for r in results if r["tool"] == t]
        if not rows:
            continue
        cells = []
        for key in ("freeze_to_thaw_us", "inside_us", "wall_us"):
            v = [r[key] for r in rows]
            med_of[(t, key)] = med(v)
            cells.append(f"{ms(med(v))} ({ms(pct(v, 0.1))}–{ms(pct(v, 0.9))})")
        label = {"ccr": "ccr pod checkpoint", "runc": "runc 1.1.5, one by one",
                 "runc_new": "runc 1.5.3, one by one"}[t]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "## Target (issue #14): pod freeze-to-thaw ≤ 0.6 × the sequential runc checkpoints' sum", ""]
    for t in tools[1:]:
        if ("ccr", "freeze_to_thaw_us") not in med_of or (t, "freeze_to_thaw_us") not in med_of:
            continue
        ratio = med_of[("ccr", "freeze_to_thaw_us")] / med_of[(t, "freeze_to_thaw_us")]
        inside = med_of[("ccr", "inside_us")] / med_of[(t, "inside_us")]
        verdict = "met" if ratio <= 0.6 else "missed"
        lines.append(f"- against {t}: freeze to thaw {ratio:.2f}× ({verdict}); from inside {inside:.2f}×")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--ccr", required=True, help="the ccr command-line tool")
    ap.add_argument("--bindir", required=True, help="where run_pod.sh built memhog")
    ap.add_argument("--runc-new", default=bench.RUNC_NEW_DEFAULT)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--tag", default=str(os.getpid()))
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    ns = types.SimpleNamespace(workdir=f"/var/tmp/ccr-pod-bench.{args.tag}", tag=f"pod{args.tag}",
                               runc_new=args.runc_new, bindir=args.bindir, sizes=[64], variants=[])
    bench.LAUNCH = os.path.join(args.bindir, "launch")
    b = bench.Bench(ns)
    tools = ["ccr", "runc"] + (["runc_new"] if os.access(args.runc_new, os.X_OK) else [])
    rng = random.Random(args.seed)

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    results = []
    start = time.monotonic()
    try:
        bench.set_subreaper()
        b.setup()
        for n in range(args.warmup + args.runs):
            order = tools[:]
            rng.shuffle(order)
            for t in order:
                rec = round_ccr(b, args.ccr, n) if t == "ccr" else round_runc(b, t, n)
                if n >= args.warmup:
                    results.append(rec)
            bench.log(f"round {n + 1}/{args.warmup + args.runs} done")
    finally:
        b.cleanup()
    text = report(results, args, time.monotonic() - start, tools)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "pod.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
