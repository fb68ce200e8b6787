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
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

PAGE = 4096
CGROOT = "/sys/fs/cgroup"
MAIN_TOOLS = ["ccr", "runc", "criu", "libcriu"]
TOOL_LABEL = {"ccr": "ccr (C ABI)", "runc": "runc", "criu": "criu CLI", "libcriu": "libcriu"}

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
            raise ValueError("bad wire type %d" % wt)
        out.append((num, v))
    return out


def read_stats(path):
    """stats-dump or stats-restore -> dict of the fields CRIU wrote; {} if absent."""
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        return {}
    m0, m1 = struct.unpack_from("<II", data, 0)
    if (m0, m1) != (0x55105940, 0x57093306):
        raise ValueError("%s: not a CRIU stats image (magic %#x %#x)" % (path, m0, m1))
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
                self.tool = json.loads(open(self.measure).read())
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
        raise RuntimeError("%s not found in PATH" % argv[0])
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
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), r.returncode, r.stdout.decode(errors="replace")[-2000:]))
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
        self.runc_root = os.path.join(self.base, "runc")
        self.tmpfs = os.path.join(self.base, "tmpfs")
        self.cg_parent = "/ccr-bench-%s" % args.tag
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
        self.spec = json.load(open(specdir + "/config.json"))
        os.makedirs(self.tmpfs)
        run(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0700" % (max(self.a.sizes) * 2 + 256), "ccr-bench", self.tmpfs])
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
                  "cp /run/criu.kdat %s" % self.kdat_file)
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.kdat_ok = r.returncode == 0 and os.path.exists(self.kdat_file)
        if not self.kdat_ok:
            log("cannot make a kdat cache: %s" % r.stdout.decode(errors="replace")[-300:])

    # -- the lazy pass needs big pipes -----------------------------------------

    def raise_pipe_max(self):
        """CRIU 4.1.1's lazy page server asks F_SETPIPE_SZ for ~3.2 MiB and
        ignores the failure (page-pipe.c pipe_read_dest_init), then splices to
        fd -1 (EBADF): without CAP_SYS_RESOURCE the ask must fit
        fs.pipe-max-size. Raised for the lazy pass only, restored after."""
        self.pipe_max_saved = None
        try:
            cur = int(open("/proc/sys/fs/pipe-max-size").read())
            if cur < (4 << 20):
                with open("/proc/sys/fs/pipe-max-size", "w") as f:
                    f.write(str(4 << 20))
                self.pipe_max_saved = cur
        except OSError as e:
            log("cannot raise fs.pipe-max-size: %s" % e)

    def restore_pipe_max(self):
        if getattr(self, "pipe_max_saved", None):
            with open("/proc/sys/fs/pipe-max-size", "w") as f:
                f.write(str(self.pipe_max_saved))
            self.pipe_max_saved = None

    # -- containers ---------------------------------------------------------

    def new_container(self, size):
        self.counter += 1
        cid = "cb%s-%d" % (self.a.tag, self.counter)
        c = Container(self, cid, size)
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
            subprocess.run(["umount", "-l", mp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Anything still mounted below the base (a restore root left by a crash).
        for m in sorted((m["mountpoint"] for m in parse_mountinfo() if m["mountpoint"].startswith(self.base + "/")),
                        key=len, reverse=True):
            subprocess.run(["umount", "-l", m], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    def __init__(self, bench, cid, size):
        self.b, self.id, self.size = bench, cid, size
        self.cgpath = bench.cg_parent + "/" + cid
        self.bundle = os.path.join(bench.base, "bundles", cid)
        os.makedirs(self.bundle)
        cfg = json.loads(json.dumps(bench.spec))
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = ["/bin/memhog", str(size)]
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
        return [os.readlink("/proc/%d/fd/%d" % (self.pid, i)) for i in range(3)]

    def start(self):
        p = Pipes()
        pidfile = os.path.join(self.bundle, "init.pid")
        s = spawn(["runc", "--root", self.b.runc_root, "run", "-d", "--pid-file", pidfile, "--bundle", self.bundle,
                   self.id], stdin=p.c[0], stdout=p.c[1], stderr=p.c[2])
        self.runc_known = True
        rc = s.wait(timeout=60)
        p.close_container_side()
        self.pipes = p
        if rc != 0:
            raise RuntimeError("runc run %s: exit %d: %s" % (self.id, rc, p.stderr_text()))
        self.pid = int(open(pidfile).read())
        line = p.read_line(60)
        if not line or not line.startswith("ready"):
            raise RuntimeError("container %s did not get ready: %r %s" % (self.id, line, p.stderr_text()))
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
                for pid in open(h + self.cgpath + "/cgroup.procs").read().split():
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
                    if open(h + self.cgpath + "/cgroup.procs").read().strip():
                        busy = True
                except OSError:
                    pass
            if not busy:
                break
            time.sleep(0.01)
        if self.runc_known:
            subprocess.run(["runc", "--root", self.b.runc_root, "delete", "-f", self.id],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for h in all_hierarchy_mounts():
            if os.path.isdir(h + self.cgpath):
                rmdir_retry(h + self.cgpath)
        if self.restore_root:
            subprocess.run(["umount", "-l", self.restore_root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
            hp = "/proc/%d/root%s" % (self.pid, p)
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
        txt = open(path).read().strip()
        return json.loads(txt.splitlines()[-1]) if txt else {"ok": False, "error": "no output"}
    except (OSError, ValueError) as e:
        return {"ok": False, "error": "unreadable driver output: %s" % e}


class Cycle:
    """Checkpoint then restore one container with one tool; returns a dict."""

    def __init__(self, bench, tool, size, loc, variant=None, env=None, mark=None):
        self.b, self.tool, self.size, self.loc, self.variant = bench, tool, size, loc, variant
        self.env = env
        self.mark = mark or (lambda phase: None)

    def criu_opts_dump(self, c, log_level=4):
        o = ["-v%d" % log_level, "-o", "dump.log", "--root", self.b.rootfs, "--manage-cgroups",
             "--freeze-cgroup", c.freezer_dir()]
        for k, v in c.dump_ext_mounts():
            o += ["--ext-mount-map", "%s:%s" % (k, v)]
        return o

    def criu_opts_restore(self, c, root, stdio_fds):
        o = ["-v4", "-o", "restore.log", "--root", root, "--manage-cgroups", "--evasive-devices",
             "--restore-detached", "--restore-sibling"]
        for k, v in c.restore_ext_mounts():
            o += ["--ext-mount-map", "%s:%s" % (k, v)]
        for ctrl, path in c.cg_roots():
            o += ["--cgroup-root", "%s:%s" % (ctrl, path)]
        for fd, key in zip(stdio_fds, c.keys):
            o += ["--inherit-fd", "fd[%d]:%s" % (fd, key)]
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

    def run(self):
        b, tool = self.b, self.tool
        rec = {"tool": self.variant or tool, "base_tool": tool, "size": self.size, "loc": self.loc}
        c = b.new_container(self.size)
        images = None
        try:
            c.start()
            name = "%s-%d-%s" % (rec["tool"].replace(":", "_"), self.size, self.loc)
            images = b.images_dir(self.loc, name)
            out = os.path.join(c.bundle, "out.json")
            errf = os.path.join(c.bundle, "err.txt")
            # ---- checkpoint ----
            fo, fe = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), os.open(errf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            extra, prefreeze, kdat = self.ccr_args()
            if tool == "ccr":
                argv = [os.path.join(b.bin, "ccr_driver"), "checkpoint", "--id", c.id, "--bundle", c.bundle,
                        "--images", images, "--pid", str(c.pid)] + extra
                if prefreeze:
                    argv += ["--prefreeze", c.freezer_dir()]
                if kdat:
                    argv = self.wrap_kdat(argv)
            elif tool == "runc":
                argv = ["runc", "--root", b.runc_root, "checkpoint", "--image-path", images, "--work-path", images, c.id]
            elif tool == "criu":
                argv = ["criu", "dump", "-t", str(c.pid), "-D", images] + self.criu_opts_dump(c)
            elif tool == "libcriu":
                argv = [os.path.join(b.bin, "libcriu_driver"), "dump", "--images", images, "--pid", str(c.pid),
                        "--root", b.rootfs, "--freeze-cgroup", c.freezer_dir()]
                for k, v in c.dump_ext_mounts():
                    argv += ["--ext", "%s:%s" % (k, v)]
            self.mark("ckpt0")
            s = spawn(argv, stdin=None, stdout=fo, stderr=fe, env=self.env, measure=out + ".launch")
            rc = s.wait(timeout=300)
            self.mark("ckpt1")
            os.close(fo), os.close(fe)
            res = driver_result(out) if tool in ("ccr", "libcriu") else {"ok": rc == 0}
            if rc != 0 or not res.get("ok"):
                raise RuntimeError("%s checkpoint failed (exit %d): %s %s" % (rec["tool"], rc, res.get("error", ""),
                                                                           open(errf).read()[-3000:]))
            rec["ckpt"] = self.collect(s, res, images, restore=False)
            if tool == "runc":
                c.runc_known = False  # runc destroyed it after the checkpoint
            # ---- restore ----
            old_pipes = c.pipes
            p = Pipes()
            c.pipes = p
            root = None
            if tool in ("criu", "libcriu"):
                # Done by runc and ccr inside their call; untimed here.
                root = c.make_restore_root()
            fo, fe = os.open(out, os.O_WRONLY | os.O_TRUNC), os.open(errf, os.O_WRONLY | os.O_TRUNC)
            pidfile = os.path.join(c.bundle, "restored.pid")
            self.mark("rst0")
            t_rs = now_ns()
            if tool == "ccr":
                argv = [os.path.join(b.bin, "ccr_driver"), "restore", "--id", c.id, "--bundle", c.bundle,
                        "--images", images, "--stdio", "3,4,5"] + [a for a in extra if a != "--seize"]
                if kdat:
                    argv = self.wrap_kdat(argv)
                s = spawn(argv, stdout=fo, stderr=fe, fds=p.c, env=self.env, measure=out + ".launch")
            elif tool == "runc":
                argv = ["runc", "--root", b.runc_root, "restore", "-d", "--image-path", images, "--work-path", images,
                        "--bundle", c.bundle, "--pid-file", pidfile, c.id]
                s = spawn(argv, stdin=p.c[0], stdout=p.c[1], stderr=p.c[2], env=self.env, measure=out + ".launch")
                c.runc_known = True
            elif tool == "criu":
                argv = ["criu", "restore", "-D", images, "--pidfile", pidfile] + self.criu_opts_restore(c, root, [3, 4, 5])
                s = spawn(argv, stdout=fo, stderr=fe, fds=p.c, env=self.env, measure=out + ".launch")
            else:
                argv = [os.path.join(b.bin, "libcriu_driver"), "restore", "--images", images, "--root", root]
                for k, v in c.restore_ext_mounts():
                    argv += ["--ext", "%s:%s" % (k, v)]
                for ctrl, path in c.cg_roots():
                    argv += ["--cg-root", "%s:%s" % (ctrl, path)]
                for fd, key in zip((3, 4, 5), c.keys):
                    argv += ["--inherit", "%d:%s" % (fd, key)]
                s = spawn(argv, stdout=fo, stderr=fe, fds=p.c, env=self.env, measure=out + ".launch")
            rc = s.wait(timeout=300)
            t_rs_end = now_ns()
            self.mark("rst1")
            os.close(fo), os.close(fe)
            p.close_container_side()
            old_pipes.close()
            res = driver_result(out) if tool in ("ccr", "libcriu") else {"ok": rc == 0}
            if rc != 0 or not res.get("ok"):
                raise RuntimeError("%s restore failed (exit %d): %s %s %s" % (
                    rec["tool"], rc, res.get("error", ""), open(errf).read()[-3000:], p.stderr_text()[-2000:]))
            if tool in ("ccr", "libcriu"):
                c.pid = res["pid"]
            else:
                c.pid = int(open(pidfile).read())
            c.drop_restore_root()
            rec["rst"] = self.collect(s, res, images, restore=True)
            # ---- the container, seen from inside ----
            p.send("p")
            down = answer = None
            deadline = time.monotonic() + 30
            while (down is None or answer is None) and time.monotonic() < deadline:
                line = p.read_line(max(0.01, deadline - time.monotonic()))
                if line is None:
                    break
                f = line.split()
                if f[0] == "gap" and int(f[1]) < t_rs < int(f[2]):
                    down = (int(f[2]) - int(f[1])) / 1000.0
                elif f[0] == "pong":
                    answer = (now_ns() - t_rs_end) / 1000.0
            if down is None or answer is None:
                raise RuntimeError("%s: the restored container did not answer (downtime %s, pong %s): %s" % (
                    rec["tool"], down, answer, p.stderr_text()))
            rec["downtime_us"] = down
            rec["answer_after_restore_us"] = answer
            return rec
        finally:
            c.destroy()
            if images:
                shutil.rmtree(images, ignore_errors=True)

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
            f.write('#!/bin/sh\necho "%s $$ $PPID" >> %s\nexec %s "$@"\n' % (name, logf, real))
        os.chmod(os.path.join(d, name), 0o755)
    env = dict(os.environ)
    env["PATH"] = d + ":" + path
    return env, logf


def count_processes(bench):
    env, logf = make_wrappers(bench)
    counts = {}
    for tool in MAIN_TOOLS + [v for v in ("ccr:nft", "ccr:skip", "ccr:emptyns", "ccr:proposed", "ccr:proposed+emptyns")
                              if v in bench.a.variants]:
        base = tool.split(":")[0]
        per_op = {}
        for op in ("ckpt", "rst"):
            per_op[op] = {}
        marks = {}

        def mark(phase):
            marks[phase] = os.path.getsize(logf)
        cyc = Cycle(bench, base, 0, "disk", variant=tool if ":" in tool else None, env=env, mark=mark)
        open(logf, "w").close()
        try:
            cyc.run()
        except Exception as e:  # noqa: BLE001
            bench.errors.append("count %s: %s" % (tool, e))
            continue
        data = open(logf).read()
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
            dump = spawn([drv, "checkpoint", "--id", c.id, "--bundle", c.bundle, "--images", images, "--pid", str(c.pid),
                          "--lazy-pages", "--page-server", "127.0.0.1:%d" % port, "--status-fd", "3"],
                         stdout=fo, stderr=fe, fds=[st_w])
            procs.append(dump)
            os.close(fo), os.close(fe), os.close(st_w)
            r, _, _ = select.select([st_r], [], [], 120)
            ready = os.read(st_r, 1) if r else b""
            os.close(st_r)
            if ready != b"\0":
                dump.wait(timeout=30)
                raise RuntimeError("lazy checkpoint never became ready: %s %s" % (
                    open(out + ".ck").read()[-2000:], open(errf + ".ck").read()[-2000:]))
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
                    raise RuntimeError("criu lazy-pages did not start: %s" % open(os.path.join(images, "lazy-pages.log")).read()[-2000:])
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
                raise RuntimeError("eager checkpoint failed: %s" % res.get("error"))
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
            raise RuntimeError("%s restore failed: %s %s" % (rec["mode"], res.get("error"), open(errf).read()[-2000:]))
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
            raise RuntimeError("%s: no answer after restore" % rec["mode"])
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

def pct(vals, q):
    v = sorted(vals)
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


def freezer_waits(rows):
    """Checkpoints in which CRIU's v1 freezer loop slept its 100 ms step."""
    f = [r["ckpt"].get("freezing_time_us") for r in rows if "ckpt" in r]
    return "%d/%d" % (sum(1 for x in f if x is not None and x >= 90000), len(f))


def ms(us, digits=1):
    return "–" if us is None else ("%.*f" % (digits, us / 1000.0))


class Report:
    def __init__(self, bench, counts, lazy, facts, elapsed):
        self.b, self.counts, self.lazy, self.facts, self.elapsed = bench, counts, lazy, facts, elapsed
        self.rows = bench.results

    def sel(self, tool, size, loc="disk"):
        return [r for r in self.rows if r["tool"] == tool and r["size"] == size and r["loc"] == loc]

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
        return "%.3f" % med(q) if q else "–"

    def procs(self, tool, op):
        c = self.counts.get(tool, {}).get(op)
        return "–" if c is None else "%d" % c.get("criu", 0)

    def others(self, tool, op):
        c = self.counts.get(tool, {}).get(op)
        if c is None:
            return "–"
        other = sorted((k, v) for k, v in c.items() if k not in ("criu", "runc") and v)
        return "%d: %s" % (sum(v for _, v in other), ", ".join("%s %d" % (k, v) for k, v in other)) if other else "0"

    def markdown(self):
        L = []
        f = self.facts
        L.append("# ccr benchmark: ccr, runc, the criu CLI and libcriu side by side")
        L.append("")
        L.append("Run %s on %s (kernel %s, CONFIG_HZ=%s, %s, %d CPUs), CRIU %s, runc %s, cgroup %s. "
                 "%d measured runs per cell (%d for the 0 MiB cells) after %d warm-up rounds, all cells "
                 "interleaved in one run (order shuffled each round); the whole run took %.0f s. Images on %s (%s) unless marked tmpfs. "
                 "CRIU's kernel-probe cache: %s." % (
                     f["date"], f["host"], f["kernel"], f["hz"], f["preempt"], f["cpus"], f["criu"], f["runc"],
                     f["cgroup"], self.b.a.runs, self.b.a.runs * getattr(self.b.a, "repeat0", 1), self.b.a.warmup,
                     self.elapsed, f["images_fs"], f["images_dir"],
                     f["kdat"]))
        L.append("")
        L.append("Machine state: load average %s at the start and %s at the end (1/5/15 min; other work shared "
                 "the 2 CPUs, so compare ratios within this run, not absolute times across runs). fs.pipe-max-size "
                 "%s, CAP_SYS_RESOURCE %s. Copying memory into a tmpfs file with write() ran at %s GB/s (best of 3, "
                 "start / end of the run): the ceiling for CRIU's memwrite on tmpfs here." % (
                     "/".join(f["loadavg_start"]), "/".join(f.get("loadavg_end", ["?"])), f["pipe_max_size"],
                     "present" if f["cap_sys_resource"] else "absent", " / ".join("%.2f" % g for g in f["tmpfs_ceiling_gbs"])))
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
            L.append("## %s" % title)
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
                        name = TOOL_LABEL[tool] + (" (tmpfs)" if loc == "tmpfs" else "")
                        rss = med(self.vals(rows, op, "caller_maxrss_kb"))
                        common = [name, str(size), ms(med(w)), "%s–%s" % (ms(pct(w, .1)), ms(pct(w, .9))), ms(mean(w))]
                        tail_ccr = ms(med(self.vals(rows, op, "ccr_outside_criu_time_us")), 2) if tool == "ccr" else "–"
                        if op == "ckpt":
                            gbs = [r["ckpt"]["pages_written"] * PAGE / r["ckpt"]["memwrite_time_us"] / 1000.0
                                   for r in rows if r["ckpt"].get("memwrite_time_us") and r["ckpt"].get("pages_written", 0) > 2560]
                            L.append("| " + " | ".join(common + [
                                ms(med(self.vals(rows, op, "freezing_time_us"))), freezer_waits(rows),
                                ms(med(self.vals(rows, op, "frozen_time_us"))),
                                ms(med(self.vals(rows, op, "memdump_time_us"))),
                                ms(med(self.vals(rows, op, "memwrite_time_us"))),
                                "%.2f" % med(gbs) if gbs else "–",
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
                                ms(med(d)), "%s–%s" % (ms(pct(d, .1)), ms(pct(d, .9)))]) + " |")
            L.append("")
        # ---- processes ----
        if self.counts:
            L.append("## Processes per operation (0 MiB, counted by logging wrappers first in PATH, untimed run)")
            L.append("")
            L.append("| tool | op | CRIU processes | other programs exec'd by CRIU or the tool |")
            L.append("|---|---|---:|---|")
            for tool in self.counts:
                for op, name in (("ckpt", "checkpoint"), ("rst", "restore")):
                    L.append("| %s | %s | %s | %s |" % (TOOL_LABEL.get(tool, tool.replace("ccr:", "ccr + ")), name,
                                                      self.procs(tool, op), self.others(tool, op)))
            L.append("")
        # ---- end to end ----
        L.append("## Checkpoint + restore, end to end (sum of the two walls), vs runc in the same run")
        L.append("")
        L.append("÷ = ratio of medians (and of means). *paired* = median over rounds of this tool's "
                 "ckpt+restore ÷ runc's in the same round (cells are interleaved, so a round shares the machine's "
                 "state).")
        L.append("")
        L.append("| tool | MiB | images | ckpt+restore | p10–p90 | mean | ÷ runc | paired ÷ runc | ÷ criu CLI |")
        L.append("|---|---:|---|---:|---:|---:|---:|---:|---:|")
        for loc in ("disk", "tmpfs"):
            for size in self.b.a.sizes:
                rr = self.sel("runc", size, loc)
                runc, runcm = med(self.e2e(rr)), mean(self.e2e(rr))
                cr = self.sel("criu", size, loc)
                cli, clim = med(self.e2e(cr)), mean(self.e2e(cr))
                for tool in MAIN_TOOLS:
                    rows = self.sel(tool, size, loc)
                    if not rows:
                        continue
                    e = self.e2e(rows)
                    L.append("| %s | %d | %s | %s | %s–%s | %s | %s | %s | %s |" % (
                        TOOL_LABEL[tool], size, loc, ms(med(e)), ms(pct(e, .1)), ms(pct(e, .9)), ms(mean(e)),
                        "%.3f (%.3f)" % (med(e) / runc, mean(e) / runcm) if runc else "–",
                        self.paired(rows, rr), "%.3f (%.3f)" % (med(e) / cli, mean(e) / clim) if cli else "–"))
        L.append("")
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
                    L.append("| %s | %d | %s | %s | %s | %s |" % (
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
                    delta = "%+.1f [%+.1f, %+.1f]" % ((mean(e) - mean(be)) / 1000, ci[0] / 1000, ci[1] / 1000) if ci \
                        else "%+.1f" % ((mean(e) - mean(be)) / 1000)
                L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    label, ms(med(self.vals(rows, "ckpt", "wall_us"))), ms(med(self.vals(rows, "rst", "wall_us"))),
                    ms(med(e)), ms(mean(e)), delta,
                    "%.3f; %.3f" % (med(e) / runc0, mean(e) / runc0m) if runc0 else "–",
                    freezer_waits(rows), ms(med(self.vals(rows, "ckpt", "criu_init_us")))))
            row("ccr defaults", base, first=True)
            for v, (_, label) in VARIANTS.items():
                if self.sel(v, 0):
                    row(label, self.sel(v, 0))
            if runc_rows:
                L.append("| *runc (for reference)* | %s | %s | %s | %s | | 1 | %s | %s |" % (
                    ms(med(self.vals(runc_rows, "ckpt", "wall_us"))), ms(med(self.vals(runc_rows, "rst", "wall_us"))),
                    ms(runc0), ms(runc0m), freezer_waits(runc_rows),
                    ms(med(self.vals(runc_rows, "ckpt", "criu_init_us")))))
            L.append("")
        # ---- lazy ----
        if self.lazy:
            L.append("## Lazy restore (%d MiB, ccr, pages over loopback from the dumping CRIU's page server)" % self.b.a.lazy_size)
            L.append("")
            L.append("*answers* = from the start of the restore call to the container's first reply. "
                     "*ckpt start → answer* = the whole migration until the container answers (eager: full dump "
                     "+ restore; lazy: dump without memory + restore). *all memory* = until the container has read "
                     "every page once. *transfer done* = until the dumping CRIU and `criu lazy-pages` exited.")
            L.append("")
            L.append("| mode | answers | p10–p90 | restore call | ckpt start → answer | all memory | transfer done | downtime |")
            L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
            for mode in ("eager", "lazy"):
                rs = [r for r in self.lazy if r["mode"] == mode]
                if not rs:
                    continue
                a = [r["answer_us"] for r in rs]
                L.append("| %s | %s | %s–%s | %s | %s | %s | %s | %s |" % (
                    mode, ms(med(a)), ms(pct(a, .1)), ms(pct(a, .9)), ms(med([r["restore_call_us"] for r in rs])),
                    ms(med([r["ckpt_to_answer_us"] for r in rs])), ms(med([r.get("all_memory_us") for r in rs])),
                    ms(med([r.get("transfer_done_us") for r in rs])), ms(med([r.get("downtime_us") for r in rs]))))
            L.append("")
        # ---- targets ----
        L.append("## Targets")
        L.append("")
        for t in self.targets():
            L.append("- **%s** — %s: %s" % ("met" if t[1] else "MISSED", t[0], t[2]))
        L.append("")
        if self.b.errors:
            L.append("## Errors during the run")
            L.append("")
            for e in self.b.errors:
                L.append("- " + e.replace("\n", " ")[:600])
            L.append("")
        return "\n".join(L)

    def targets(self):
        out = []
        # 1. time outside CRIU <= 3 ms
        for op, name in (("ckpt", "checkpoint"), ("rst", "restore")):
            vals = []
            for size in self.b.a.sizes:
                v = med(self.vals(self.sel("ccr", size), op, "ccr_outside_criu_time_us"))
                if v is not None:
                    vals.append((size, v))
            if vals:
                worst = max(v for _, v in vals)
                out.append(("ccr's time outside CRIU ≤ 3 ms (%s)" % name, worst <= 3000,
                            "median per size " + ", ".join("%d MiB %.2f ms" % (s, v / 1000) for s, v in vals) +
                            ("" if worst <= 3000 else "; over by %.2f ms" % ((worst - 3000) / 1000))))
        # 2. one CRIU process per op
        c = self.counts.get("ccr")
        if c:
            n1, n2 = c["ckpt"].get("criu", 0), c["rst"].get("criu", 0)
            out.append(("exactly one CRIU process per ccr checkpoint and restore", n1 == 1 and n2 == 1,
                        "counted %d for checkpoint, %d for restore (runc: %s and %s)" % (
                            n1, n2, self.counts.get("runc", {}).get("ckpt", {}).get("criu", "?"),
                            self.counts.get("runc", {}).get("rst", {}).get("criu", "?"))))
        # 3. e2e 0 MiB <= 0.85 x runc
        rr = self.sel("runc", 0)
        runc0 = med(self.e2e(rr))
        if runc0:
            for tool, label in (("ccr", "ccr defaults"), ("ccr:proposed", "ccr with the proposed defaults"),
                                ("ccr:proposed+kdat", "proposed defaults, on a host whose /run is a tmpfs"),
                                ("ccr:proposed+emptyns", "proposed + runc's empty network namespace handling")):
                rows = self.sel(tool, 0)
                if not rows:
                    continue
                e = self.e2e(rows)
                r = med(e) / runc0
                ci = boot_ci(e, self.e2e(rr), med, lambda x, y: x / y)
                out.append(("0 MiB checkpoint+restore ≤ 0.85 × runc (%s)" % label, r <= 0.85,
                            "%.3f × runc (medians %s vs %s ms; 95%% CI %s; means %.3f; paired %s)%s" % (
                                r, ms(med(e)), ms(runc0), "%.2f–%.2f" % ci if ci else "–",
                                mean(e) / mean(self.e2e(rr)), self.paired(rows, rr),
                                "" if r <= 0.85 else "; over by %.3f" % (r - 0.85))))
        # 4. memwrite >= 2 GB/s on tmpfs, 512 MiB
        big = max(self.b.a.sizes)
        for tool in ("ccr", "criu"):
            rows = self.sel(tool, big, "tmpfs")
            g = [r["ckpt"]["pages_written"] * PAGE / r["ckpt"]["memwrite_time_us"] / 1000.0
                 for r in rows if r["ckpt"].get("memwrite_time_us")]
            if g:
                ceil = max(self.facts.get("tmpfs_ceiling_gbs", [0]))
                out.append(("memwrite ≥ 2 GB/s with images on tmpfs (%d MiB, %s)" % (big, TOOL_LABEL[tool]),
                            med(g) >= 2.0, "median %.2f GB/s (p10–p90 %.2f–%.2f)%s; plain write() into tmpfs "
                            "reached %.2f GB/s on this machine in this run" % (
                                med(g), pct(g, .1), pct(g, .9), "" if med(g) >= 2 else "; short by %.2f GB/s" % (2 - med(g)),
                                ceil)))
        # 5. ccr within 5% of the CLI at the biggest size
        for loc in ("disk", "tmpfs"):
            a, b = self.sel("ccr", big, loc), self.sel("criu", big, loc)
            if a and b:
                for op, name in (("ckpt", "checkpoint"), ("rst", "restore")):
                    va, vb = self.vals(a, op, "wall_us"), self.vals(b, op, "wall_us")
                    r = med(va) / med(vb)
                    ci = boot_ci(va, vb, med, lambda x, y: x / y)
                    out.append(("%d MiB %s: ccr within 5%% of the criu CLI (images on %s)" % (big, name, loc),
                                r <= 1.05, "%.3f × CLI (medians %s vs %s ms; 95%% CI %s; means %.3f)" % (
                                    r, ms(med(va)), ms(med(vb)), "%.2f–%.2f" % ci if ci else "–",
                                    mean(va) / mean(vb))))
        # 6. lazy
        if self.lazy:
            e = med([r["answer_us"] for r in self.lazy if r["mode"] == "eager"])
            l_ = med([r["answer_us"] for r in self.lazy if r["mode"] == "lazy"])
            if e and l_:
                out.append(("lazy restore of %d MiB answers in ≤ 1/5 of the eager restore's time" % self.b.a.lazy_size,
                            l_ <= e / 5, "lazy %s ms vs eager %s ms = %.2f of eager" % (ms(l_), ms(e), l_ / e)))
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
        fig, axes = plt.subplots(1, len(sizes) + 1, figsize=(5 * len(sizes) + 7, 5.2),
                                 gridspec_kw={"width_ratios": [1] * len(sizes) + [1.6]})
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
            ax.set_xticklabels([TOOL_LABEL[t] for t in tools], rotation=20)
            ax.set_title("%d MiB (images on disk)" % size)
            ax.set_ylabel("ms (median, p10–p90 bars)")
            ax.legend(fontsize=8)
        ax = axes[-1]
        names = [n for n in ["ccr"] + list(VARIANTS) + ["runc"] if self.sel(n, 0)]
        e = [self.e2e(self.sel(n, 0)) for n in names]
        m = [med(x) / 1000 for x in e]
        lo = [mm - pct(x, .1) / 1000 for mm, x in zip(m, e)]
        hi = [pct(x, .9) / 1000 - mm for mm, x in zip(m, e)]
        ax.barh(range(len(names)), m, xerr=[lo, hi], capsize=2, error_kw={"elinewidth": 0.7},
                color=["#55A868" if n.startswith("ccr") else "#C44E52" for n in names])
        if "runc" in names:
            r = m[names.index("runc")]
            ax.axvline(r, color="#C44E52", lw=0.8, ls="--")
            ax.axvline(0.85 * r, color="black", lw=0.8, ls=":", label="0.85 × runc")
            ax.legend(fontsize=7, loc="lower right")
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels([VARIANTS[n][1] if n in VARIANTS else ("ccr defaults" if n == "ccr" else n)
                            for n in names], fontsize=6)
        ax.invert_yaxis()
        ax.set_xlabel("0 MiB checkpoint + restore, ms (median, p10–p90)")
        ax.set_title("ccr option costs vs runc (0 MiB)")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        return True


def host_facts(bench):
    def out(cmd):
        try:
            return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode().strip()
        except OSError:
            return "?"
    cfg = kernel_config(["CONFIG_HZ", "CONFIG_PREEMPT_NONE", "CONFIG_PREEMPT_VOLUNTARY", "CONFIG_PREEMPT",
                         "CONFIG_PREEMPT_DYNAMIC"])
    preempt = "PREEMPT_DYNAMIC" if cfg.get("CONFIG_PREEMPT_DYNAMIC") == "y" else (
        "PREEMPT" if cfg.get("CONFIG_PREEMPT") == "y" else ("PREEMPT_NONE" if cfg.get("CONFIG_PREEMPT_NONE") else "?"))
    try:
        with open("/sys/kernel/debug/sched/preempt") as f:
            preempt += " (%s)" % f.read().strip()
    except OSError:
        pass
    v = re.search(r"Version:\s*(\S+)", out(["criu", "--version"]))
    rv = re.search(r"runc version (\S+)", out(["runc", "--version"]))
    kdat = "present" if os.path.exists("/run/criu.kdat") else (
        "absent: /run is %s, and CRIU keeps /run/criu.kdat only on tmpfs, so every CRIU process re-probes the kernel"
        % fs_type("/run"))
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "host": platform.node(), "kernel": platform.release(),
        "hz": cfg.get("CONFIG_HZ", "?"), "preempt": preempt, "cpus": os.cpu_count(),
        "criu": v.group(1) if v else "?", "runc": rv.group(1) if rv else "?",
        "cgroup": "v1 hybrid" if bench.hier else "v2", "images_fs": fs_type(bench.base),
        "images_dir": bench.base + "/images", "kdat": kdat,
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
        "pipe_max_size": open("/proc/sys/fs/pipe-max-size").read().strip(),
        "cap_sys_resource": bool(int(re.search(r"CapEff:\s*([0-9a-f]+)", open("/proc/self/status").read()).group(1), 16) & (1 << 24)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10, help="measured runs per cell (default 10)")
    ap.add_argument("--warmup", type=int, default=2, help="warm-up rounds, not recorded (default 2)")
    ap.add_argument("--sizes", default="0,64,512", help="MiB of touched memory (default 0,64,512)")
    ap.add_argument("--variants", default=",".join(VARIANTS),
                    help="ccr option variants at 0 MiB ('' for none; default all: %s)" % ",".join(VARIANTS))
    ap.add_argument("--repeat0", type=int, default=2,
                    help="runs per round of each 0 MiB cell (tools and ccr variants; default 2, so 2 x --runs)")
    ap.add_argument("--no-tmpfs", action="store_true", help="skip the images-on-tmpfs pass for the largest size")
    ap.add_argument("--no-lazy", action="store_true", help="skip the lazy-restore pass")
    ap.add_argument("--lazy-runs", type=int, default=None, help="runs per mode in the lazy pass (default: --runs)")
    ap.add_argument("--tools", default=",".join(MAIN_TOOLS))
    ap.add_argument("--bindir", required=True, help="where run.sh put memhog, ccr_driver, libcriu_driver")
    ap.add_argument("--workdir", default="/var/tmp/ccr-bench.%d" % os.getpid())
    ap.add_argument("--out", required=True, help="results directory")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--tag", default=str(os.getpid()), help="names the cgroup parent /ccr-bench-TAG")
    a = ap.parse_args()
    a.sizes = [int(s) for s in a.sizes.split(",") if s != ""]
    a.variants = [v for v in a.variants.split(",") if v]
    for v in a.variants:
        if v not in VARIANTS:
            ap.error("unknown variant %s" % v)
    a.tools = [t for t in a.tools.split(",") if t]
    if not os.path.exists(os.path.join(a.bindir, "libcriu_driver")) and "libcriu" in a.tools:
        log("no libcriu_driver: libcriu left out")
        a.tools.remove("libcriu")
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
        # The cells of one round: every tool at every size on disk, ccr's
        # variants at 0 MiB, every tool at the largest size on tmpfs.
        cells = [(t, s, "disk", None) for s in a.sizes for t in a.tools]
        cells += [("ccr", 0, "disk", v) for v in a.variants if 0 in a.sizes and ("kdat" not in v or b.kdat_ok)]
        # The 0 MiB cells are cheap and their option effects small next to
        # the noise: run them --repeat0 times per round.
        cells += [c for c in cells if c[1] == 0] * (a.repeat0 - 1)
        if not a.no_tmpfs:
            cells += [(t, max(a.sizes), "tmpfs", None) for t in a.tools]
        rounds = a.warmup + a.runs
        for rnd in range(rounds):
            order = cells[:]
            rng.shuffle(order)
            t0 = time.monotonic()
            for tool, size, loc, var in order:
                try:
                    rec = Cycle(b, tool, size, loc, variant=var).run()
                    rec["round"] = rnd
                    if rnd >= a.warmup:
                        b.results.append(rec)
                except KeyboardInterrupt:
                    raise
                except Exception as e:  # noqa: BLE001
                    b.errors.append("round %d %s %d MiB %s: %s" % (rnd, var or tool, size, loc, e))
                    log("error:", b.errors[-1][:2000])
                reap_zombies()
            log("round %d/%d%s done in %.1f s" % (rnd + 1, rounds, " (warm-up)" if rnd < a.warmup else "",
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
                        b.errors.append("lazy round %d %s: %s" % (rnd, "lazy" if mode else "eager", e))
                        log("error:", b.errors[-1][:2000])
                    reap_zombies()
            b.restore_pipe_max()
            log("lazy pass done")
        facts["tmpfs_ceiling_gbs"].append(tmpfs_write_ceiling(b.tmpfs, max(big, 64)))
        facts["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        elapsed = time.monotonic() - t_start
        rep = Report(b, counts, lazy, facts, elapsed)
        os.makedirs(a.out, exist_ok=True)
        md = rep.markdown()
        with open(os.path.join(a.out, "latest.md"), "w") as f:
            f.write(md + "\n")
        with open(os.path.join(a.out, "latest.json"), "w") as f:
            json.dump({"facts": facts, "args": vars(a), "elapsed_s": elapsed, "counts": counts, "cycles": b.results,
                       "lazy": lazy,
                       "errors": b.errors}, f, indent=1)
        rep.chart(os.path.join(a.out, "latest.png"))
        print(md)
        return 1 if b.errors and not b.results else 0
    except KeyboardInterrupt:
        log("interrupted (%s): cleaning up" % (interrupted or "SIGINT"))
        return 130
    finally:
        b.cleanup()


if __name__ == "__main__":
    sys.exit(main())
