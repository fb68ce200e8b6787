#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ccr's benchmark: ccr (C ABI), runc, the criu CLI and libcriu, side by side,
interleaved in one run. Started by bench/run.sh, which builds what it needs;
see bench/README.md for what every column means.

Everything this script makes lives under one base directory, one cgroup
parent (/ccr-bench-<tag> in every hierarchy; run.sh passes its pid), and one
tmpfs mount; all of it is removed on exit, also after an error or a signal.
"""
import argparse
import ctypes
import json
import os
import platform
import random
import re
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

import targets
from summary import boot_ci, freezer_waits, mean, med, ms, pct

PAGE = 4096
CGROOT = "/sys/fs/cgroup"
MAIN_TOOLS = ["ccr", "runc", "runc_new", "criu", "libcriu"]
TOOL_LABEL = {"ccr": "ccr (C ABI)", "runc": "runc", "runc_new": "runc (new)", "criu": "criu CLI",
              "libcriu": "libcriu"}
# The two runc generations: Debian's on PATH, and the newer one
# scripts/bootstrap.sh builds off PATH for the ccr-runc tests.
RUNC_TOOLS = ("runc", "runc_new")
RUNC_NEW_DEFAULT = "/usr/local/libexec/ccr-test/runc-1.5.3/runc"
# The tools that take part in the downtime cells (migration on tmpfs at the
# small sizes, leave-running snapshots): ccr against both runcs.
DOWNTIME_TOOLS = ("ccr", "runc", "runc_new")
# memhog reports heartbeat gaps longer than this (ms): small enough to see
# any freeze CRIU makes, large enough that a busy machine's scheduling delays
# do not flood the pipe.
GAP_MS = 5

# ccr option variants measured on the 0 MiB container, each against ccr's
# defaults (log level 4, iptables network lock, the container's freezer
# cgroup), which are also runc's.
VARIANTS = {
    "ccr:log2": (["--log-level", "2"], "log level 2 (errors and warnings)"),
    "ccr:log0": (["--log-level", "0"], "log level 0 (nothing, not even errors)"),
    "ccr:nft": (["--network-lock", "nftables"], "network lock nftables"),
    "ccr:skip": (["--network-lock", "skip"], "network lock skip"),
    "ccr:seize": (["--seize"], "no freezer: ptrace seize (freeze_cgroup \"\")"),
    "ccr:prefreeze": (["@prefreeze"], "freezer, frozen by the caller first (50 us poll)"),
    "ccr:emptyns": (["--empty-ns-net"], "empty_ns NET, as runc always sets (loopback comes back DOWN)"),
    "ccr:kdat": (["@kdat"], "CRIU's kernel-probe cache present (/run on tmpfs)"),
    "ccr:proposed": (["@prefreeze", "--network-lock", "nftables"], "proposed: prefreeze + nftables"),
    "ccr:proposed+kdat": (["@prefreeze", "--network-lock", "nftables", "@kdat"],
                          "proposed, CRIU's kernel-probe cache present"),
    "ccr:proposed+emptyns": (["@prefreeze", "--network-lock", "nftables", "--empty-ns-net"],
                             "proposed + empty_ns NET (runc's network handling)"),
}


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def now_ns():
    return time.monotonic_ns()


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# CRIU statistics images: 2 magic u32 words, then u32 size + stats_entry.
# ---------------------------------------------------------------------------

DUMP_FIELDS = {1: "freezing_time_us", 2: "frozen_time_us", 3: "memdump_time_us", 4: "memwrite_time_us",
               5: "pages_scanned", 6: "pages_skipped_parent", 7: "pages_written", 8: "irmap_resolve_us",
               9: "pages_lazy", 10: "page_pipes", 11: "page_pipe_bufs", 12: "shpages_scanned",
               13: "shpages_skipped_parent", 14: "shpages_written"}
RESTORE_FIELDS = {1: "pages_compared", 2: "pages_skipped_cow", 3: "forking_time_us", 4: "restore_time_us",
                  5: "pages_restored"}


def _varint(buf, off):
    v = shift = 0
    while True:
        b = buf[off]
        off += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, off


def _fields(buf):
    off, out = 0, []
    while off < len(buf):
        key, off = _varint(buf, off)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, off = _varint(buf, off)
        elif wt == 2:
            n, off = _varint(buf, off)
            v, off = buf[off:off + n], off + n
        elif wt == 5:
            v, off = struct.unpack_from("<I", buf, off)[0], off + 4
        elif wt == 1:
            v, off = struct.unpack_from("<Q", buf, off)[0], off + 8
        else:
            raise ValueError(f"bad wire type {wt}")
        out.append((num, v))
    return out


def read_stats(path):
    """stats-dump or stats-restore -> dict of the fields CRIU wrote; {} if absent."""
    try:
        data = read_bytes(path)
    except FileNotFoundError:
        return {}
    m0, m1 = struct.unpack_from("<II", data, 0)
    if (m0, m1) != (0x55105940, 0x57093306):
        raise ValueError(f"{path}: not a CRIU stats image (magic {m0:#x} {m1:#x})")
    size = struct.unpack_from("<I", data, 8)[0]
    out = {}
    for num, sub in _fields(data[12:12 + size]):
        names = DUMP_FIELDS if num == 1 else RESTORE_FIELDS
        for n, v in _fields(sub):
            if n in names:
                out[names[n]] = v
    return out


def criu_log_init_us(path, restore):
    """CRIU's own start-up inside its log: from the log's first line to the
    line that starts the real work (kernel probes, options, images). -v4 only."""
    marker = re.compile(r"pstree pid_max=" if restore else r"Dumping processes \(pid")
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if marker.search(line):
                    m = re.match(r"\((\d+)\.(\d+)\)", line)
                    if m:
                        return int(m.group(1)) * 1000000 + int(m.group(2))
    except FileNotFoundError:
        pass
    return None


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

def set_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap_zombies():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


LAUNCH = None  # bindir/launch: see launch.c


class Spawned:
    def __init__(self, pid, t0, measure=None):
        self.pid, self.t0, self.measure = pid, t0, measure
        self.status = self.rusage = self.t1 = None
        self.tool = {}

    def _done(self, status, ru):
        self.t1 = now_ns()
        self.status, self.rusage = status, ru
        if self.measure:
            try:
                self.tool = json.loads(read_text(self.measure))
            except (OSError, ValueError):
                self.tool = {}
        return os.waitstatus_to_exitcode(status)

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.pid, 0 if deadline is None else os.WNOHANG)
            if pid == self.pid:
                return self._done(status, ru)
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                deadline = None
            time.sleep(0.002)

    def poll(self):
        pid, status, ru = os.wait4(self.pid, os.WNOHANG)
        if pid == self.pid:
            return self._done(status, ru)
        return None

    @property
    def wall_us(self):
        """The command's wall time as launch measured it (without starting
        launch itself), else ours."""
        return self.tool.get("wall_us", (self.t1 - self.t0) / 1000.0)

    @property
    def maxrss_kb(self):
        return self.tool.get("maxrss_kb", self.rusage.ru_maxrss if self.rusage else None)


def spawn(argv, stdin=None, stdout=None, stderr=None, fds=(), env=None, measure=None):
    """posix_spawn with stdio and extra descriptors placed at 3, 4, ...
    (fds > 2 of ours are close-on-exec, so the child gets exactly these).
    With `measure` (a file name) the command runs under launch, which
    times it and reads its peak RSS (see launch.c)."""
    actions = []
    for target, fd in ((0, stdin), (1, stdout), (2, stderr)):
        if fd is not None:
            actions.append((os.POSIX_SPAWN_DUP2, fd, target))
    for i, fd in enumerate(fds):
        actions.append((os.POSIX_SPAWN_DUP2, fd, 3 + i))
    env = env if env is not None else os.environ
    if measure:
        argv = [LAUNCH, measure] + list(argv)
    exe = argv[0] if "/" in argv[0] else shutil.which(argv[0], path=env.get("PATH"))
    if not exe:
        raise RuntimeError(f"{argv[0]} not found in PATH")
    if stdin is None:
        actions.insert(0, (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0))
    t0 = now_ns()
    pid = os.posix_spawn(exe, argv, env, file_actions=actions)
    return Spawned(pid, t0, measure)


def high_fd(fd):
    """Moves a descriptor above 2..9 so the dup2 in spawn() never collides."""
    new = fcntl_dupfd(fd)
    os.close(fd)
    return new


def fcntl_dupfd(fd):
    import fcntl
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 20)


def run(argv, check=True, timeout=60):
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, check=False)
    if check and r.returncode != 0:
        raise RuntimeError("{}: exit {}: {}".format(" ".join(argv), r.returncode,
                                                    r.stdout.decode(errors="replace")[-2000:]))
    return r.stdout.decode(errors="replace")


class Pipes:
    """The three stdio pipes of a container: ours are in_w, out_r, err_r."""

    def __init__(self):
        i_r, i_w = os.pipe()
        o_r, o_w = os.pipe()
        e_r, e_w = os.pipe()
        self.c = [high_fd(i_r), high_fd(o_w), high_fd(e_w)]  # container side
        self.in_w, self.out_r, self.err_r = high_fd(i_w), high_fd(o_r), high_fd(e_r)
        self.buf = b""

    def close_container_side(self):
        for fd in self.c:
            if fd >= 0:
                os.close(fd)
        self.c = [-1, -1, -1]

    def close(self):
        self.close_container_side()
        for fd in (self.in_w, self.out_r, self.err_r):
            if fd >= 0:
                os.close(fd)
        self.in_w = self.out_r = self.err_r = -1

    def send(self, line):
        os.write(self.in_w, line.encode() + b"\n")

    def read_line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.out_r], [], [], left)
            if not r:
                return None
            data = os.read(self.out_r, 65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def stderr_text(self):
        out = b""
        while select.select([self.err_r], [], [], 0)[0]:
            d = os.read(self.err_r, 65536)
            if not d:
                break
            out += d
        return out.decode(errors="replace")


# ---------------------------------------------------------------------------
# Host facts
# ---------------------------------------------------------------------------

def parse_mountinfo():
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.rstrip("\n").split(" - ", 1)
            lf, rf = left.split(" "), right.split(" ")
            out.append({"mountpoint": lf[4], "fstype": rf[0], "source": rf[1], "super": rf[2] if len(rf) > 2 else ""})
    return out


def v1_hierarchies():
    """[(mountpoint, [controllers as /proc/self/cgroup names them])] for v1."""
    sets = []
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, _ = line.rstrip("\n").split(":", 2)
            if ctrls:
                sets.append(ctrls.split(","))
    out = []
    for m in parse_mountinfo():
        if m["fstype"] != "cgroup" or not m["mountpoint"].startswith(CGROOT + "/"):
            continue
        opts = set(m["super"].split(","))
        for s in sets:
            if all(c in opts for c in s) and m["mountpoint"] not in [o[0] for o in out]:
                out.append((m["mountpoint"], s))
    return out


def all_hierarchy_mounts():
    return sorted({m["mountpoint"] for m in parse_mountinfo()
                   if m["fstype"] in ("cgroup", "cgroup2") and m["mountpoint"].startswith(CGROOT + "/")})


def kernel_config(keys):
    import gzip
    found = {}
    try:
        with gzip.open("/proc/config.gz", "rt") as f:
            for line in f:
                for k in keys:
                    if line.startswith(k + "="):
                        found[k] = line.strip().split("=", 1)[1]
    except OSError:
        pass
    return found


def fs_type(path):
    best, fstype = "", "?"
    for m in parse_mountinfo():
        mp = m["mountpoint"]
        if (path == mp or path.startswith(mp.rstrip("/") + "/")) and len(mp) >= len(best):
            best, fstype = mp, m["fstype"]
    return fstype


# ---------------------------------------------------------------------------
# The bench
# ---------------------------------------------------------------------------

def tmpfs_write_ceiling(directory, mib):
    """GB/s of plain write()s of `mib` MiB of random bytes into a new file on
    the tmpfs: what copying memory into tmpfs pages costs on this machine."""
    buf = os.urandom(64 << 20)
    best = 0.0
    for _ in range(3):
        path = os.path.join(directory, "ceiling")
        t = time.monotonic()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        for _ in range(max(1, mib // 64)):
            os.write(fd, buf)
        os.close(fd)
        dt = time.monotonic() - t
        os.unlink(path)
        best = max(best, max(1, mib // 64) * (64 << 20) / dt / 1e9)
    return best


class Bench:
    def __init__(self, args):
        self.a = args
        self.base = args.workdir
        self.rootfs = os.path.join(self.base, "rootfs")
        self.runc_bin = {"runc": "runc", "runc_new": args.runc_new}
        self.runc_root = {t: os.path.join(self.base, t) for t in RUNC_TOOLS}
        self.tmpfs = os.path.join(self.base, "tmpfs")
        self.cg_parent = f"/ccr-bench-{args.tag}"
        self.counter = 0
        self.live = {}  # id -> Container (for cleanup)
        self.mounts = []
        self.results = []  # one dict per recorded cycle
        self.errors = []
        self.hier = v1_hierarchies()
        self.bin = args.bindir
        self.kdat_file = os.path.join(self.base, "criu.kdat")
        global LAUNCH
        LAUNCH = os.path.join(self.bin, "launch")

    # -- set-up ---------------------------------------------------------------

    def setup(self):
        os.makedirs(self.base, mode=0o700, exist_ok=True)
        for sub in ("bin", "sbin", "proc", "sys", "dev", "tmp", "etc", "root", "run", "usr/bin"):
            os.makedirs(os.path.join(self.rootfs, sub), exist_ok=True)
        shutil.copy("/bin/busybox", self.rootfs + "/bin/busybox")
        for app in ("sh", "cat", "echo", "sleep", "ls", "true"):
            os.symlink("busybox", self.rootfs + "/bin/" + app)
        shutil.copy(os.path.join(self.bin, "memhog"), self.rootfs + "/bin/memhog")
        with open(self.rootfs + "/etc/passwd", "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        specdir = os.path.join(self.base, "spec")
        os.makedirs(specdir)
        run(["runc", "spec", "--bundle", specdir])
        self.spec = json.loads(read_text(specdir + "/config.json"))
        os.makedirs(self.tmpfs)
        run(["mount", "-t", "tmpfs", "-o", f"size={max(self.a.sizes) * 2 + 256}m,mode=0700", "ccr-bench", self.tmpfs])
        self.mounts.append(self.tmpfs)
        os.makedirs(os.path.join(self.base, "images"), mode=0o700)
        os.makedirs(os.path.join(self.tmpfs, "images"), mode=0o700)
        self.make_kdat_cache()

    def make_kdat_cache(self):
        """CRIU keeps its kernel probes in /run/criu.kdat only when /run is a
        tmpfs. For the ccr:kdat variant, make one in a private mount namespace."""
        self.kdat_ok = False
        if not any("kdat" in v for v in self.a.variants):
            return
        script = ("mount -t tmpfs -o size=4m ccr-bench-run /run && criu check >/dev/null 2>&1; "
                  f"cp /run/criu.kdat {self.kdat_file}")
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        self.kdat_ok = r.returncode == 0 and os.path.exists(self.kdat_file)
        if not self.kdat_ok:
            log("cannot make a kdat cache: {}".format(r.stdout.decode(errors="replace")[-300:]))

    # -- the lazy pass needs big pipes -----------------------------------------

    def raise_pipe_max(self):
        """CRIU 4.1.1's lazy page server asks F_SETPIPE_SZ for ~3.2 MiB and
        ignores the failure (page-pipe.c pipe_read_dest_init), then splices to
        fd -1 (EBADF): without CAP_SYS_RESOURCE the ask must fit
        fs.pipe-max-size. Raised for the lazy pass only, restored after."""
        self.pipe_max_saved = None
        try:
            cur = int(read_text("/proc/sys/fs/pipe-max-size"))
            if cur < (4 << 20):
                with open("/proc/sys/fs/pipe-max-size", "w") as f:
                    f.write(str(4 << 20))
                self.pipe_max_saved = cur
        except OSError as e:
            log(f"cannot raise fs.pipe-max-size: {e}")

    def restore_pipe_max(self):
        if getattr(self, "pipe_max_saved", None):
            with open("/proc/sys/fs/pipe-max-size", "w") as f:
                f.write(str(self.pipe_max_saved))
            self.pipe_max_saved = None

    # -- containers ---------------------------------------------------------

    def new_container(self, size, runtime="runc"):
        self.counter += 1
        cid = f"cb{self.a.tag}-{self.counter}"
        c = Container(self, cid, size, runtime)
        self.live[cid] = c
        return c

    def images_dir(self, loc, name):
        root = os.path.join(self.tmpfs if loc == "tmpfs" else self.base, "images")
        d = os.path.join(root, name)
        if os.path.exists(d):
            shutil.rmtree(d)
        os.mkdir(d, 0o700)
        return d

    # -- cleanup --------------------------------------------------------------

    def cleanup(self):
        try:
            self.restore_pipe_max()
        except OSError:
            pass
        for c in list(self.live.values()):
            c.destroy()
        reap_zombies()
        for mp in reversed(self.mounts):
            subprocess.run(["umount", "-l", mp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        # Anything still mounted below the base (a restore root left by a crash).
        for m in sorted((m["mountpoint"] for m in parse_mountinfo() if m["mountpoint"].startswith(self.base + "/")),
                        key=len, reverse=True):
            subprocess.run(["umount", "-l", m], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        for h in all_hierarchy_mounts():
            d = h + self.cg_parent
            if os.path.isdir(d):
                for sub in sorted((os.path.join(d, e) for e in os.listdir(d) if os.path.isdir(os.path.join(d, e))),
                                  reverse=True):
                    rmdir_retry(sub)
                rmdir_retry(d)
        shutil.rmtree(self.base, ignore_errors=True)


def rmdir_retry(d):
    for _ in range(100):
        try:
            os.rmdir(d)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


class Container:
    """A fresh busybox container running memhog, made by `runtime` (one of
    RUNC_TOOLS: a runc checkpoints only the containers it created)."""

    def __init__(self, bench, cid, size, runtime="runc"):
        self.b, self.id, self.size = bench, cid, size
        self.runc, self.runc_root = bench.runc_bin[runtime], bench.runc_root[runtime]
        self.cgpath = bench.cg_parent + "/" + cid
        self.bundle = os.path.join(bench.base, "bundles", cid)
        os.makedirs(self.bundle)
        cfg = json.loads(json.dumps(bench.spec))
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = ["/bin/memhog", str(size), str(GAP_MS)]
        cfg["process"]["env"] = ["PATH=/bin"]
        cfg["root"] = {"path": bench.rootfs, "readonly": False}
        cfg["hostname"] = "ccr-bench"
        cfg["linux"]["cgroupsPath"] = self.cgpath
        self.config = cfg
        with open(self.bundle + "/config.json", "w") as f:
            json.dump(cfg, f, indent=1)
        self.pid = 0
        self.pipes = None
        self.restore_root = None
        self.runc_known = False

    # The container's stdio as CRIU names them: "pipe:[inode]".
    def stdio_keys(self):
        return [os.readlink(f"/proc/{self.pid}/fd/{i}") for i in range(3)]

    def start(self):
        p = Pipes()
        pidfile = os.path.join(self.bundle, "init.pid")
        s = spawn([self.runc, "--root", self.runc_root, "run", "-d", "--pid-file", pidfile, "--bundle", self.bundle,
                   self.id], stdin=p.c[0], stdout=p.c[1], stderr=p.c[2])
        self.runc_known = True
        rc = s.wait(timeout=60)
        p.close_container_side()
        self.pipes = p
        if rc != 0:
            raise RuntimeError(f"{self.runc} run {self.id}: exit {rc}: {p.stderr_text()}")
        self.pid = int(read_text(pidfile))
        line = p.read_line(60)
        if not line or not line.startswith("ready"):
            raise RuntimeError(f"container {self.id} did not get ready: {line!r} {p.stderr_text()}")
        self.keys = self.stdio_keys()

    def freezer_dir(self):
        return CGROOT + "/freezer" + self.cgpath

    def destroy(self):
        # A frozen task does not die until thawed.
        try:
            with open(self.freezer_dir() + "/freezer.state", "w") as f:
                f.write("THAWED")
        except OSError:
            pass
        for h in all_hierarchy_mounts():
            try:
                for pid in read_text(h + self.cgpath + "/cgroup.procs").split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            except OSError:
                pass
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for _ in range(200):
            reap_zombies()
            busy = False
            for h in all_hierarchy_mounts():
                try:
                    if read_text(h + self.cgpath + "/cgroup.procs").strip():
                        busy = True
                except OSError:
                    pass
            if not busy:
                break
            time.sleep(0.01)
        if self.runc_known:
            subprocess.run([self.runc, "--root", self.runc_root, "delete", "-f", self.id],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        for h in all_hierarchy_mounts():
            if os.path.isdir(h + self.cgpath):
                rmdir_retry(h + self.cgpath)
        if self.restore_root:
            subprocess.run(["umount", "-l", self.restore_root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
            self.restore_root = None
        if self.pipes:
            self.pipes.close()
            self.pipes = None
        self.b.live.pop(self.id, None)
        shutil.rmtree(self.bundle, ignore_errors=True)

    # -- what ccr (and runc) derive from the bundle, for the CLI and libcriu --

    def _is_bind(self, m):
        return m.get("type") == "bind" or any(o in ("bind", "rbind") for o in m.get("options", []))

    def _cgroup_binds(self):
        cg = [m for m in self.config["mounts"] if m.get("type") == "cgroup"]
        has_cgns = any(n["type"] == "cgroup" for n in self.config["linux"]["namespaces"])
        if not cg or has_cgns or not self.b.hier:
            return []
        return [(cg[0]["destination"] + "/" + os.path.basename(mp), mp) for mp, _ in self.b.hier]

    def _devices(self):
        devs = [d["path"] for d in self.config["linux"].get("devices", [])]
        for d in ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"):
            if d not in devs:
                devs.append(d)
        return devs

    def dump_ext_mounts(self):
        out = [(m["destination"], m["destination"]) for m in self.config["mounts"] if self._is_bind(m)]
        out += [(k, k) for k, _ in self._cgroup_binds()]
        for p in self.config["linux"].get("maskedPaths", []):
            hp = f"/proc/{self.pid}/root{p}"
            if os.path.exists(hp) and not os.path.isdir(hp):
                out.append((p, "/dev/null"))
        out += [(d, d) for d in self._devices()]
        return out

    def restore_ext_mounts(self):
        out = [(m["destination"], m["source"]) for m in self.config["mounts"] if self._is_bind(m)]
        out += [(k, mp + self.cgpath) for k, mp in self._cgroup_binds()]
        if self.config["linux"].get("maskedPaths"):
            out.append(("/dev/null", "/dev/null"))
        out += [(d, d) for d in self._devices()]
        return out

    def cg_roots(self):
        return [(c, self.cgpath) for _, ctrls in self.b.hier for c in ctrls]

    def make_restore_root(self):
        """What runc and ccr do before a restore: the rootfs bind-mounted on
        a private mount point, given to CRIU as --root."""
        d = os.path.join(self.bundle, "criu-root")
        os.makedirs(d, exist_ok=True)
        run(["mount", "--bind", self.b.rootfs, d])
        run(["mount", "--make-private", d])
        self.restore_root = d
        return d

    def drop_restore_root(self):
        if self.restore_root:
            run(["umount", self.restore_root], check=False)
            self.restore_root = None


# ---------------------------------------------------------------------------
# One checkpoint and one restore of a fresh container, with one tool
# ---------------------------------------------------------------------------

def driver_result(path):
    try:
        txt = read_text(path).strip()
        return json.loads(txt.splitlines()[-1]) if txt else {"ok": False, "error": "no output"}
    except (OSError, ValueError) as e:
        return {"ok": False, "error": f"unreadable driver output: {e}"}


class Cycle:
    """One fresh container and one tool. mode "migrate": checkpoint, then
    restore from the same images right away, and read the downtime the
    container saw; mode "snapshot": a leave-running checkpoint, and the time
    the container was frozen by it. Returns a dict."""

    def __init__(self, bench, tool, size, loc, variant=None, env=None, mark=None, mode="migrate"):
        self.b, self.tool, self.size, self.loc, self.variant = bench, tool, size, loc, variant
        self.env = env
        self.mode = mode
        self.mark = mark or (lambda phase: None)

    def criu_network_lock(self):
        m = self.b.a.criu_network_lock
        return ["--network-lock", m] if m else []

    def criu_opts_dump(self, c, log_level=4):
        o = [f"-v{log_level}", "-o", "dump.log", "--root", self.b.rootfs, "--manage-cgroups",
             "--freeze-cgroup", c.freezer_dir()] + self.criu_network_lock()
        for k, v in c.dump_ext_mounts():
            o += ["--ext-mount-map", f"{k}:{v}"]
        return o

    def criu_opts_restore(self, c, root, stdio_fds):
        o = ["-v4", "-o", "restore.log", "--root", root, "--manage-cgroups", "--evasive-devices",
             "--restore-detached", "--restore-sibling"] + self.criu_network_lock()
        for k, v in c.restore_ext_mounts():
            o += ["--ext-mount-map", f"{k}:{v}"]
        for ctrl, path in c.cg_roots():
            o += ["--cgroup-root", f"{ctrl}:{path}"]
        for fd, key in zip(stdio_fds, c.keys):
            o += ["--inherit-fd", f"fd[{fd}]:{key}"]
        return o

    def ccr_args(self):
        if not self.variant:
            return [], False, False
        args, _ = VARIANTS[self.variant]
        return [a for a in args if not a.startswith("@")], "@prefreeze" in args, "@kdat" in args

    def wrap_kdat(self, argv):
        """Runs argv in a private mount namespace whose /run is a tmpfs holding
        a CRIU kernel-probe cache; the timing stays the driver's own."""
        script = ('mount -t tmpfs -o size=4m ccr-bench-run /run && cp "$0" /run/criu.kdat && exec "$@"')
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, self.b.kdat_file] + argv

    def checkpoint_argv(self, c, images):
        b, tool = self.b, self.tool
        extra, prefreeze, kdat = self.ccr_args()
        leave = self.mode == "snapshot"
        if tool == "ccr":
            argv = [os.path.join(b.bin, "ccr_driver"), "checkpoint", "--id", c.id, "--bundle", c.bundle,
                    "--images", images, "--pid", str(c.pid)] + extra + (["--leave-running"] if leave else [])
            if prefreeze:
                argv += ["--prefreeze", c.freezer_dir()]
            return self.wrap_kdat(argv) if kdat else argv
        if tool in RUNC_TOOLS:
            return [c.runc, "--root", c.runc_root, "checkpoint", "--image-path", images, "--work-path", images] + (
                ["--leave-running"] if leave else []) + [c.id]
        if tool == "criu":
            return ["criu", "dump", "-t", str(c.pid), "-D", images] + self.criu_opts_dump(c) + (
                ["--leave-running"] if leave else [])
        argv = [os.path.join(b.bin, "libcriu_driver"), "dump", "--images", images, "--pid", str(c.pid),
                "--root", b.rootfs, "--freeze-cgroup", c.freezer_dir()] + (["--leave-running"] if leave else [])
        if b.a.criu_network_lock:
            argv += ["--network-lock", b.a.criu_network_lock]
        for k, v in c.dump_ext_mounts():
            argv += ["--ext", f"{k}:{v}"]
        return argv

    def run(self):
        b, tool = self.b, self.tool
        rec = {"tool": self.variant or tool, "base_tool": tool, "size": self.size, "loc": self.loc, "mode": self.mode}
        c = b.new_container(self.size, tool if tool in RUNC_TOOLS else "runc")
        images = None
        try:
            c.start()
            name = "{}-{}-{}-{}".format(rec["tool"].replace(":", "_"), self.size, self.loc, self.mode)
            images = b.images_dir(self.loc, name)
            out = os.path.join(c.bundle, "out.json")
            errf = os.path.join(c.bundle, "err.txt")
            # ---- checkpoint ----
            fo = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            fe = os.open(errf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            argv = self.checkpoint_argv(c, images)
            self.mark("ckpt0")
            t_ck = now_ns()
            s = spawn(argv, stdin=None, stdout=fo, stderr=fe, env=self.env, measure=out + ".launch")
            rc = s.wait(timeout=300)
            t_ck_end = now_ns()
            self.mark("ckpt1")
            os.close(fo)
            os.close(fe)
            res = driver_result(out) if tool in ("ccr", "libcriu") else {"ok": rc == 0}
            if rc != 0 or not res.get("ok"):
                raise RuntimeError("{} checkpoint failed (exit {}): {} {}".format(
                    rec["tool"], rc, res.get("error", ""), read_text(errf)[-3000:]))
            rec["ckpt"] = self.collect(s, res, images, restore=False)
            if self.mode == "snapshot":
                rec["frozen_gap_us"] = self.frozen_gap(c.pipes, t_ck, t_ck_end, rec["tool"])
                return rec
            if tool in RUNC_TOOLS:
                c.runc_known = False  # runc destroyed it after the checkpoint
            self.restore(c, rec, images, out, errf)
            return rec
        finally:
            c.destroy()
            if images:
                shutil.rmtree(images, ignore_errors=True)

    def frozen_gap(self, p, t0, t1, name):
        """The longest heartbeat gap memhog reported that overlaps the
        checkpoint call [t0, t1] (ns): how long the application stood still.
        memhog reports only gaps over GAP_MS; none means the freeze was
        shorter, counted as GAP_MS (an upper bound)."""
        p.send("p")
        longest = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = p.read_line(max(0.01, deadline - time.monotonic()))
            if line is None:
                raise RuntimeError(f"{name}: the container did not answer after a leave-running checkpoint: "
                                   f"{p.stderr_text()}")
            f = line.split()
            if f[0] == "gap" and int(f[2]) >= t0 and int(f[1]) <= t1:
                longest = max(longest or 0, (int(f[2]) - int(f[1])) / 1000.0)
            elif f[0] == "pong":
                return longest if longest is not None else GAP_MS * 1000.0
        raise RuntimeError(f"{name}: no answer within 30 s after a leave-running checkpoint")

    def restore(self, c, rec, images, out, errf):
        b, tool = self.b, self.tool
        extra, _, kdat = self.ccr_args()
        old_pipes = c.pipes
        p = Pipes()
        c.pipes = p
        root = None
        if tool in ("criu", "libcriu"):
            # Done by runc and ccr inside their call; untimed here.
            root = c.make_restore_root()
        fo = os.open(out, os.O_WRONLY | os.O_TRUNC)
        fe = os.open(errf, os.O_WRONLY | os.O_TRUNC)
        pidfile = os.path.join(c.bundle, "restored.pid")
        self.mark("rst0")
        t_rs = now_ns()
        if tool == "ccr":
            argv = [os.path.join(b.bin, "ccr_driver"), "restore", "--id", c.id, "--bundle", c.bundle,
                    "--images", images, "--stdio", "3,4,5"] + [a for a in extra if a != "--seize"]
            if kdat:
                argv = self.wrap_kdat(argv)
            s = spawn(argv, stdout=fo, stderr=fe, fds=p.c, env=self.env, measure=out + ".launch")
        elif tool in RUNC_TOOLS:
            argv = [c.runc, "--root", c.runc_root, "restore", "-d", "--image-path", images, "--work-path", images,
                    "--bundle", c.bundle, "--pid-file", pidfile, c.id]
            s = spawn(argv, stdin=p.c[0], stdout=p.c[1], stderr=p.c[2], env=self.env, measure=out + ".launch")
            c.runc_known = True
        elif tool == "criu":
            argv = ["criu", "restore", "-D", images, "--pidfile", pidfile] + self.criu_opts_restore(c, root, [3, 4, 5])
            s = spawn(argv, stdout=fo, stderr=fe, fds=p.c, env=self.env, measure=out + ".launch")
        else:
            argv = [os.path.join(b.bin, "libcriu_driver"), "restore", "--images", images, "--root", root]
            if b.a.criu_network_lock:
                argv += ["--network-lock", b.a.criu_network_lock]
            for k, v in c.restore_ext_mounts():
                argv += ["--ext", f"{k}:{v}"]
            for ctrl, path in c.cg_roots():
                argv += ["--cg-root", f"{ctrl}:{path}"]
            for fd, key in zip((3, 4, 5), c.keys):
                argv += ["--inherit", f"{fd}:{key}"]
            s = spawn(argv, stdout=fo, stderr=fe, fds=p.c, env=self.env, measure=out + ".launch")
        rc = s.wait(timeout=300)
        t_rs_end = now_ns()
        self.mark("rst1")
        os.close(fo)
        os.close(fe)
        p.close_container_side()
        old_pipes.close()
        res = driver_result(out) if tool in ("ccr", "libcriu") else {"ok": rc == 0}
        if rc != 0 or not res.get("ok"):
            raise RuntimeError("{} restore failed (exit {}): {} {} {}".format(
                rec["tool"], rc, res.get("error", ""), read_text(errf)[-3000:], p.stderr_text()[-2000:]))
        c.pid = res["pid"] if tool in ("ccr", "libcriu") else int(read_text(pidfile))
        c.drop_restore_root()
        rec["rst"] = self.collect(s, res, images, restore=True)
        # ---- the container, seen from inside ----
        p.send("p")
        down = answer = None
        seen = []  # what the container said, for the error below
        deadline = time.monotonic() + 30
        while (down is None or answer is None) and time.monotonic() < deadline:
            line = p.read_line(max(0.01, deadline - time.monotonic()))
            if line is None:
                break
            seen.append(line)
            f = line.split()
            if f[0] == "gap" and int(f[1]) < t_rs < int(f[2]):
                down = (int(f[2]) - int(f[1])) / 1000.0
            elif f[0] == "pong":
                answer = (now_ns() - t_rs_end) / 1000.0
        if down is None or answer is None:
            raise RuntimeError("{}: the restored container did not answer (downtime {}, pong {}; restore called at "
                               "{} ns, ended {} ns; it said {}): {}".format(
                                   rec["tool"], down, answer, t_rs, t_rs_end, seen[-6:], p.stderr_text()))
        rec["downtime_us"] = down
        rec["answer_after_restore_us"] = answer

    def collect(self, s, res, images, restore):
        d = {"wall_us": s.wall_us, "exec_wall_us": s.wall_us, "tree_maxrss_kb": s.maxrss_kb}
        if "wall_us" in res:
            d["wall_us"] = float(res["wall_us"])  # in-process clock of the drivers
            d["caller_maxrss_kb"] = res["maxrss_kb"]
            d["criu_maxrss_kb"] = res["children_maxrss_kb"]
        else:
            d["caller_maxrss_kb"] = s.maxrss_kb
        for k in ("ccr_criu_time_us", "ccr_outside_criu_time_us", "ccr_wall_time_us", "before_criu_us",
                  "criu_seen_us", "after_criu_us"):
            if k in res:
                d[k] = res[k]
        st = read_stats(os.path.join(images, "stats-restore" if restore else "stats-dump"))
        d.update(st)
        if restore:
            span = st.get("restore_time_us")
        else:
            span = (st["freezing_time_us"] + st["frozen_time_us"]) if "frozen_time_us" in st else None
        d["criu_span_us"] = span
        if span is not None:
            d["outside_span_us"] = d["wall_us"] - span
        init = criu_log_init_us(os.path.join(images, "restore.log" if restore else "dump.log"), restore)
        if init is not None:
            d["criu_init_us"] = init
        return d


# ---------------------------------------------------------------------------
# Counting CRIU processes (and what CRIU itself executes): untimed runs with
# a logging wrapper first in PATH for each program of interest.
# ---------------------------------------------------------------------------

WRAPPED = ["criu", "sh", "tar", "gzip", "iptables", "iptables-save", "iptables-restore", "ip6tables",
           "ip6tables-save", "ip6tables-restore", "iptables-legacy", "iptables-legacy-save",
           "iptables-legacy-restore", "ip6tables-legacy-save", "ip6tables-legacy-restore", "iptables-nft",
           "iptables-nft-save", "iptables-nft-restore", "ip6tables-nft-save", "ip6tables-nft-restore", "nft", "ip",
           "runc"]


def make_wrappers(bench):
    d = os.path.join(bench.base, "countbin")
    os.makedirs(d)
    logf = os.path.join(bench.base, "exec.log")
    path = os.environ.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    for name in WRAPPED:
        real = shutil.which(name, path=path)
        if not real:
            continue
        with open(os.path.join(d, name), "w") as f:
            f.write(f'#!/bin/sh\necho "{name} $$ $PPID" >> {logf}\nexec {real} "$@"\n')
        os.chmod(os.path.join(d, name), 0o755)
    env = dict(os.environ)
    env["PATH"] = d + ":" + path
    return env, logf


def count_processes(bench):
    env, logf = make_wrappers(bench)
    counts = {}
    counted_variants = ("ccr:nft", "ccr:skip", "ccr:emptyns", "ccr:proposed", "ccr:proposed+emptyns")
    for tool in [t for t in MAIN_TOOLS if t in bench.a.tools] + [v for v in counted_variants if v in bench.a.variants]:
        base = tool.split(":")[0]
        per_op = {}
        for op in ("ckpt", "rst"):
            per_op[op] = {}
        marks = {}

        def mark(phase, marks=marks):
            marks[phase] = os.path.getsize(logf)
        cyc = Cycle(bench, base, 0, "disk", variant=tool if ":" in tool else None, env=env, mark=mark)
        write_text(logf, "")
        try:
            cyc.run()
        except Exception as e:  # noqa: BLE001
            bench.errors.append(f"count {tool}: {e}")
            continue
        data = read_text(logf)
        for op in ("ckpt", "rst"):
            for line in data[marks[op + "0"]:marks[op + "1"]].splitlines():
                name = line.split()[0]
                per_op[op][name] = per_op[op].get(name, 0) + 1
        counts[tool] = per_op
    return counts


# ---------------------------------------------------------------------------
# Lazy restore: 512 MiB, eager vs lazy pages over loopback, with ccr
# ---------------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def lazy_cycle(bench, size, lazy):
    b = bench
    c = b.new_container(size)
    procs = []
    images = None
    try:
        c.start()
        images = b.images_dir("disk", "lazy-%s" % ("lazy" if lazy else "eager"))
        out = os.path.join(c.bundle, "out.json")
        errf = os.path.join(c.bundle, "err.txt")
        rec = {"mode": "lazy" if lazy else "eager", "size": size}
        drv = os.path.join(b.bin, "ccr_driver")
        t_ck = now_ns()
        if lazy:
            port = free_port()
            st_r, st_w = os.pipe()
            st_r, st_w = high_fd(st_r), high_fd(st_w)
            fo = os.open(out + ".ck", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            fe = os.open(errf + ".ck", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            dump = spawn([drv, "checkpoint", "--id", c.id, "--bundle", c.bundle, "--images", images,
                          "--pid", str(c.pid),
                          "--lazy-pages", "--page-server", f"127.0.0.1:{port}", "--status-fd", "3"],
                         stdout=fo, stderr=fe, fds=[st_w])
            procs.append(dump)
            os.close(fo), os.close(fe), os.close(st_w)
            r, _, _ = select.select([st_r], [], [], 120)
            ready = os.read(st_r, 1) if r else b""
            os.close(st_r)
            if ready != b"\0":
                dump.wait(timeout=30)
                raise RuntimeError("lazy checkpoint never became ready: {} {}".format(
                    read_text(out + ".ck")[-2000:], read_text(errf + ".ck")[-2000:]))
            rec["ckpt_ready_us"] = (now_ns() - t_ck) / 1000.0
            lp_log = os.open(os.path.join(images, "lazy-daemon.out"), os.O_WRONLY | os.O_CREAT, 0o600)
            daemon = spawn(["criu", "lazy-pages", "--page-server", "--address", "127.0.0.1", "--port", str(port),
                            "-D", images, "-W", images, "-o", "lazy-pages.log", "-v4"], stdout=lp_log, stderr=lp_log)
            os.close(lp_log)
            procs.append(daemon)
            sock = os.path.join(images, "lazy-pages.socket")
            deadline = time.monotonic() + 30
            while not os.path.exists(sock):
                if daemon.poll() is not None or time.monotonic() > deadline:
                    lp = read_text(os.path.join(images, "lazy-pages.log"))
                    raise RuntimeError(f"criu lazy-pages did not start: {lp[-2000:]}")
                time.sleep(0.001)
        else:
            fo = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            fe = os.open(errf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            s = spawn([drv, "checkpoint", "--id", c.id, "--bundle", c.bundle, "--images", images, "--pid", str(c.pid)],
                      stdout=fo, stderr=fe)
            rc = s.wait(timeout=300)
            os.close(fo), os.close(fe)
            res = driver_result(out)
            if rc or not res.get("ok"):
                raise RuntimeError("eager checkpoint failed: {}".format(res.get("error")))
            rec["ckpt_ready_us"] = (now_ns() - t_ck) / 1000.0
        old = c.pipes
        p = Pipes()
        c.pipes = p
        fo = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        fe = os.open(errf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        argv = [drv, "restore", "--id", c.id, "--bundle", c.bundle, "--images", images, "--stdio", "3,4,5"]
        if lazy:
            argv.append("--lazy-pages")
        t_rs = now_ns()
        s = spawn(argv, stdout=fo, stderr=fe, fds=p.c)
        rc = s.wait(timeout=300)
        os.close(fo), os.close(fe)
        p.close_container_side()
        old.close()
        res = driver_result(out)
        if rc or not res.get("ok"):
            raise RuntimeError("{} restore failed: {} {}".format(rec["mode"], res.get("error"),
                                                                 read_text(errf)[-2000:]))
        c.pid = res["pid"]
        rec["restore_call_us"] = float(res["wall_us"])
        p.send("p")
        answered = None
        down = None
        deadline = time.monotonic() + 60
        while answered is None and time.monotonic() < deadline:
            line = p.read_line(max(0.01, deadline - time.monotonic()))
            if line is None:
                break
            f = line.split()
            if f[0] == "pong":
                answered = now_ns()
            elif f[0] == "gap" and int(f[1]) < t_rs < int(f[2]):
                down = (int(f[2]) - int(f[1])) / 1000.0
        if answered is None:
            raise RuntimeError("{}: no answer after restore".format(rec["mode"]))
        rec["answer_us"] = (answered - t_rs) / 1000.0
        rec["ckpt_to_answer_us"] = (answered - t_ck) / 1000.0
        p.send("t")
        touched = None
        while touched is None and time.monotonic() < deadline:
            line = p.read_line(max(0.01, deadline - time.monotonic()))
            if line is None:
                break
            f = line.split()
            if f[0] == "touched":
                touched = now_ns()
            elif f[0] == "gap" and down is None and int(f[1]) < t_rs < int(f[2]):
                down = (int(f[2]) - int(f[1])) / 1000.0
        if touched is not None:
            rec["all_memory_us"] = (touched - t_rs) / 1000.0
        rec["downtime_us"] = down
        for pr in procs:
            pr.wait(timeout=120)
        if lazy:
            rec["transfer_done_us"] = (max(pr.t1 for pr in procs) - t_rs) / 1000.0
            st = read_stats(os.path.join(images, "stats-dump"))
            rec["pages_lazy"] = st.get("pages_lazy")
        return rec
    finally:
        if images:
            shutil.rmtree(images, ignore_errors=True)
        for pr in procs:
            if pr.status is None:
                try:
                    os.kill(pr.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                pr.wait()
        c.destroy()


# ---------------------------------------------------------------------------
# Statistics and the report
# ---------------------------------------------------------------------------

class Report:
    def __init__(self, bench, counts, lazy, facts, elapsed):
        self.b, self.counts, self.lazy, self.facts, self.elapsed = bench, counts, lazy, facts, elapsed
        self.rows = bench.results

    def sel(self, tool, size, loc="disk"):
        """The migration cycles (checkpoint, restore) of one cell."""
        return [r for r in self.rows if r.get("mode", "migrate") == "migrate" and r["tool"] == tool
                and r["size"] == size and r["loc"] == loc]

    def snap(self, tool, size):
        """The leave-running checkpoints of one cell."""
        return [r for r in self.rows if r.get("mode") == "snapshot" and r["tool"] == tool and r["size"] == size]

    def label(self, tool):
        if tool == "runc":
            return "runc " + self.facts["runc"].split("+")[0]
        if tool == "runc_new":
            return "runc " + self.facts.get("runc_new", "(new)")
        return TOOL_LABEL.get(tool, tool.replace("ccr:", "ccr + "))

    def trial_reason(self):
        a = self.b.a
        if a.quick:
            return "--quick"
        if a.trial:
            return "--trial"
        if a.runs < 10:
            return f"--runs {a.runs} (fewer than 10)"
        return ""

    def target_data(self):
        note = ""
        if self.b.a.runc_new_missing:
            note = f"not installed at {self.b.a.runc_new} (scripts/bootstrap.sh builds runc 1.5.3 there)"
        return targets.Data(self.rows, self.label, VARIANTS, self.b.a.sizes, self.b.a.tmpfs_sizes,
                            self.b.a.snapshot_sizes, note, self.b.a.criu_network_lock)

    def vals(self, rows, op, key):
        return [r[op][key] for r in rows if op in r and r[op].get(key) is not None]

    def e2e(self, rows):
        return [r["ckpt"]["wall_us"] + r["rst"]["wall_us"] for r in rows]

    def paired(self, rows, ref):
        by_round = {}
        for r in ref:
            by_round.setdefault(r["round"], []).append(r["ckpt"]["wall_us"] + r["rst"]["wall_us"])
        q = [(r["ckpt"]["wall_us"] + r["rst"]["wall_us"]) / mean(by_round[r["round"]]) for r in rows
             if r["round"] in by_round]
        return f"{med(q):.3f}" if q else "–"

    def procs(self, tool, op):
        c = self.counts.get(tool, {}).get(op)
        return "–" if c is None else str(c.get("criu", 0))

    def others(self, tool, op):
        c = self.counts.get(tool, {}).get(op)
        if c is None:
            return "–"
        other = sorted((k, v) for k, v in c.items() if k not in ("criu", "runc") and v)
        return "{}: {}".format(sum(v for _, v in other), ", ".join(f"{k} {v}" for k, v in other)) if other else "0"

    def downtime_markdown(self, L):
        """The application's side: frozen time of leave-running checkpoints,
        migration downtime, and the spread of checkpoint times."""
        a = self.b.a
        refs = [t for t in ("runc", "runc_new") if t in a.tools]
        snaps = [(t, s) for s in a.snapshot_sizes for t in DOWNTIME_TOOLS if self.snap(t, s)]
        if snaps:
            L.append("## Frozen time of a leave-running checkpoint (what a snapshot costs a live service)")
            L.append("")
            L.append(f"A fresh container, one checkpoint with leave-running, images on disk. *frozen* = the longest "
                     f"gap between memhog's 1 ms heartbeats that overlaps the checkpoint call (reported above "
                     f"{GAP_MS} ms; none counts as {GAP_MS}), i.e. how long the application stood still. *CRIU span* "
                     "= CRIU's own freezing_time + frozen_time from its statistics. ÷ = ratio of medians of *frozen*.")
            L.append("")
            L.append("| tool | MiB | frozen | p10–p90 | CRIU span | freezer waits | checkpoint wall | "
                     + " | ".join(f"÷ {self.label(r)}" for r in refs) + " |")
            L.append("|---|---:|---:|---:|---:|---:|---:|" + "---:|" * len(refs))
            for tool, size in snaps:
                rows = self.snap(tool, size)
                g = [r["frozen_gap_us"] for r in rows]
                ratios = []
                for ref in refs:
                    gr = [r["frozen_gap_us"] for r in self.snap(ref, size)]
                    ratios.append(f"{med(g) / med(gr):.3f}" if gr else "–")
                L.append("| {} | {} | {} | {}–{} | {} | {} | {} | {} |".format(
                    self.label(tool), size, ms(med(g)), ms(pct(g, .1)), ms(pct(g, .9)),
                    ms(med(targets.ckpt_span(rows))), freezer_waits(rows), ms(med(self.vals(rows, "ckpt", "wall_us"))),
                    " | ".join(ratios)))
            L.append("")
        sizes = [s for s in a.sizes if s in (0, 64)]
        if sizes:
            L.append("## Migration downtime (checkpoint, then restore from the same images at once)")
            L.append("")
            L.append("*downtime* = from inside the container: memhog's last heartbeat before the checkpoint froze it "
                     "to its first after the restore (±1 ms). It holds CRIU's frozen part of the checkpoint, the few "
                     "ms between the two calls, and the whole restore. ÷ = ratio of medians.")
            L.append("")
            L.append("| tool | MiB | images | downtime | p10–p90 | checkpoint wall | restore wall | "
                     + " | ".join(f"÷ {self.label(r)}" for r in refs) + " |")
            L.append("|---|---:|---|---:|---:|---:|---:|" + "---:|" * len(refs))
            for loc in ("tmpfs", "disk"):
                for size in sizes:
                    for tool in DOWNTIME_TOOLS:
                        rows = self.sel(tool, size, loc)
                        if not rows:
                            continue
                        d = [r["downtime_us"] for r in rows]
                        ratios = []
                        for ref in refs:
                            dr = [r["downtime_us"] for r in self.sel(ref, size, loc)]
                            ratios.append(f"{med(d) / med(dr):.3f}" if dr else "–")
                        L.append("| {} | {} | {} | {} | {}–{} | {} | {} | {} |".format(
                            self.label(tool), size, loc, ms(med(d)), ms(pct(d, .1)), ms(pct(d, .9)),
                            ms(med(self.vals(rows, "ckpt", "wall_us"))), ms(med(self.vals(rows, "rst", "wall_us"))),
                            " | ".join(ratios)))
            L.append("")
        if 0 in a.sizes:
            L.append("## Spread of checkpoint time (0 MiB, images on disk)")
            L.append("")
            L.append("p90 ÷ median of the checkpoint wall. CRIU's v1 freezer loop sleeps 100 ms whenever its first "
                     "read of freezer.state says FREEZING (*freezer waits*), which makes checkpoint times bimodal.")
            L.append("")
            L.append("| tool | n | median | p90 | p90 ÷ median | freezer waits |")
            L.append("|---|---:|---:|---:|---:|---:|")
            for tool in MAIN_TOOLS:
                rows = self.sel(tool, 0)
                w = self.vals(rows, "ckpt", "wall_us")
                if len(w) < 2:
                    continue
                L.append(f"| {self.label(tool)} | {len(w)} | {ms(med(w))} | {ms(pct(w, .9))} | "
                         f"{pct(w, .9) / med(w):.2f} | {freezer_waits(rows)} |")
            L.append("")

    def markdown(self):
        L = []
        f = self.facts
        a = self.b.a
        L.append("# ccr benchmark: ccr, runc, the criu CLI and libcriu side by side")
        L.append("")
        if self.trial_reason():
            L.append(f"> **Trial run ({self.trial_reason()}): not a result.** It checks the benchmark and its "
                     "report; the figures below come from too few runs (or a loaded machine) to judge the targets. "
                     "The result is a full run on a quiet machine: `sudo bash bench/run.sh`.")
            L.append("")
        L.append("Run {} on {} (kernel {}, CONFIG_HZ={}, {}, {} CPUs), CRIU {}, {} and {}, cgroup {}. "
                 "{} measured runs per cell ({} for the 0 MiB cells) after {} warm-up rounds, all cells "
                 "interleaved in one run (order shuffled each round); the whole run took {:.0f} s. Images on {} ({}) "
                 "unless marked tmpfs. CRIU's kernel-probe cache: {}. The criu CLI and libcriu get ccr's options "
                 "(network lock: {}). Command: `{}`.".format(
                     f["date"], f["host"], f["kernel"], f["hz"], f["preempt"], f["cpus"], f["criu"], self.label("runc"),
                     self.label("runc_new") if not a.runc_new_missing else "no runc 1.5.3 (" + a.runc_new + " absent)",
                     f["cgroup"], a.runs, a.runs * a.repeat0, a.warmup, self.elapsed, f["images_fs"], f["images_dir"],
                     f["kdat"], a.criu_network_lock or "CRIU's default", f["command"]))
        L.append("")
        L.append("Machine state: load average {} at the start and {} at the end (1/5/15 min; other work shared "
                 "the 2 CPUs, so compare ratios within this run, not absolute times across runs). fs.pipe-max-size "
                 "{}, CAP_SYS_RESOURCE {}. Copying memory into a tmpfs file with write() ran at {} GB/s (best of 3, "
                 "start / end of the run): the ceiling for CRIU's memwrite on tmpfs here.".format(
                     "/".join(f["loadavg_start"]), "/".join(f.get("loadavg_end", ["?"])), f["pipe_max_size"],
                     "present" if f["cap_sys_resource"] else "absent",
                     " / ".join(f"{g:.2f}" for g in f["tmpfs_ceiling_gbs"])))
        L.append("")
        L.append("Times in ms: median and p10–p90 of the measured runs. *outside* = wall − CRIU's own span "
                 "from its statistics (checkpoint: freezing_time + frozen_time; restore: restore_time). "
                 "*ccr outside CRIU* = CCR_STAT_OUTSIDE_CRIU_TIME_US: wall − (CRIU spawn → CRIU's final answer). "
                 "*CRIU init* = CRIU's log start to its first real work (kernel probes; -v4 logs only). "
                 "*procs* = CRIU processes exec'd per operation, counted in an untimed run (see \"Processes per "
                 "operation\" for everything else exec'd). "
                 "*RSS* = peak RSS of the caller in MiB (in-process drivers: their own ru_maxrss; exec'd tools: "
                 "wait4 ru_maxrss of the tool, which includes the CRIU processes it waited for). "
                 "*downtime* = from inside the container: last heartbeat before the checkpoint to the first after "
                 "the restore (1 ms heartbeat), including the gap between the two calls.")
        L.append("")
        # ---- main tables ----
        for op, title in (("ckpt", "Checkpoint"), ("rst", "Restore")):
            L.append(f"## {title}")
            L.append("")
            if op == "ckpt":
                L.append("| tool | MiB | wall | p10–p90 | mean | freezing | freezer waits | frozen | memdump | memwrite | "
                         "memwrite GB/s | outside | ccr outside CRIU | CRIU init | procs | RSS MiB |")
                L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
            else:
                L.append("| tool | MiB | wall | p10–p90 | mean | forking | restore_time | outside | ccr outside CRIU | "
                         "CRIU init | procs | RSS MiB | downtime | p10–p90 |")
                L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
            for loc in ("disk", "tmpfs"):
                for size in self.b.a.sizes:
                    for tool in MAIN_TOOLS:
                        rows = self.sel(tool, size, loc)
                        if not rows:
                            continue
                        w = self.vals(rows, op, "wall_us")
                        name = self.label(tool) + (" (tmpfs)" if loc == "tmpfs" else "")
                        rss = med(self.vals(rows, op, "caller_maxrss_kb"))
                        common = [name, str(size), ms(med(w)), f"{ms(pct(w, .1))}–{ms(pct(w, .9))}", ms(mean(w))]
                        tail_ccr = ms(med(self.vals(rows, op, "ccr_outside_criu_time_us")), 2) if tool == "ccr" else "–"
                        if op == "ckpt":
                            gbs = [r["ckpt"]["pages_written"] * PAGE / r["ckpt"]["memwrite_time_us"] / 1000.0
                                   for r in rows
                                   if r["ckpt"].get("memwrite_time_us") and r["ckpt"].get("pages_written", 0) > 2560]
                            L.append("| " + " | ".join(common + [
                                ms(med(self.vals(rows, op, "freezing_time_us"))), freezer_waits(rows),
                                ms(med(self.vals(rows, op, "frozen_time_us"))),
                                ms(med(self.vals(rows, op, "memdump_time_us"))),
                                ms(med(self.vals(rows, op, "memwrite_time_us"))),
                                f"{med(gbs):.2f}" if gbs else "–",
                                ms(med(self.vals(rows, op, "outside_span_us"))), tail_ccr,
                                ms(med(self.vals(rows, op, "criu_init_us"))),
                                self.procs(tool, op),
                                "%.1f" % (rss / 1024.0) if rss else "–"]) + " |")
                        else:
                            d = [r["downtime_us"] for r in rows]
                            L.append("| " + " | ".join(common + [
                                ms(med(self.vals(rows, op, "forking_time_us"))),
                                ms(med(self.vals(rows, op, "restore_time_us"))),
                                ms(med(self.vals(rows, op, "outside_span_us"))), tail_ccr,
                                ms(med(self.vals(rows, op, "criu_init_us"))),
                                self.procs(tool, op),
                                "%.1f" % (rss / 1024.0) if rss else "–",
                                ms(med(d)), f"{ms(pct(d, .1))}–{ms(pct(d, .9))}"]) + " |")
            L.append("")
        # ---- processes ----
        if self.counts:
            L.append("## Processes per operation (0 MiB, counted by logging wrappers first in PATH, untimed run)")
            L.append("")
            L.append("| tool | op | CRIU processes | other programs exec'd by CRIU or the tool |")
            L.append("|---|---|---:|---|")
            for tool in self.counts:
                for op, name in (("ckpt", "checkpoint"), ("rst", "restore")):
                    L.append(f"| {self.label(tool)} | {name} | {self.procs(tool, op)} | {self.others(tool, op)} |")
            L.append("")
        # ---- end to end ----
        L.append("## Checkpoint + restore, end to end (sum of the two walls), vs runc in the same run")
        L.append("")
        L.append("÷ = ratio of medians (and of means). *paired* = median over rounds of this tool's "
                 "ckpt+restore ÷ runc's in the same round (cells are interleaved, so a round shares the machine's "
                 "state).")
        L.append("")
        L.append(f"| tool | MiB | images | ckpt+restore | p10–p90 | mean | ÷ {self.label('runc')} | paired | "
                 f"÷ {self.label('runc_new')} | paired | ÷ criu CLI |")
        L.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")

        def ratio(e, ref):
            m, mm = med(self.e2e(ref)), mean(self.e2e(ref))
            return f"{med(e) / m:.3f} ({mean(e) / mm:.3f})" if m else "–"
        for loc in ("disk", "tmpfs"):
            for size in self.b.a.sizes:
                rr, rn, cr = self.sel("runc", size, loc), self.sel("runc_new", size, loc), self.sel("criu", size, loc)
                for tool in MAIN_TOOLS:
                    rows = self.sel(tool, size, loc)
                    if not rows:
                        continue
                    e = self.e2e(rows)
                    L.append(f"| {self.label(tool)} | {size} | {loc} | {ms(med(e))} | "
                             f"{ms(pct(e, .1))}–{ms(pct(e, .9))} | {ms(mean(e))} | {ratio(e, rr)} | "
                             f"{self.paired(rows, rr)} | {ratio(e, rn)} | {self.paired(rows, rn)} | {ratio(e, cr)} |")
        L.append("")
        self.downtime_markdown(L)
        # ---- where ccr's outside time goes ----
        if any("criu_seen_us" in r.get("ckpt", {}) for r in self.sel("ccr", self.b.a.sizes[0])):
            L.append("## Where ccr's time outside CRIU goes (ccr defaults, the measured runs above)")
            L.append("")
            L.append("ccr_driver defines posix_spawn and waitpid, which libccr's calls bind to (-rdynamic): they "
                     "note when ccr starts CRIU and when it has reaped it, at no cost. *before CRIU* = ccr's work "
                     "before it starts CRIU (config, mounts, cgroups, descriptors.json, restore root); *CRIU "
                     "exiting* = from CRIU's final answer (where CCR_STAT_CRIU_TIME_US stops) until ccr has reaped "
                     "it; *after CRIU* = reading the statistics, unmounting, returning. The three add up to "
                     "CCR_STAT_OUTSIDE_CRIU_TIME_US.")
            L.append("")
            L.append("| op | MiB | outside CRIU | before CRIU | CRIU exiting | after CRIU |")
            L.append("|---|---:|---:|---:|---:|---:|")
            for op, name in (("ckpt", "checkpoint"), ("rst", "restore")):
                for size in self.b.a.sizes:
                    rs = [r[op] for r in self.sel("ccr", size) if "criu_seen_us" in r[op]]
                    if not rs:
                        continue
                    L.append("| {} | {} | {} | {} | {} | {} |".format(
                        name, size, ms(med([d["ccr_outside_criu_time_us"] for d in rs]), 2),
                        ms(med([d["before_criu_us"] for d in rs]), 2),
                        ms(med([d["criu_seen_us"] - d["ccr_criu_time_us"] for d in rs]), 2),
                        ms(med([d["after_criu_us"] for d in rs]), 2)))
            L.append("")
        # ---- options ----
        base = self.sel("ccr", 0)
        runc_rows = self.sel("runc", 0)
        runc0, runc0m = med(self.e2e(runc_rows)), mean(self.e2e(runc_rows))
        if base and any(self.sel(v, 0) for v in VARIANTS):
            L.append("## What each CRIU option costs (ccr, 0 MiB, images on disk)")
            L.append("")
            L.append("Each row changes ccr's defaults (log level 4, iptables network lock, the container's "
                     "freezer cgroup; the same as runc's) as described. CRIU's v1 freezer loop sleeps 100 ms "
                     "whenever its first read of freezer.state says FREEZING, which happens in a good share of "
                     "checkpoints at random (*freezer waits*); that makes walls bimodal, so this table gives means "
                     "as well as medians, and Δ = mean of the variant − mean of ccr's defaults with a 95% bootstrap "
                     "interval. ÷ runc compares with runc's checkpoint+restore in the same run (medians; means).")
            L.append("")
            L.append("| variant | checkpoint | restore | ckpt+restore median | mean | Δ mean [95% CI] | ÷ runc | "
                     "freezer waits | CRIU init (ckpt) |")
            L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
            be = self.e2e(base)

            def row(label, rows, first=False):
                e = self.e2e(rows)
                if first:
                    delta = ""
                else:
                    ci = boot_ci(e, be, mean, lambda x, y: x - y)
                    delta = f"{(mean(e) - mean(be)) / 1000:+.1f} [{ci[0] / 1000:+.1f}, {ci[1] / 1000:+.1f}]" if ci \
                        else "%+.1f" % ((mean(e) - mean(be)) / 1000)
                L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                    label, ms(med(self.vals(rows, "ckpt", "wall_us"))), ms(med(self.vals(rows, "rst", "wall_us"))),
                    ms(med(e)), ms(mean(e)), delta,
                    f"{med(e) / runc0:.3f}; {mean(e) / runc0m:.3f}" if runc0 else "–",
                    freezer_waits(rows), ms(med(self.vals(rows, "ckpt", "criu_init_us")))))
            row("ccr defaults", base, first=True)
            for v, (_, label) in VARIANTS.items():
                if self.sel(v, 0):
                    row(label, self.sel(v, 0))
            if runc_rows:
                L.append("| *runc (for reference)* | {} | {} | {} | {} | | 1 | {} | {} |".format(
                    ms(med(self.vals(runc_rows, "ckpt", "wall_us"))), ms(med(self.vals(runc_rows, "rst", "wall_us"))),
                    ms(runc0), ms(runc0m), freezer_waits(runc_rows),
                    ms(med(self.vals(runc_rows, "ckpt", "criu_init_us")))))
            L.append("")
        # ---- lazy ----
        if self.lazy:
            L.append(f"## Lazy restore ({self.b.a.lazy_size} MiB, ccr, pages over loopback from the dumping CRIU's "
                     "page server)")
            L.append("")
            L.append("*answers* = from the start of the restore call to the container's first reply. "
                     "*ckpt start → answer* = the whole migration until the container answers (eager: full dump "
                     "+ restore; lazy: dump without memory + restore). *all memory* = until the container has read "
                     "every page once. *transfer done* = until the dumping CRIU and `criu lazy-pages` exited.")
            L.append("")
            L.append("| mode | answers | p10–p90 | restore call | ckpt start → answer | all memory | transfer done | "
                     "downtime |")
            L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
            for mode in ("eager", "lazy"):
                rs = [r for r in self.lazy if r["mode"] == mode]
                if not rs:
                    continue
                a = [r["answer_us"] for r in rs]
                L.append("| {} | {} | {}–{} | {} | {} | {} | {} | {} |".format(
                    mode, ms(med(a)), ms(pct(a, .1)), ms(pct(a, .9)), ms(med([r["restore_call_us"] for r in rs])),
                    ms(med([r["ckpt_to_answer_us"] for r in rs])), ms(med([r.get("all_memory_us") for r in rs])),
                    ms(med([r.get("transfer_done_us") for r in rs])), ms(med([r.get("downtime_us") for r in rs]))))
            L.append("")
        # ---- targets ----
        L.append("## Targets of issue #15")
        L.append("")
        L.append("Medians, interleaved in this run, same CRIU, images on the same file system. Ratios are ccr's "
                 "defaults ÷ the other tool; *95% CI* is a bootstrap interval of that ratio. A miss says by how much, "
                 "why (from this run's own figures: CRIU's phase times against each tool's time outside them) and "
                 "what would close it.")
        L.append("")
        if self.trial_reason():
            L.append(f"*Trial run ({self.trial_reason()}): these verdicts check the machinery, they are not the "
                     "result.*")
            L.append("")
        for t in targets.evaluate(self.target_data()):
            L.append(t.markdown())
        L.append("")
        L.append("## Earlier targets (ccr's own overhead, memory throughput, lazy restore)")
        L.append("")
        for t in self.targets():
            L.append("- **{}** — {}: {}".format("met" if t[1] else "MISSED", t[0], t[2]))
        L.append("")
        if self.b.errors:
            L.append("## Errors during the run")
            L.append("")
            for e in self.b.errors:
                L.append("- " + e.replace("\n", " ")[:600])
            L.append("")
        return "\n".join(L)

    def targets(self):
        """The targets of the issues before #15, still checked: ccr's own
        time outside CRIU, one CRIU process per operation, memwrite on tmpfs,
        the lazy restore."""
        out = []
        # ccr's time outside CRIU <= 3 ms
        for op, name in (("ckpt", "checkpoint"), ("rst", "restore")):
            vals = []
            for size in self.b.a.sizes:
                v = med(self.vals(self.sel("ccr", size), op, "ccr_outside_criu_time_us"))
                if v is not None:
                    vals.append((size, v))
            if vals:
                worst = max(v for _, v in vals)
                out.append((f"ccr's time outside CRIU ≤ 3 ms ({name})", worst <= 3000,
                            "median per size " + ", ".join(f"{s} MiB {v / 1000:.2f} ms" for s, v in vals) +
                            ("" if worst <= 3000 else f"; over by {(worst - 3000) / 1000:.2f} ms")))
        # one CRIU process per operation
        c = self.counts.get("ccr")
        if c:
            n1, n2 = c["ckpt"].get("criu", 0), c["rst"].get("criu", 0)
            runc = self.counts.get("runc", {})
            out.append(("exactly one CRIU process per ccr checkpoint and restore", n1 == 1 and n2 == 1,
                        "counted {} for checkpoint, {} for restore (runc: {} and {})".format(
                            n1, n2, runc.get("ckpt", {}).get("criu", "?"), runc.get("rst", {}).get("criu", "?"))))
        # memwrite >= 2 GB/s on tmpfs at the largest size
        big = max(self.b.a.sizes)
        for tool in ("ccr", "criu"):
            rows = self.sel(tool, big, "tmpfs")
            g = [r["ckpt"]["pages_written"] * PAGE / r["ckpt"]["memwrite_time_us"] / 1000.0
                 for r in rows if r["ckpt"].get("memwrite_time_us")]
            if g and big >= 64:
                ceil = max(self.facts.get("tmpfs_ceiling_gbs", [0]))
                out.append((f"memwrite ≥ 2 GB/s with images on tmpfs ({big} MiB, {self.label(tool)})",
                            med(g) >= 2.0, "median {:.2f} GB/s (p10–p90 {:.2f}–{:.2f}){}; plain write() into tmpfs "
                            "reached {:.2f} GB/s on this machine in this run".format(
                                med(g), pct(g, .1), pct(g, .9),
                                "" if med(g) >= 2 else f"; short by {2 - med(g):.2f} GB/s", ceil)))
        # lazy restore
        if self.lazy:
            e = med([r["answer_us"] for r in self.lazy if r["mode"] == "eager"])
            lz = med([r["answer_us"] for r in self.lazy if r["mode"] == "lazy"])
            if e and lz:
                out.append((f"lazy restore of {self.b.a.lazy_size} MiB answers in ≤ 1/5 of the eager restore's time",
                            lz <= e / 5, f"lazy {ms(lz)} ms vs eager {ms(e)} ms = {lz / e:.2f} of eager"))
        return out

    def chart(self, path):
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            log("matplotlib is not available: no chart")
            return False
        sizes = self.b.a.sizes
        # Top row: the walls per size; bottom row: the option costs and the
        # downtime panels.
        fig = plt.figure(figsize=(max(12, 4 * len(sizes)), 9))
        rows = fig.add_gridspec(2, 1, height_ratios=[1, 1.1])
        top = rows[0].subgridspec(1, len(sizes))
        bottom = rows[1].subgridspec(1, 2, width_ratios=[1.3, 1])
        axes = [fig.add_subplot(top[0, i]) for i in range(len(sizes))]
        axes += [fig.add_subplot(bottom[0, 0]), fig.add_subplot(bottom[0, 1])]
        colors = {"ckpt": "#4C72B0", "rst": "#DD8452"}
        for ax, size in zip(axes, sizes):
            tools = [t for t in MAIN_TOOLS if self.sel(t, size)]
            xs = range(len(tools))
            bottoms = [0] * len(tools)
            for op, label in (("ckpt", "checkpoint"), ("rst", "restore")):
                meds = [med(self.vals(self.sel(t, size), op, "wall_us")) / 1000 for t in tools]
                lo = [m - pct(self.vals(self.sel(t, size), op, "wall_us"), .1) / 1000 for t, m in zip(tools, meds)]
                hi = [pct(self.vals(self.sel(t, size), op, "wall_us"), .9) / 1000 - m for t, m in zip(tools, meds)]
                ax.bar(xs, meds, bottom=bottoms, color=colors[op], label=label,
                       yerr=[lo, hi], capsize=3, error_kw={"elinewidth": 0.8})
                bottoms = [b + m for b, m in zip(bottoms, meds)]
            ax.set_xticks(list(xs))
            ax.set_xticklabels([self.label(t) for t in tools], rotation=20)
            ax.set_title(f"{size} MiB (images on disk)")
            if size == sizes[0]:
                ax.set_ylabel("ms (median, p10–p90 bars)")
            ax.legend(fontsize=8)
        ax = axes[-2]
        names = [n for n in ["ccr"] + list(VARIANTS) + ["runc", "runc_new"] if self.sel(n, 0)]
        e = [self.e2e(self.sel(n, 0)) for n in names]
        m = [med(x) / 1000 for x in e]
        lo = [mm - pct(x, .1) / 1000 for mm, x in zip(m, e)]
        hi = [pct(x, .9) / 1000 - mm for mm, x in zip(m, e)]
        ax.barh(range(len(names)), m, xerr=[lo, hi], capsize=2, error_kw={"elinewidth": 0.7},
                color=["#55A868" if n.startswith("ccr") else "#C44E52" for n in names])
        if "runc" in names:
            r = m[names.index("runc")]
            ax.axvline(r, color="#C44E52", lw=0.8, ls="--")
            ax.axvline(targets.E2E_LIMIT * r, color="black", lw=0.8, ls=":",
                       label=f"{targets.E2E_LIMIT:.2f} × {self.label('runc')}")
            ax.legend(fontsize=7, loc="lower right")
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels([VARIANTS[n][1] if n in VARIANTS else ("ccr defaults" if n == "ccr" else self.label(n))
                            for n in names], fontsize=6)
        ax.invert_yaxis()
        ax.set_xlabel("0 MiB checkpoint + restore, ms (median, p10–p90)")
        ax.set_title("ccr option costs vs runc (0 MiB)")
        self.downtime_chart(axes[-1])
        fig.tight_layout()
        fig.savefig(path, dpi=70)
        return True

    def downtime_chart(self, ax):
        """Frozen time of leave-running checkpoints and migration downtime,
        ccr against both runcs (medians, p10–p90)."""
        groups = [(f"frozen, leave-running {s} MiB", lambda t, s=s: [r["frozen_gap_us"] for r in self.snap(t, s)])
                  for s in self.b.a.snapshot_sizes]
        for s in [s for s in self.b.a.sizes if s in (0, 64)]:
            loc = "tmpfs" if s in self.b.a.tmpfs_sizes else "disk"
            groups.append((f"migration {s} MiB ({loc})",
                           lambda t, s=s, loc=loc: [r["downtime_us"] for r in self.sel(t, s, loc)]))
        tools = [t for t in DOWNTIME_TOOLS if t in self.b.a.tools]
        width = 0.8 / max(1, len(tools))
        colors = {"ccr": "#55A868", "runc": "#C44E52", "runc_new": "#8172B2"}
        for i, tool in enumerate(tools):
            xs, ys, lo, hi = [], [], [], []
            for g, (_, fn) in enumerate(groups):
                v = fn(tool)
                if not v:
                    continue
                m = med(v) / 1000
                xs.append(g + (i - (len(tools) - 1) / 2) * width)
                ys.append(m)
                lo.append(m - pct(v, .1) / 1000)
                hi.append(pct(v, .9) / 1000 - m)
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, color=colors[tool], label=self.label(tool),
                   error_kw={"elinewidth": 0.7})
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([g for g, _ in groups], rotation=20, fontsize=7)
        ax.set_ylabel("ms the application stood still (median, p10–p90)")
        ax.set_title("Downtime seen from inside the container")
        ax.legend(fontsize=7)


def host_facts(bench):
    def out(cmd):
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
            return r.stdout.decode().strip()
        except OSError:
            return "?"
    cfg = kernel_config(["CONFIG_HZ", "CONFIG_PREEMPT_NONE", "CONFIG_PREEMPT_VOLUNTARY", "CONFIG_PREEMPT",
                         "CONFIG_PREEMPT_DYNAMIC"])
    preempt = "PREEMPT_DYNAMIC" if cfg.get("CONFIG_PREEMPT_DYNAMIC") == "y" else (
        "PREEMPT" if cfg.get("CONFIG_PREEMPT") == "y" else ("PREEMPT_NONE" if cfg.get("CONFIG_PREEMPT_NONE") else "?"))
    try:
        with open("/sys/kernel/debug/sched/preempt") as f:
            preempt += f" ({f.read().strip()})"
    except OSError:
        pass
    v = re.search(r"Version:\s*(\S+)", out(["criu", "--version"]))
    rv = re.search(r"runc version (\S+)", out(["runc", "--version"]))
    rnv = re.search(r"runc version (\S+)", out([bench.a.runc_new, "--version"])) if not bench.a.runc_new_missing \
        else None
    kdat = "present" if os.path.exists("/run/criu.kdat") else (
        f"absent: /run is {fs_type('/run')}, and CRIU keeps /run/criu.kdat only on tmpfs, so every CRIU process "
        "re-probes the kernel")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "host": platform.node(), "kernel": platform.release(),
        "hz": cfg.get("CONFIG_HZ", "?"), "preempt": preempt, "cpus": os.cpu_count(),
        "criu": v.group(1) if v else "?", "runc": rv.group(1) if rv else "?",
        "runc_new": rnv.group(1) if rnv else "?",
        "command": shlex.join(["sudo", "bash", "bench/run.sh"] + bench.a.passed_args),
        "cgroup": "v1 hybrid" if bench.hier else "v2", "images_fs": fs_type(bench.base),
        "images_dir": bench.base + "/images", "kdat": kdat,
        "loadavg_start": read_text("/proc/loadavg").split()[:3],
        "pipe_max_size": read_text("/proc/sys/fs/pipe-max-size").strip(),
        "cap_sys_resource": bool(int(re.search(r"CapEff:\s*([0-9a-f]+)", read_text("/proc/self/status")).group(1), 16)
                                 & (1 << 24)),
    }


def write_report(bench, counts, lazy, facts, elapsed, out):
    """latest.md and latest.png into `out`; the markdown also on stdout."""
    rep = Report(bench, counts, lazy, facts, elapsed)
    md = rep.markdown()
    with open(os.path.join(out, "latest.md"), "w") as f:
        f.write(md + "\n")
    rep.chart(os.path.join(out, "latest.png"))
    print(md)


def report_from_json(path, out):
    """Makes the report again from a run's raw data (its latest.json)."""
    raw = json.loads(read_text(path))
    bench = argparse.Namespace(a=argparse.Namespace(**raw["args"]), results=raw["cycles"], errors=raw["errors"])
    os.makedirs(out, exist_ok=True)
    write_report(bench, raw["counts"], raw["lazy"], raw["facts"], raw["elapsed_s"], out)
    return 0


def round_cells(a, kdat_ok):
    """The cycles of one round, as (tool, MiB, images location, ccr variant,
    mode): every tool at every size on disk; ccr's variants at 0 MiB; on
    tmpfs every tool at the largest size and ccr and the runcs at the smaller
    ones (the migration downtime cells); leave-running snapshots of ccr and
    the runcs. The 0 MiB cells are cheap and their effects small next to the
    noise: they run --repeat0 times per round."""
    cells = [(t, s, "disk", None, "migrate") for s in a.sizes for t in a.tools]
    cells += [("ccr", 0, "disk", v, "migrate") for v in a.variants
              if 0 in a.sizes and ("kdat" not in v or kdat_ok)]
    for s in a.tmpfs_sizes:
        cells += [(t, s, "tmpfs", None, "migrate") for t in a.tools
                  if s == max(a.sizes) or t in DOWNTIME_TOOLS]
    cells += [(t, s, "disk", None, "snapshot") for s in a.snapshot_sizes for t in DOWNTIME_TOOLS if t in a.tools]
    cells += [c for c in cells if c[1] == 0] * (a.repeat0 - 1)
    return cells


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true",
                    help="check the report machinery in a few minutes: defaults become --runs 3 --warmup 1 "
                         "--sizes 0,64 --repeat0 1 --variants '' --no-lazy; the report says it is a trial run")
    ap.add_argument("--trial", action="store_true",
                    help="mark the report as a trial run (e.g. a full run on a loaded machine)")
    ap.add_argument("--runs", type=int, default=None, help="measured runs per cell (default 10)")
    ap.add_argument("--warmup", type=int, default=None, help="warm-up rounds, not recorded (default 2)")
    ap.add_argument("--sizes", default=None, help="MiB of touched memory (default 0,64,512)")
    ap.add_argument("--variants", default=None,
                    help="ccr option variants at 0 MiB ('' for none; default all: {})".format(",".join(VARIANTS)))
    ap.add_argument("--repeat0", type=int, default=None,
                    help="runs per round of each 0 MiB cell (tools and ccr variants; default 2, so 2 x --runs)")
    ap.add_argument("--tmpfs-sizes", default="0,64,512",
                    help="sizes also run with images on a tmpfs (default 0,64,512; the migration downtime "
                         "targets read the tmpfs cells; every tool at the largest size, ccr and the runcs below)")
    ap.add_argument("--snapshot-sizes", default="0,64",
                    help="sizes of the leave-running checkpoint cells (ccr and the runcs; default 0,64)")
    ap.add_argument("--no-tmpfs", action="store_true", help="skip the images-on-tmpfs cells")
    ap.add_argument("--no-lazy", action="store_true", help="skip the lazy-restore pass")
    ap.add_argument("--runc-new", default=RUNC_NEW_DEFAULT,
                    help="the newer runc, built by scripts/bootstrap.sh (default %(default)s); left out when absent")
    ap.add_argument("--criu-network-lock", default="",
                    help="network lock given to the criu CLI and libcriu (iptables|nftables|skip; default: CRIU's "
                         "own, iptables); give ccr's default so that the CLI gets the same options")
    ap.add_argument("--lazy-runs", type=int, default=None, help="runs per mode in the lazy pass (default: --runs)")
    ap.add_argument("--tools", default=",".join(MAIN_TOOLS))
    ap.add_argument("--bindir", help="where run.sh put memhog, ccr_driver, libcriu_driver (required to measure)")
    ap.add_argument("--from-json", metavar="JSON",
                    help="measure nothing: make the report (latest.md, latest.png in --out) again from a run's "
                         "latest.json")
    ap.add_argument("--workdir", default=f"/var/tmp/ccr-bench.{os.getpid()}")
    ap.add_argument("--out", required=True, help="results directory")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--tag", default=str(os.getpid()), help="names the cgroup parent /ccr-bench-TAG")
    passed = list(sys.argv[1:])
    a = ap.parse_args()
    if a.from_json:
        return report_from_json(a.from_json, a.out)
    if not a.bindir:
        ap.error("--bindir is required (bench/run.sh passes it)")
    # What the caller asked for, without what run.sh adds on its own.
    a.passed_args, i = [], 0
    while i < len(passed):
        x, nxt = passed[i], passed[i + 1] if i + 1 < len(passed) else None
        if x in ("--bindir", "--workdir", "--tag", "--out") or (x == "--runc-new" and nxt == RUNC_NEW_DEFAULT):
            i += 2
            continue
        if not x.startswith(("--bindir=", "--workdir=", "--tag=", "--out=")):
            a.passed_args.append(x)
        i += 1
    quick = {"runs": 3, "warmup": 1, "sizes": "0,64", "repeat0": 1, "variants": ""}
    full = {"runs": 10, "warmup": 2, "sizes": "0,64,512", "repeat0": 2, "variants": ",".join(VARIANTS)}
    for k, v in (quick if a.quick else full).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    if a.quick:
        a.no_lazy = True
    a.sizes = [int(s) for s in a.sizes.split(",") if s != ""]
    a.tmpfs_sizes = [] if a.no_tmpfs else [int(s) for s in a.tmpfs_sizes.split(",") if s != "" and int(s) in a.sizes]
    a.snapshot_sizes = [int(s) for s in a.snapshot_sizes.split(",") if s != ""]
    a.variants = [v for v in a.variants.split(",") if v]
    for v in a.variants:
        if v not in VARIANTS:
            ap.error(f"unknown variant {v}")
    a.tools = [t for t in a.tools.split(",") if t]
    if not os.path.exists(os.path.join(a.bindir, "libcriu_driver")) and "libcriu" in a.tools:
        log("no libcriu_driver: libcriu left out")
        a.tools.remove("libcriu")
    a.runc_new_missing = "runc_new" in a.tools and not os.access(a.runc_new, os.X_OK)
    if a.runc_new_missing:
        log(f"no runc at {a.runc_new} (scripts/bootstrap.sh builds runc 1.5.3 there): left out")
        a.tools.remove("runc_new")
    a.lazy_size = max(a.sizes)
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (runc and CRIU need it)")

    b = Bench(a)
    interrupted = []

    def on_signal(sig, frame):
        interrupted.append(sig)
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    set_subreaper()
    t_start = time.monotonic()
    rng = random.Random(a.seed)
    try:
        b.setup()
        facts = host_facts(b)
        big = max(a.sizes)
        facts["tmpfs_ceiling_gbs"] = [tmpfs_write_ceiling(b.tmpfs, max(big, 64))]
        log("counting CRIU processes per operation (untimed runs with logging wrappers in PATH)")
        counts = count_processes(b)
        reap_zombies()
        cells = round_cells(a, b.kdat_ok)
        log(f"{len(cells)} cycles per round, {a.warmup + a.runs} rounds")
        rounds = a.warmup + a.runs
        for rnd in range(rounds):
            order = cells[:]
            rng.shuffle(order)
            t0 = time.monotonic()
            for tool, size, loc, var, mode in order:
                try:
                    rec = Cycle(b, tool, size, loc, variant=var, mode=mode).run()
                    rec["round"] = rnd
                    if rnd >= a.warmup:
                        b.results.append(rec)
                except KeyboardInterrupt:
                    raise
                except Exception as e:  # noqa: BLE001
                    b.errors.append(f"round {rnd} {var or tool} {size} MiB {loc} {mode}: {e}")
                    log("error:", b.errors[-1][:2000])
                reap_zombies()
            log("round {}/{}{} done in {:.1f} s".format(rnd + 1, rounds, " (warm-up)" if rnd < a.warmup else "",
                                                        time.monotonic() - t0))
        lazy = []
        if not a.no_lazy:
            b.raise_pipe_max()
            n = a.lazy_runs if a.lazy_runs is not None else a.runs
            for rnd in range(1 + n):
                for mode in rng.sample([False, True], 2):
                    try:
                        r = lazy_cycle(b, a.lazy_size, mode)
                        if rnd >= 1:
                            lazy.append(r)
                    except KeyboardInterrupt:
                        raise
                    except Exception as e:  # noqa: BLE001
                        b.errors.append("lazy round {} {}: {}".format(rnd, "lazy" if mode else "eager", e))
                        log("error:", b.errors[-1][:2000])
                    reap_zombies()
            b.restore_pipe_max()
            log("lazy pass done")
        facts["tmpfs_ceiling_gbs"].append(tmpfs_write_ceiling(b.tmpfs, max(big, 64)))
        facts["loadavg_end"] = read_text("/proc/loadavg").split()[:3]
        elapsed = time.monotonic() - t_start
        os.makedirs(a.out, exist_ok=True)
        # The raw data first: a report that fails can be made again from it
        # (--from-json) without measuring again.
        with open(os.path.join(a.out, "latest.json"), "w") as f:
            json.dump({"facts": facts, "args": vars(a), "elapsed_s": elapsed, "counts": counts, "cycles": b.results,
                       "lazy": lazy,
                       "errors": b.errors}, f, indent=1)
        write_report(b, counts, lazy, facts, elapsed, a.out)
        return 1 if b.errors and not b.results else 0
    except KeyboardInterrupt:
        log("interrupted ({}): cleaning up".format(interrupted or "SIGINT"))
        return 130
    finally:
        b.cleanup()


if __name__ == "__main__":
    sys.exit(main())
