# SPDX-License-Identifier: Apache-2.0
"""End-to-end harness for the ccr Python binding: real runc, real CRIU.

Each container's bundle (busybox rootfs, config.json from `runc spec`) is made
in the test's tmp_path by tests/fixture/make_bundle.py, the recipe every
harness shares (the counter workload, linux.cgroupsPath "/ccr-py/<id>"); it is
started with `runc --root <dir> run -d` with pipe stdio. Cleanup has
tests/fixture/clean_cgroups.py thaw and kill everything in the container's
cgroups, run `runc delete -f` and remove the cgroup directories, and reaps the
restored init (a child of this process).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence

import pytest

import libccr as ccr

WORKLOAD = ["sh", "-c", 'i=0; while read line; do i=$((i+1)); echo "$line $i"; done']
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PARENT = "ccr-py"
FIXTURE = Path(__file__).resolve().parents[3] / "tests" / "fixture"

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


def run_fixture(script: str, *args: str) -> None:
    """Runs tests/fixture/<script>; raises with its output when it fails."""
    proc = subprocess.run([sys.executable, str(FIXTURE / script), *args], capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"tests/fixture/{script} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")


def cgroup_v2_host() -> bool:
    """/sys/fs/cgroup is a cgroup2 mount: a v2-only host, or the v2 view
    tests/cgroup2/view.sh makes of a hybrid one."""
    try:
        out = subprocess.run(["stat", "-f", "-c", "%T", str(CGROUP_ROOT)], capture_output=True, text=True)
    except OSError:
        return False
    return out.stdout.strip() == "cgroup2fs"


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
        self.cgroup_path = f"/{CGROUP_PARENT}/{self.id}"
        run_fixture("make_bundle.py", "bundle", str(self.bundle), "--cgroups-path", self.cgroup_path,
                    "--", *args)
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
        # clean_cgroups.py leaves our own children (restored inits) for us
        # to reap.
        for pid in self.adopted:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        runc_args = ["--runc-root", str(self.runc_root), "--id", self.id] if self.started else []
        try:
            run_fixture("clean_cgroups.py", *runc_args, self.cgroup_path)
        except (OSError, RuntimeError, subprocess.SubprocessError) as e:
            warnings.warn(f"cleanup of {self.id}: {e}", stacklevel=2)
        self.started = False
        for p in self.adopted:
            wait_gone(p, 5.0)  # reaps our own children
        self.adopted.clear()
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
