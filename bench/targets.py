# SPDX-License-Identifier: Apache-2.0
"""Issue #15's targets, judged from one bench.py run: each one met, missed or
not measured, by how much, and for a miss what the run's own numbers say about
why and what would close it.

Every figure here comes from the measured cycles (bench.py's records); the
explanations compare CRIU's own phase times (its statistics images) with what
each tool spends around them, so they say which side of the call the
difference lies on.
"""
from summary import boot_ci, med, ms, pct, waits

# The targets, as issue #15 states them (medians, interleaved in one run).
E2E_LIMIT = 0.80  # checkpoint + restore, 0 MiB, vs each runc
FROZEN_LIMIT = 0.70  # frozen time of a leave-running checkpoint vs runc's
DOWNTIME_LIMIT = 0.75  # migration downtime (images on tmpfs), 0 and 64 MiB
BIG_RUNC_LIMIT = 1.00  # the largest size vs runc
BIG_CLI_LIMIT = 1.05  # the largest size vs the criu CLI given the same options
SPREAD_LIMIT = 1.3  # p90 / median of ccr's 0 MiB checkpoint

FREEZER_STEP_US = 100000  # CRIU's v1 freezer loop sleeps this when it reads FREEZING

RUNC_NETNS = ("runc checkpoints and restores with empty_ns NET, so CRIU neither dumps nor restores the network "
              "namespace's contents (links, addresses, iptables rules; loopback comes back DOWN); ccr's defaults keep "
              "them, which costs CRIU exec'd ip/iptables programs inside the frozen window and in the restore")


def e2e(rows):
    return [r["ckpt"]["wall_us"] + r["rst"]["wall_us"] for r in rows]


def vals(rows, op, key):
    return [r[op][key] for r in rows if op in r and r[op].get(key) is not None]


def ckpt_span(rows):
    """CRIU's own checkpoint span: freezing_time + frozen_time."""
    return [r["ckpt"]["freezing_time_us"] + r["ckpt"]["frozen_time_us"] for r in rows
            if "frozen_time_us" in r.get("ckpt", {}) and "freezing_time_us" in r["ckpt"]]


class Target:
    def __init__(self, name, status, detail, why="", close=""):
        self.name, self.status, self.detail, self.why, self.close = name, status, detail, why, close

    def markdown(self):
        s = f"- **{self.status}** — {self.name}: {self.detail}"
        if self.why:
            s += f"\n  - *why*: {self.why}"
        if self.close:
            s += f"\n  - *what would close it*: {self.close}"
        return s


class Data:
    """The run's records, selected the way the targets need them."""

    def __init__(self, rows, label, variants, sizes, tmpfs_sizes, snapshot_sizes, runc_new_note, cli_lock):
        self.rows, self.label, self.variants = rows, label, variants
        self.sizes, self.tmpfs_sizes, self.snapshot_sizes = sizes, tmpfs_sizes, snapshot_sizes
        self.runc_new_note, self.cli_lock = runc_new_note, cli_lock

    def mig(self, tool, size, loc="disk"):
        return [r for r in self.rows if r.get("mode", "migrate") == "migrate" and r["tool"] == tool
                and r["size"] == size and r["loc"] == loc]

    def snap(self, tool, size):
        return [r for r in self.rows if r.get("mode") == "snapshot" and r["tool"] == tool and r["size"] == size]


def ratio_detail(a, b, unit_label):
    """'0.912 × (medians 1.0 vs 1.1 ms; 95% CI 0.85–0.97)' and the ratio."""
    r = med(a) / med(b)
    ci = boot_ci(a, b, med, lambda x, y: x / y)
    return r, ci, "{:.3f} × {} (medians {} vs {} ms; 95% CI {}; n {} and {})".format(
        r, unit_label, ms(med(a)), ms(med(b)), f"{ci[0]:.2f}–{ci[1]:.2f}" if ci else "–", len(a), len(b))


def judged(r, limit):
    return "met" if r <= limit else "MISSED"


def over(r, limit, ci):
    s = f"; over by {r - limit:.3f}"
    if ci and ci[0] <= limit:
        s += " (the interval reaches the target: this run cannot tell the miss from noise)"
    return s


