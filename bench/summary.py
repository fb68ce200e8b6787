# SPDX-License-Identifier: Apache-2.0
"""Small statistics for bench.py's report and targets.py: percentiles,
medians, bootstrap intervals and the ms formatting every table uses."""
import random
import statistics


def pct(vals, q):
    """The q-quantile (0..1) of vals, linearly interpolated; None if empty."""
    v = sorted(x for x in vals if x is not None)
    if not v:
        return None
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def med(vals):
    vals = [x for x in vals if x is not None]
    return statistics.median(vals) if vals else None


def mean(vals):
    vals = [x for x in vals if x is not None]
    return statistics.fmean(vals) if vals else None


def boot_ci(a, b, stat, combine, n=2000, seed=1):
    """95% bootstrap interval of combine(stat(a*), stat(b*)), a and b
    resampled independently."""
    if len(a) < 2 or len(b) < 2:
        return None
    rng = random.Random(seed)
    out = sorted(combine(stat(rng.choices(a, k=len(a))), stat(rng.choices(b, k=len(b)))) for _ in range(n))
    return out[int(0.025 * n)], out[int(0.975 * n) - 1]


def waits(rows):
    """(checkpoints in which CRIU's v1 freezer loop slept its 100 ms step,
    checkpoints)."""
    f = [r["ckpt"].get("freezing_time_us") for r in rows if "ckpt" in r]
    return sum(1 for x in f if x is not None and x >= 90000), len(f)


def freezer_waits(rows):
    n, of = waits(rows)
    return f"{n}/{of}"


def ms(us, digits=1):
    return "–" if us is None else f"{us / 1000.0:.{digits}f}"
