# SPDX-License-Identifier: Apache-2.0
"""End-to-end harness for the ccr Python binding: real runc, real CRIU.

Mirrors tests/e2e/harness.cpp: each container gets a busybox rootfs built in
the test's tmp_path, a config.json made from `runc spec` (no terminal, the
counter workload, linux.cgroupsPath "/ccr-py/<id>"), and is started with
`runc --root <dir> run -d` with pipe stdio. Cleanup thaws, kills and reaps
everything in the container's cgroups (the restored init is a child of this
process), runs `runc delete -f`, and removes the cgroup directories.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence

import pytest

import libccr as ccr

WORKLOAD = ["sh", "-c", 'i=0; while read line; do i=$((i+1)); echo "$line $i"; done']
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PARENT = "ccr-py"

_ids = itertools.count()


# --- Prerequisites ---------------------------------------------------------------------


def _criu_too_old(criu: str) -> Optional[str]:
    try:
        out = subprocess.run([criu, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return f"criu >= 4.1 (cannot run `{criu} --version`: {e})"
    m = re.search(r"Version:\s*(\d+)\.(\d+)", out)
    if not m:
        return f"criu >= 4.1 (cannot read `{criu} --version`)"
    if (int(m.group(1)), int(m.group(2))) < (4, 1):
        return f"criu >= 4.1 (found {m.group(1)}.{m.group(2)})"
    return None


def missing_prerequisites() -> List[str]:
    missing = []
    if os.geteuid() != 0:
        missing.append("root")
    criu = shutil.which("criu")
    if criu is None:
        missing.append("criu")
    else:
        old = _criu_too_old(criu)
        if old:
            missing.append(old)
    if shutil.which("runc") is None:
        missing.append("runc")
    if not os.access("/bin/busybox", os.X_OK):
        missing.append("/bin/busybox")
    return missing


_missing_cache: Optional[List[str]] = None


def require_prerequisites() -> None:
    """Skips the test when root, criu, runc or busybox is missing; fails instead
    when the environment says CI=true."""
    global _missing_cache
    if _missing_cache is None:
        _missing_cache = missing_prerequisites()
    if not _missing_cache:
        return
    what = ", ".join(_missing_cache)
    if os.environ.get("CI") == "true":
        pytest.fail(f"end-to-end prerequisites missing (CI=true): {what}")
    pytest.skip(f"needs root, criu >= 4.1, runc and /bin/busybox: missing {what}")


# --- Processes ---------------------------------------------------------------------------


def alive(pid: Optional[int]) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    rp = stat.rfind(")")
    return rp >= 0 and stat[rp + 2 : rp + 3] == "Z"


def wait_gone(pid: Optional[int], timeout: float = 10.0) -> bool:
    """True once `pid` has exited (reaping it if it is our child)."""
    if not pid or pid <= 0:
        return True
    deadline = time.monotonic() + timeout
    while True:
        try:
            r, _ = os.waitpid(pid, os.WNOHANG)
            if r == pid:
                return True
        except ChildProcessError:
            pass
        if not alive(pid):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def unused_pid() -> int:
    try:
        pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    except (OSError, ValueError):
        pid_max = 32768
    for pid in range(pid_max - 1, 1000, -1):
        if not Path(f"/proc/{pid}").exists():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return pid
    raise RuntimeError("no unused pid found")


def children_named(comm: str) -> List[int]:
    """Our live children whose command name is `comm` (e.g. CRIU)."""
    me = os.getpid()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        lp, rp = stat.find("("), stat.rfind(")")
        fields = stat[rp + 2 :].split()
        if stat[lp + 1 : rp] == comm and len(fields) > 1 and fields[0] != "Z" and int(fields[1]) == me:
            out.append(int(entry))
    return out


# --- Pipes ---------------------------------------------------------------------------------


class Pipes:
    """The container's stdin, stdout and stderr as pipes; the test keeps the
    other ends. All descriptors are non-inheritable (O_CLOEXEC)."""

    def __init__(self) -> None:
        self.c_in, self.t_in = os.pipe()
        self.t_out, self.c_out = os.pipe()
        self.t_err, self.c_err = os.pipe()
        self._buf = b""

    def container_side(self) -> tuple:
        return (self.c_in, self.c_out, self.c_err)

    def close_container_side(self) -> None:
        for name in ("c_in", "c_out", "c_err"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)

    def close(self) -> None:
        self.close_container_side()
        for name in ("t_in", "t_out", "t_err"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)

    def send_line(self, line: str) -> bool:
        data = (line + "\n").encode()
        try:
            while data:
                data = data[os.write(self.t_in, data) :]
        except OSError:
            return False
        return True

    def read_line(self, timeout: float = 10.0) -> Optional[str]:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.t_out], [], [], left)
            if not r:
                return None
            chunk = os.read(self.t_out, 4096)
            if not chunk:
                return None  # EOF: the writer is gone
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode()

    def drain_stderr(self) -> str:
        out = b""
        while self.t_err >= 0 and select.select([self.t_err], [], [], 0)[0]:
            chunk = os.read(self.t_err, 4096)
            if not chunk:
                break
            out += chunk
        return out.decode(errors="replace")


# --- Bundles -----------------------------------------------------------------------------------


def build_busybox_rootfs(rootfs: Path) -> None:
    rootfs.mkdir(mode=0o755)
    for sub in ("bin", "sbin", "proc", "sys", "dev", "tmp", "etc", "root", "run", "var", "data", "usr",
                "usr/bin"):
        (rootfs / sub).mkdir(mode=0o755)
    (rootfs / "tmp").chmod(0o1777)
    shutil.copy2("/bin/busybox", rootfs / "bin" / "busybox")
    listing = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True)
    applets = set(listing.stdout.split()) if listing.returncode == 0 else set()
    applets |= {"sh", "cat", "echo", "sleep", "ls", "true", "false"}
    for applet in sorted(applets):
        if applet != "busybox" and "/" not in applet:
            (rootfs / "bin" / applet).symlink_to("busybox")
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\n")
    (rootfs / "etc" / "hostname").write_text("ccr-py\n")


def make_config(container_id: str, args: Sequence[str], root_path: str, scratch: Path) -> dict:
    """What `runc spec` writes, edited as tests/e2e/harness.cpp does."""
    scratch.mkdir()
    subprocess.run(["runc", "spec", "--bundle", str(scratch)], check=True, capture_output=True)
    config = json.loads((scratch / "config.json").read_text())
    shutil.rmtree(scratch)
    config["process"]["terminal"] = False
    config["process"]["args"] = list(args)
    config["process"]["cwd"] = "/"
    config["process"]["env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    config["root"] = {"path": root_path, "readonly": False}
    config["hostname"] = "ccr-py"
    config["linux"]["cgroupsPath"] = f"/{CGROUP_PARENT}/{container_id}"
    config["linux"]["namespaces"] = [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")]
    return config


def cgroup_v2_host() -> bool:
    """/sys/fs/cgroup is a cgroup2 mount: a v2-only host, or the v2 view
    tests/cgroup2/view.sh makes of a hybrid one."""
    try:
        out = subprocess.run(["stat", "-f", "-c", "%T", str(CGROUP_ROOT)], capture_output=True, text=True)
    except OSError:
        return False
    return out.stdout.strip() == "cgroup2fs"


def cgroup_hierarchies() -> List[Path]:
    """Every cgroup hierarchy mounted under /sys/fs/cgroup (v1 and v2)."""
    out: List[Path] = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            mountpoint = left.split()[4]
            fstype = right.split()[0] if right else ""
            p = Path(mountpoint)
            if fstype in ("cgroup", "cgroup2") and (p == CGROUP_ROOT or CGROUP_ROOT in p.parents):
                if p not in out:
                    out.append(p)
    return out


def _dirs_post_order(top: Path) -> List[Path]:
    if not top.is_dir():
        return []
    out: List[Path] = []
    for dirpath, _dirnames, _files in os.walk(top, topdown=False):
        out.append(Path(dirpath))
    return out


def _cgroup_pids(top: Path) -> List[int]:
    pids = []
    for d in _dirs_post_order(top):
        try:
            pids += [int(x) for x in (d / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            pass
    return pids


class RuncContainer:
    """One busybox container under runc, talked to through pipes."""

    def __init__(self, base: Path, args: Sequence[str] = WORKLOAD) -> None:
        self.id = f"py-{os.getpid()}-{next(_ids)}"
        self.dir = base / self.id
        self.dir.mkdir(mode=0o700)
        self.bundle = self.dir / "bundle"
        self.bundle.mkdir(mode=0o700)
        self.rootfs = self.bundle / "rootfs"
        self.runc_root = self.dir / "runc"
        self.pid_file = self.dir / "container.pid"
        build_busybox_rootfs(self.rootfs)
        config = make_config(self.id, args, "rootfs", self.dir / "spec")
        (self.bundle / "config.json").write_text(json.dumps(config, indent=2))
        self.cgroup_path = f"/{CGROUP_PARENT}/{self.id}"
        self.pid: Optional[int] = None
        self.io: Optional[Pipes] = None
        self.adopted: List[int] = []
        self.started = False

    # -- life cycle --

    def start(self) -> None:
        pipes = Pipes()
        argv = ["runc", "--root", str(self.runc_root), "run", "-d", "--pid-file", str(self.pid_file),
                "--bundle", str(self.bundle), self.id]
        self.started = True  # from here on cleanup runs runc delete
        try:
            proc = subprocess.run(argv, stdin=pipes.c_in, stdout=pipes.c_out, stderr=pipes.c_err,
                                  close_fds=True, timeout=60)
        finally:
            pipes.close_container_side()
        if proc.returncode != 0:
            err = pipes.drain_stderr()
            pipes.close()
            raise RuntimeError(f"runc run {self.id} failed ({proc.returncode}): {err}")
        self.pid = int(self.pid_file.read_text())
        self.io = pipes

    def describe(self, **fields) -> ccr.Container:
        """The ccr description: id, current pid, bundle."""
        return ccr.Container(self.id, pid=self.pid, bundle=str(self.bundle), **fields)

    def checkpoint(self, options: ccr.Options) -> ccr.Result:
        return ccr.checkpoint(self.describe(), options)

    def restore(self, options: ccr.Options) -> ccr.Result:
        """Restores with fresh pipes; on success talks through them and owns
        (reaps) the new init."""
        pipes = Pipes()
        try:
            result = ccr.restore(self.describe(stdio=pipes.container_side()), options)
        except BaseException:
            pipes.close()
            raise
        pipes.close_container_side()
        if result.pid:
            self.adopted.append(result.pid)
            self.pid = result.pid
        if self.io:
            self.io.close()
        self.io = pipes
        return result

    def ask(self, line: str, timeout: float = 10.0) -> str:
        assert self.io is not None
        if not self.io.send_line(line):
            return ""
        return self.io.read_line(timeout) or ""

    def freezer_dir(self) -> Path:
        rel = self.cgroup_path.lstrip("/")
        if cgroup_v2_host():
            return CGROUP_ROOT / rel
        return CGROUP_ROOT / "freezer" / rel

    def move_to_cgroup(self, path: str) -> None:
        """Before start(): the container's cgroup is `path` (a pod's child)."""
        config = json.loads((self.bundle / "config.json").read_text())
        config["linux"]["cgroupsPath"] = path
        (self.bundle / "config.json").write_text(json.dumps(config, indent=2))
        self.cgroup_path = path

    def freezer_state(self) -> Optional[str]:
        """THAWED/FREEZING/FROZEN (on v2 from cgroup.freeze and cgroup.events),
        or None when the cgroup is gone."""
        try:
            if not cgroup_v2_host():
                return (self.freezer_dir() / "freezer.state").read_text().strip()
            if (self.freezer_dir() / "cgroup.freeze").read_text().strip() != "1":
                return "THAWED"
            frozen = "frozen 1" in (self.freezer_dir() / "cgroup.events").read_text()
            return "FROZEN" if frozen else "FREEZING"
        except OSError:
            return None

    def images(self, name: str = "images") -> str:
        return str(self.dir / name)

    def cleanup(self) -> None:
        hierarchies = cgroup_hierarchies()
        rel = Path(self.cgroup_path.lstrip("/"))
        # A frozen task does not die from SIGKILL until thawed.
        v2 = cgroup_v2_host()
        for d in reversed(_dirs_post_order(self.freezer_dir())):
            try:
                (d / ("cgroup.freeze" if v2 else "freezer.state")).write_text("0" if v2 else "THAWED")
            except OSError:
                pass
        for pid in self.adopted:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for _ in range(100):
            pids = [p for h in hierarchies for p in _cgroup_pids(h / rel)]
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for p in self.adopted:
                try:
                    os.waitpid(p, os.WNOHANG)
                except ChildProcessError:
                    pass
            if not pids:
                break
            time.sleep(0.05)
        for p in self.adopted:
            wait_gone(p, 5.0)  # reaps our own children
        self.adopted.clear()
        if self.started:
            for argv in (["kill", "-a", self.id, "KILL"], ["delete", "-f", self.id]):
                subprocess.run(["runc", "--root", str(self.runc_root), *argv], capture_output=True,
                               timeout=60)
            self.started = False
        for h in hierarchies:
            for d in _dirs_post_order(h / rel):
                for _ in range(50):
                    try:
                        d.rmdir()
                        break
                    except FileNotFoundError:
                        break
                    except OSError as e:
                        if e.errno != errno.EBUSY:
                            break
                        time.sleep(0.02)
            try:
                (h / CGROUP_PARENT).rmdir()  # fails while other tests use it
            except OSError:
                pass
        if self.io:
            self.io.close()
            self.io = None


# --- Fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def make_container(tmp_path: Path) -> Iterator[Callable[..., RuncContainer]]:
    """A factory of RuncContainers in tmp_path, all cleaned up afterwards."""
    require_prerequisites()
    made: List[RuncContainer] = []

    def make(args: Sequence[str] = WORKLOAD) -> RuncContainer:
        c = RuncContainer(tmp_path, args)
        made.append(c)
        return c

    try:
        yield make
    finally:
        for c in reversed(made):
            c.cleanup()


@pytest.fixture
def container(make_container) -> RuncContainer:
    """A started container whose counter has reached 1."""
    c = make_container()
    c.start()
    assert c.ask("a") == "a 1"
    return c