def freezer_note(c_rows, r_rows, ref_label):
    nc, oc = waits(c_rows)
    nr, orr = waits(r_rows)
    return f"CRIU's freezer loop slept its 100 ms step in {nc}/{oc} of ccr's checkpoints, {nr}/{orr} of {ref_label}'s"


def split_ms(c_rows, r_rows, ref_label):
    """Where ccr's checkpoint and restore differ from the reference's: CRIU's
    own span (its statistics) and everything outside it."""
    parts = []
    for op, name, span in (("ckpt", "checkpoint", ckpt_span), ("rst", "restore",
                                                                lambda rows: vals(rows, "rst", "restore_time_us"))):
        wc, wr = med(vals(c_rows, op, "wall_us")), med(vals(r_rows, op, "wall_us"))
        sc, sr = med(span(c_rows)), med(span(r_rows))
        if None in (wc, wr):
            continue
        s = f"{name} {ms(wc)} vs {ms(wr)} ms ({(wc - wr) / 1000:+.1f})"
        if None not in (sc, sr):
            s += (f", of which CRIU's own span {(sc - sr) / 1000:+.1f} and outside CRIU "
                  f"{((wc - sc) - (wr - sr)) / 1000:+.1f}")
        parts.append(s)
    return f"ccr vs {ref_label}: " + "; ".join(parts) if parts else ""


def lever_note(data, ref_rows, limit, key_fn):
    """Which of this run's ccr variants would meet the target (same cells,
    same run), best first."""
    found = []
    for v, (_, label) in data.variants.items():
        rows = data.mig(v, 0)
        if rows and ref_rows:
            r = med(key_fn(rows)) / med(key_fn(ref_rows))
            found.append((r, v, label))
    if not found:
        return ""
    found.sort()
    meets = [f"{label} ({v}) {r:.3f} ×" for r, v, label in found if r <= limit]
    if meets:
        return ("the ccr variants measured in this run that would meet it (measurements, not all of them safe "
                "defaults: bench/README.md's option table says which): " + "; ".join(meets))
    r, v, label = found[0]
    return f"no ccr variant measured in this run meets it; the best, {label} ({v}), reaches {r:.3f} ×"


def e2e_targets(data):
    out = []
    c = data.mig("ccr", 0)
    for ref in ("runc", "runc_new"):
        name = f"0 MiB checkpoint+restore ≤ {E2E_LIMIT:.2f} × {data.label(ref)}"
        rr = data.mig(ref, 0)
        if not c or not rr:
            out.append(Target(name, "not measured", data.runc_new_note if ref == "runc_new" and
                              data.runc_new_note else "no 0 MiB cells for ccr or this runc in this run"))
            continue
        r, ci, detail = ratio_detail(e2e(c), e2e(rr), data.label(ref))
        t = Target(name, judged(r, E2E_LIMIT), detail)
        if r > E2E_LIMIT:
            t.detail += over(r, E2E_LIMIT, ci)
            need = med(e2e(c)) - E2E_LIMIT * med(e2e(rr))
            t.why = "; ".join(x for x in (split_ms(c, rr, data.label(ref)), freezer_note(c, rr, data.label(ref))) if x)
            t.why += (". " + RUNC_NETNS + "; the process table shows the programs CRIU execs for it")
            nc, oc = waits(c)
            close = [f"{need / 1000:.0f} ms less per checkpoint+restore at this run's runc time"]
            if nc:
                close.append(f"a freezer default that never enters CRIU's 100 ms loop saves about "
                             f"{nc / oc * FREEZER_STEP_US / 1000:.0f} ms on average here ({nc}/{oc} checkpoints slept)")
            lv = lever_note(data, rr, E2E_LIMIT, e2e)
            if lv:
                close.append(lv)
            t.close = "; ".join(close)
        out.append(t)
    return out


def frozen_targets(data):
    out = []
    for size in data.snapshot_sizes:
        c = data.snap("ccr", size)
        for ref in ("runc", "runc_new"):
            name = f"frozen time of a leave-running checkpoint ≤ {FROZEN_LIMIT:.2f} × {data.label(ref)}'s ({size} MiB)"
            rr = data.snap(ref, size)
            if not c or not rr:
                out.append(Target(name, "not measured", data.runc_new_note if ref == "runc_new" and
                                  data.runc_new_note else "no leave-running cells for ccr or this runc"))
                continue
            gc, gr = [r["frozen_gap_us"] for r in c], [r["frozen_gap_us"] for r in rr]
            r, ci, detail = ratio_detail(gc, gr, data.label(ref))
            sc, sr = med(ckpt_span(c)), med(ckpt_span(rr))
            detail += f"; CRIU's freezing+frozen {ms(sc)} vs {ms(sr)} ms"
            t = Target(name, judged(r, FROZEN_LIMIT), detail)
            if r > FROZEN_LIMIT:
                t.detail += over(r, FROZEN_LIMIT, ci)
                fz = (med(vals(c, "ckpt", "freezing_time_us")), med(vals(c, "ckpt", "frozen_time_us")),
                      med(vals(c, "ckpt", "memdump_time_us")))
                t.why = ("the application stands still from CRIU's freeze to its thaw, all of it CRIU's work: "
                         f"ccr's median freezing {ms(fz[0])} ms, frozen {ms(fz[1])} ms (memory dump {ms(fz[2])} ms "
                         f"of it); {freezer_note(c, rr, data.label(ref))}. What ccr does outside CRIU's call "
                         "does not stop the application, so only the options ccr gives CRIU (freezer, network lock, "
                         f"what is dumped) move this. {RUNC_NETNS}")
                t.close = (f"{(med(gc) - FROZEN_LIMIT * med(gr)) / 1000:.0f} ms less frozen time at this run's runc "
                           "figure: the levers issue #15 names all act inside the frozen window: the network lock "
                           "(iptables-restore exec'd), the freezer's 100 ms step, and the network namespace's dump "
                           "(skipped where provably nothing is in it to keep)")
            out.append(t)
    return out


def downtime_targets(data):
    out = []
    for size in [s for s in (0, 64) if s in data.sizes]:
        loc = "tmpfs" if size in data.tmpfs_sizes else "disk"
        c = data.mig("ccr", size, loc)
        for ref in ("runc", "runc_new"):
            name = (f"migration downtime ≤ {DOWNTIME_LIMIT:.2f} × {data.label(ref)}'s ({size} MiB, images on "
                    f"{loc})")
            rr = data.mig(ref, size, loc)
            if not c or not rr:
                out.append(Target(name, "not measured", data.runc_new_note if ref == "runc_new" and
                                  data.runc_new_note else "no cells for ccr or this runc at this size"))
                continue
            dc, dr = [r["downtime_us"] for r in c], [r["downtime_us"] for r in rr]
            r, ci, detail = ratio_detail(dc, dr, data.label(ref))
            t = Target(name, judged(r, DOWNTIME_LIMIT), detail)
            if loc != "tmpfs":
                t.detail += " (no tmpfs cells at this size in this run: images on disk)"
            if r > DOWNTIME_LIMIT:
                t.detail += over(r, DOWNTIME_LIMIT, ci)
                t.why = ("the downtime runs from CRIU's freeze in the checkpoint to the first heartbeat after the "
                         "restore, so it is the frozen part of the checkpoint plus the whole restore: "
                         + split_ms(c, rr, data.label(ref)) + "; " + freezer_note(c, rr, data.label(ref)))
                t.close = (f"{(med(dc) - DOWNTIME_LIMIT * med(dr)) / 1000:.0f} ms less downtime at this run's runc "
                           "figure, from the frozen part of the checkpoint and from the restore alike: the same levers "
                           "as for the frozen time, plus the restore's network namespace (runc's empty one skips "
                           "it) and CRIU's kernel probes, rerun in every CRIU process where /run is not a tmpfs")
            out.append(t)
    return out


def big_targets(data):
    out = []
    big = max(data.sizes)
    if big < 512:
        return [Target(f"{512} MiB no slower than runc and within 5% of the criu CLI", "not measured",
                       f"the largest size in this run is {big} MiB (run without --quick / with --sizes 0,64,512)")]
    for loc in ("disk", "tmpfs"):
        c = data.mig("ccr", big, loc)
        if not c:
            continue
        for ref in ("runc", "runc_new"):
            name = f"{big} MiB checkpoint+restore ≤ {BIG_RUNC_LIMIT:.2f} × {data.label(ref)} (images on {loc})"
            rr = data.mig(ref, big, loc)
            if not rr:
                out.append(Target(name, "not measured", data.runc_new_note or "no cells for this runc"))
                continue
            r, ci, detail = ratio_detail(e2e(c), e2e(rr), data.label(ref))
            t = Target(name, judged(r, BIG_RUNC_LIMIT), detail)
            if r > BIG_RUNC_LIMIT:
                t.detail += over(r, BIG_RUNC_LIMIT, ci)
                t.why = split_ms(c, rr, data.label(ref)) + ". At this size CRIU's memory work dominates both"
                t.close = ("the difference lies where the split above puts it: inside CRIU's span it is CRIU's "
                           "memory work (page cache and CPU shared with other work), outside it the tools' own")
            out.append(t)
        cli = data.mig("criu", big, loc)
        if not cli:
            continue
        for op, opname in (("ckpt", "checkpoint"), ("rst", "restore")):
            name = (f"{big} MiB {opname}: ccr within 5% of the criu CLI given the same options (images on {loc}; "
                    f"CLI network lock: {data.cli_lock or 'CRIU default'})")
            r, ci, detail = ratio_detail(vals(c, op, "wall_us"), vals(cli, op, "wall_us"), "criu CLI")
            t = Target(name, judged(r, BIG_CLI_LIMIT), detail)
            if r > BIG_CLI_LIMIT:
                t.detail += over(r, BIG_CLI_LIMIT, ci)
                span = ckpt_span if op == "ckpt" else (lambda rows: vals(rows, "rst", "restore_time_us"))
                sc, sl = med(span(c)), med(span(cli))
                oc = med(vals(c, op, "ccr_outside_criu_time_us"))
                t.why = (f"CRIU's own span {ms(sc)} vs {ms(sl)} ms; ccr's own time outside CRIU {ms(oc, 2)} ms. "
                         "Same CRIU, same options: a difference inside CRIU's span is the machine's, not ccr's")
                t.close = "more runs on a quiet machine (--runs 30) to tell CRIU's own variation from ccr's cost"
            out.append(t)
    return out


def spread_target(data):
    c = data.mig("ccr", 0)
    name = f"spread of ccr's 0 MiB checkpoint time, p90 ÷ median ≤ {SPREAD_LIMIT}"
    w = vals(c, "ckpt", "wall_us")
    if len(w) < 3:
        return [Target(name, "not measured", "fewer than 3 ccr 0 MiB checkpoints")]
    r = pct(w, 0.9) / med(w)
    t = Target(name, "met" if r <= SPREAD_LIMIT else "MISSED",
               f"{r:.2f} (p90 {ms(pct(w, 0.9))} ms, median {ms(med(w))} ms, n {len(w)})")
    rr = data.mig("runc", 0)
    wr = vals(rr, "ckpt", "wall_us")
    if len(wr) >= 3:
        t.detail += f"; runc's {pct(wr, 0.9) / med(wr):.2f}"
    if r > SPREAD_LIMIT:
        t.detail += f"; over by {r - SPREAD_LIMIT:.2f}"
        n, of = waits(c)
        t.why = (f"CRIU's v1 freezer loop slept its 100 ms step in {n}/{of} of these checkpoints (it sleeps whenever "
                 "its first read of freezer.state says FREEZING)" if n else
                 "no freezer-loop sleeps: the slow tail is the machine's (other work on the shared CPUs)")
        t.close = ("a freezer default that never enters CRIU's sleeping loop (issue #15's freezer lever) makes the "
                   "100 ms step disappear" if n else "a quieter machine")
    return [t]


def evaluate(data):
    """Every target of issue #15, in the issue's order."""
    return e2e_targets(data) + frozen_targets(data) + downtime_targets(data) + big_targets(data) + spread_target(data)
