# SPDX-License-Identifier: Apache-2.0
"""Checkpoint and restore of real runc containers with real CRIU, through the
Python binding. See conftest.py for the harness."""

from __future__ import annotations

import datetime
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import libccr as ccr
from conftest import Pipes, alive, require_prerequisites, run_fixture, unused_pid, wait_gone

DUMP_SCRIPTS = ["pre-dump", "network-lock", "query-ext-files", "post-dump"]
RESTORE_SCRIPTS = [
    "pre-restore",
    "setup-namespaces",
    "post-setup-namespaces",
    "post-restore",
    "network-unlock",
    "pre-resume",
    "post-resume",
]


def test_criu_queries():
    require_prerequisites()
    v = ccr.criu_version()
    assert v >= (4, 1)
    assert v.number == v.major * 10000 + v.minor * 100 + v.sublevel
    assert ccr.criu_version(criu_path=shutil.which("criu")) == v
    assert ccr.criu_version(ccr.Options(criu_path=shutil.which("criu"))) == v
    features = ccr.criu_features()
    assert features <= {"mem_track", "lazy_pages", "pidfd_store"}
    with pytest.raises((ccr.CriuStartError, ccr.NotFound)) as ei:
        ccr.criu_version(criu_path="/nonexistent/criu")
    assert "/nonexistent/criu" in str(ei.value)


def test_checkpoint_and_restore_carry_on(container):
    c = container
    pid1 = c.pid
    img1 = c.images("images-1")
    result = c.checkpoint(ccr.Options(images_dir=img1))
    assert result.pid is None
    # Whatever statistics libccr knows (it may know none yet), by Stat name;
    # restore statistics never come with a checkpoint.
    assert set(result.stats) <= {s.name.lower() for s in ccr.Stat}
    assert all(isinstance(v, int) and v >= 0 for v in result.stats.values())
    assert "pages_restored" not in result.stats
    assert wait_gone(pid1), f"runc's init {pid1} still runs after the checkpoint"
    assert os.path.exists(os.path.join(img1, "descriptors.json"))
    assert os.path.exists(os.path.join(img1, "inventory.img"))
    assert stat.S_IMODE(os.stat(img1).st_mode) == 0o700

    result = c.restore(ccr.Options(images_dir=img1))
    assert result.pid and result.pid > 0 and result.pid != pid1
    assert alive(result.pid)
    # The counter carries on through the fresh pipes.
    assert c.ask("b") == "b 2"

    # Again, from the restored init (our child).
    img2 = c.images("images-2")
    c.checkpoint(ccr.Options(images_dir=img2))
    assert wait_gone(result.pid)
    result2 = c.restore(ccr.Options(images_dir=img2))
    assert result2.pid and alive(result2.pid)
    assert c.ask("c") == "c 3"
    assert c.ask("d") == "d 4"


def test_statistics_of_checkpoint_and_restore(container):
    c = container
    img = c.images()
    dump = c.checkpoint(ccr.Options(images_dir=img)).stats
    assert dump["pages_written"] > 0, dump
    assert dump["frozen_time_us"] > 0, dump
    assert dump["wall_time_us"] >= dump["criu_time_us"] > 0, dump
    assert dump["outside_criu_time_us"] == dump["wall_time_us"] - dump["criu_time_us"], dump
    assert not {"restore_time_us", "pages_restored"} & set(dump), dump

    # The same CRIU statistics, read back from the images directory later
    # (ccr's clock is not stored there).
    on_disk = ccr.read_stats(img)
    criu_only = {k: v for k, v in dump.items()
                 if k not in ("wall_time_us", "criu_time_us", "outside_criu_time_us")}
    assert on_disk == criu_only

    restored = c.restore(ccr.Options(images_dir=img)).stats
    assert c.ask("b") == "b 2"
    assert restored["restore_time_us"] > 0, restored
    assert restored["wall_time_us"] >= restored["criu_time_us"] > 0, restored
    assert "pages_written" not in restored, restored
    # Now the directory holds stats-restore too.
    both = ccr.read_stats(img)
    assert both["pages_written"] == dump["pages_written"]
    assert both["restore_time_us"] == restored["restore_time_us"]


def test_archive_export_import_and_restore(container, tmp_path: Path):
    c = container
    img = c.images()
    c.checkpoint(ccr.Options(images_dir=img))
    archive = tmp_path / f"{c.id}.tar"
    created = datetime.datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=datetime.timezone.utc)
    image = ("docker.io/library/busybox:1.36", "docker.io/library/busybox@sha256:0123")
    meta = ccr.Options(images_dir=img, archive_container_name="web", archive_image=image,
                       archive_times=(created, None))
    ccr.export_archive(archive, c.describe(), meta)
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600

    dest = tmp_path / f"{c.id}-imported"
    ccr.import_archive(archive, dest)
    for name in ("checkpoint/inventory.img", "checkpoint/descriptors.json", "config.dump",
                 "spec.dump", "status.dump", "status", "stats-dump"):
        assert (dest / name).is_file(), name
    config = json.loads((dest / "config.dump").read_text())
    assert config["name"] == "web"
    assert config["rootfsImageName"] == "docker.io/library/busybox:1.36"
    assert config["rootfsImageRef"] == "docker.io/library/busybox@sha256:0123"
    assert config["createdTime"] == "2026-01-02T03:04:05.25Z"
    status = json.loads((dest / "status.dump").read_text())
    assert status["metadata"] == {"name": "web"} and status["created_at"] == 1767323045250000000
    with pytest.raises(ccr.InvalidArgument):
        ccr.import_archive(archive, dest)  # it exists now
    assert ccr.read_stats(dest)["pages_written"] > 0

    # The original bundle, the imported images: the counter carries on.
    result = c.restore(ccr.Options(images_dir=dest / "checkpoint"))
    assert result.pid and alive(result.pid)
    assert c.ask("b") == "b 2"


def test_notify_scripts_arrive_in_criu_order(container):
    c = container
    dump = []
    img = c.images()
    c.checkpoint(ccr.Options(images_dir=img, notify=lambda script, pid, fd: dump.append(script)))
    # CRIU 4.1.1 (swrk): query-ext-files between network-lock and post-dump;
    # no network-unlock without leave_running.
    assert dump == DUMP_SCRIPTS

    seen = []

    def record(script: str, pid: int, fd: int) -> None:
        assert isinstance(fd, int)
        seen.append((script, pid))

    result = c.restore(ccr.Options(images_dir=img, notify=record))
    assert [s for s, _ in seen] == RESTORE_SCRIPTS
    # setup-namespaces and post-restore carry the restored init's pid.
    for script, pid in seen:
        if script in ("setup-namespaces", "post-restore"):
            assert pid == result.pid, script
    assert c.ask("b") == "b 2"


@pytest.mark.parametrize("stop_at", ["pre-dump", "network-lock", "post-dump"])
def test_callback_exception_aborts_checkpoint(container, stop_at):
    c = container
    scripts = []
    raised = ValueError(f"no checkpoint at {stop_at}")

    def refuse(script: str, pid: int, fd: int) -> None:
        scripts.append(script)
        if script == stop_at:
            raise raised

    with pytest.raises(ValueError) as ei:
        c.checkpoint(ccr.Options(images_dir=c.images(), notify=refuse))
    # The very exception the callback raised, with ccr's error as its cause.
    assert ei.value is raised
    assert isinstance(ei.value.__cause__, ccr.CallbackError)
    assert ei.value.__cause__.code == ccr.ErrorCode.CALLBACK
    assert any(entry.name == "refuse" for entry in ei.traceback), "the callback's frame is kept"
    assert scripts[-1] == stop_at, scripts

    assert alive(c.pid)
    assert c.freezer_state() in ("THAWED", None)
    assert c.ask("b") == "b 2"
    # And it still checkpoints and restores afterwards.
    c.checkpoint(ccr.Options(images_dir=c.images("images-ok")))
    c.restore(ccr.Options(images_dir=c.images("images-ok")))
    assert c.ask("c") == "c 3"


def test_callback_exception_aborts_restore(container):
    c = container
    img = c.images()
    c.checkpoint(ccr.Options(images_dir=img))

    class Refused(Exception):
        pass

    def refuse(script: str, pid: int, fd: int) -> None:
        if script == "post-restore":
            raise Refused(pid)

    with pytest.raises(Refused) as ei:
        c.restore(ccr.Options(images_dir=img, notify=refuse))
    assert isinstance(ei.value.__cause__, ccr.CallbackError)
    restored_pid = ei.value.args[0]
    assert restored_pid > 0
    assert wait_gone(restored_pid), "the aborted restore left its init running"

    # Nothing is left in the way: the same images restore.
    result = c.restore(ccr.Options(images_dir=img))
    assert result.pid and alive(result.pid)
    assert c.ask("b") == "b 2"


def test_exception_raised_with_explicit_cause_keeps_it(container):
    c = container
    original = KeyError("inner")

    def refuse(script: str, pid: int, fd: int) -> None:
        try:
            raise original
        except KeyError as e:
            raise RuntimeError("outer") from e

    with pytest.raises(RuntimeError) as ei:
        c.checkpoint(ccr.Options(images_dir=c.images(), notify=refuse))
    assert ei.value.__cause__ is original
    assert c.ask("b") == "b 2"


def test_nonexistent_pid_is_not_found(container):
    c = container
    ghost = unused_pid()
    with pytest.raises(ccr.NotFound) as ei:
        ccr.checkpoint(ccr.Container(c.id, pid=ghost, bundle=str(c.bundle)),
                       ccr.Options(images_dir=c.images()))
    assert str(ghost) in str(ei.value)
    assert ei.value.code == ccr.ErrorCode.NOT_FOUND
    assert ei.value.code_name == "not-found"
    assert alive(c.pid)
    assert c.ask("b") == "b 2"


def test_invalid_arguments(container, tmp_path: Path):
    c = container
    opts = ccr.Options(images_dir=c.images())
    with pytest.raises(ccr.InvalidArgument, match="bad id"):
        ccr.checkpoint(ccr.Container("bad id", pid=c.pid, bundle=str(c.bundle)), opts)
    with pytest.raises(ccr.InvalidArgument, match="-7"):
        ccr.checkpoint(ccr.Container(c.id, pid=-7, bundle=str(c.bundle)), opts)
    with pytest.raises(ccr.InvalidArgument):  # no pid at all
        ccr.checkpoint(ccr.Container(c.id, bundle=str(c.bundle)), opts)
    with pytest.raises(ccr.InvalidArgument, match="absolute"):
        ccr.checkpoint(ccr.Container(c.id, pid=c.pid, bundle="relative/bundle"), opts)
    with pytest.raises(ccr.InvalidArgument):  # no images directory
        ccr.checkpoint(c.describe(), ccr.Options())
    with pytest.raises(ccr.InvalidArgument, match="log level"):
        ccr.Options(images_dir=c.images(), log_level=7)
    with pytest.raises(ccr.InvalidArgument, match="NUL"):
        ccr.Options(images_dir="/tmp/a\0b")
    with pytest.raises(ccr.ConfigError):
        ccr.checkpoint(c.describe(config="[1, 2]"), opts)
    # None of that touched the container.
    assert alive(c.pid)
    assert c.freezer_state() in ("THAWED", None)
    assert c.ask("b") == "b 2"


def test_cancel_from_another_thread(container):
    c = container
    canceled = threading.Event()

    def canceler() -> None:
        opts.cancel()  # noqa: F821 - bound below, before the checkpoint runs
        canceled.set()

    def at(script: str, pid: int, fd: int) -> None:
        # The container is frozen now; another thread cancels, and this
        # callback lets CRIU go on only once it has.
        if script == "network-lock":
            t = threading.Thread(target=canceler)
            t.start()
            t.join(10)
            assert canceled.is_set()

    opts = ccr.Options(images_dir=c.images(), notify=at)
    with pytest.raises(ccr.Canceled):
        c.checkpoint(opts)
    assert alive(c.pid)
    assert c.freezer_state() in ("THAWED", None)
    assert c.ask("b") == "b 2"
    # Canceled for good: the same options fail at once.
    t0 = time.monotonic()
    with pytest.raises(ccr.Canceled):
        c.checkpoint(opts)
    assert time.monotonic() - t0 < 5
    assert c.ask("c") == "c 3"


def test_cancel_from_the_callback(container):
    c = container
    opts: ccr.Options

    def at(script: str, pid: int, fd: int) -> None:
        if script == "pre-dump":
            opts.cancel()

    opts = ccr.Options(images_dir=c.images(), notify=at)
    with pytest.raises(ccr.Canceled):
        c.checkpoint(opts)
    assert alive(c.pid)
    assert c.ask("b") == "b 2"


def test_cancel_while_the_call_blocks(container, tmp_path: Path):
    """The GIL is released during the C call: a thread cancels an operation
    stuck on a CRIU that never answers."""
    c = container
    fake = tmp_path / "criu-that-hangs"
    fake.write_text("#!/bin/sh\nexec sleep 120\n")
    fake.chmod(0o755)
    opts = ccr.Options(images_dir=c.images(), criu_path=str(fake))
    timer = threading.Timer(1.0, opts.cancel)
    timer.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(ccr.Canceled):
            c.checkpoint(opts)
    finally:
        timer.cancel()
    assert 0.5 < time.monotonic() - t0 < 30
    assert alive(c.pid)
    assert c.freezer_state() in ("THAWED", None)
    assert c.ask("b") == "b 2"


def test_timeout(container, tmp_path: Path):
    c = container
    fake = tmp_path / "criu-that-hangs"
    fake.write_text("#!/bin/sh\nexec sleep 120\n")
    fake.chmod(0o755)
    t0 = time.monotonic()
    with pytest.raises(ccr.Timeout) as ei:
        c.checkpoint(ccr.Options(images_dir=c.images(), criu_path=str(fake), timeout_ms=1000))
    assert isinstance(ei.value, TimeoutError)
    assert time.monotonic() - t0 < 30
    assert alive(c.pid)
    assert c.ask("b") == "b 2"


def test_leave_running_and_restore_as_second_container(make_container):
    c = make_container()
    c.start()
    assert c.ask("a") == "a 1"
    scripts = []
    img = c.images()
    c.checkpoint(ccr.Options(images_dir=img, leave_running=True,
                             notify=lambda s, p, f: scripts.append(s)))
    assert scripts == DUMP_SCRIPTS + ["network-unlock"]
    assert alive(c.pid)
    assert c.ask("x") == "x 2"

    c2 = make_container()  # its own id, cgroup and rootfs; not started
    result = c2.restore(ccr.Options(images_dir=img))
    assert result.pid and result.pid != c.pid
    assert c2.ask("y") == "y 2"
    assert c.ask("z") == "z 3"


def test_a_dump_whose_statistics_cannot_be_read_succeeds_with_a_warning(container):
    """A stats-dump directory where CRIU's statistics go: the checkpoint
    happened, so it is a success with a warning, not an error."""
    c = container  # started, its counter at 1
    img = Path(c.images())
    img.mkdir(mode=0o700)
    (img / "stats-dump").mkdir()
    result = c.checkpoint(ccr.Options(images_dir=img, leave_running=True))
    assert len(result.warnings) == 1 and "stats-dump" in result.warnings[0]
    assert c.ask("b") == "b 2"


def test_a_host_process_is_not_a_container(make_container, tmp_path: Path):
    bundle = make_container().bundle  # a bundle only: nothing started
    sleeper = subprocess.Popen(["sleep", "1000"])
    try:
        c = ccr.Container("host-sleep", pid=sleeper.pid, bundle=bundle)
        with pytest.raises(ccr.InvalidArgument, match="pid namespace"):
            ccr.checkpoint(c, ccr.Options(images_dir=tmp_path / "img"))
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_example_migrate(container):
    """examples/migrate.py checkpoints and restores; the restored container
    takes the script's stdin and stdout, here fresh pipes."""
    c = container
    script = Path(__file__).resolve().parents[1] / "examples" / "migrate.py"
    pipes = Pipes()
    # The restored container keeps the script's stderr too: a file, not a
    # pipe that would never reach EOF.
    log = c.dir / "migrate.log"
    with open(log, "w") as err:
        proc = subprocess.run(
            [sys.executable, str(script), "--id", c.id, "--bundle", str(c.bundle), "--images",
             c.images(), "--runc-root", str(c.runc_root), "--verbose"],
            stdin=pipes.c_in, stdout=pipes.c_out, stderr=err, timeout=120,
        )
    pipes.close_container_side()
    text = log.read_text()
    assert proc.returncode == 0, text
    assert "  post-dump" in text and "  post-resume" in text, text
    c.io.close()
    c.io = pipes  # the restored init was the script's child: cleanup kills it by cgroup
    assert c.ask("b") == "b 2"


# --- ccr's own log ------------------------------------------------------------------------------


def test_log_of_checkpoint_at_debug_and_restore_at_info(container):
    c = container
    pid1 = c.pid
    img = c.images()
    dump = []
    threads = set()

    def collect(level, message):
        threads.add(threading.get_ident())
        dump.append((level, message))

    opts = ccr.Options(images_dir=img, log=collect, log_max_level=ccr.LogLevel.DEBUG)
    c.checkpoint(opts)
    assert threads == {threading.get_ident()}, "the callback runs on the calling thread"
    assert all(isinstance(level, ccr.LogLevel) and isinstance(m, str) for level, m in dump), dump
    assert all("\n" not in m for _, m in dump), dump
    text = "\n".join(f"{level.name} {m}" for level, m in dump)
    assert f"INFO checkpoint of container {c.id} (pid {pid1}) into {img}" in text, text
    for script in ("pre-dump", "network-lock", "post-dump"):
        assert f"DEBUG notification {script}" in text, text
    assert "INFO criu dump done in " in text, text
    assert ccr.LogLevel.DEBUG in {level for level, _ in dump}
    # Never after the call: the log stays as the checkpoint left it.
    n = len(dump)
    assert wait_gone(pid1)
    assert len(dump) == n

    rst = []
    result = c.restore(ccr.Options(images_dir=img, log=lambda level, m: rst.append((level, m)),
                                   log_max_level="info"))
    assert rst, "no log line from the restore"
    assert all(level <= ccr.LogLevel.INFO for level, _ in rst), rst
    assert not any(m.startswith("notification ") for _, m in rst), rst
    assert any(level == ccr.LogLevel.INFO and m.startswith(f"restored container {c.id} as pid {result.pid}")
               for level, m in rst), rst
    assert c.ask("b") == "b 2"


def test_log_to_a_logging_logger(container, caplog):
    c = container
    caplog.set_level(logging.DEBUG, logger="ccr.e2e")
    img = c.images()
    opts = ccr.Options(images_dir=img, log=ccr.log_to_logger(logging.getLogger("ccr.e2e")),
                       log_max_level="debug")
    c.checkpoint(opts)
    records = [r for r in caplog.records if r.name == "ccr.e2e"]
    assert {r.levelno for r in records} >= {logging.INFO, logging.DEBUG}, records
    msgs = [(r.levelno, r.getMessage()) for r in records]
    assert any(lv == logging.DEBUG and m.startswith("notification pre-dump") for lv, m in msgs), msgs
    assert any(lv == logging.INFO and m.startswith("criu dump done in ") for lv, m in msgs), msgs

    # The logger's own level filters too: at INFO no DEBUG record arrives.
    caplog.clear()
    caplog.set_level(logging.INFO, logger="ccr.e2e")
    result = c.restore(ccr.Options(images_dir=img, log=ccr.log_to_logger("ccr.e2e"),
                                   log_max_level=ccr.LogLevel.DEBUG))
    records = [r for r in caplog.records if r.name == "ccr.e2e"]
    assert records and all(r.levelno >= logging.INFO for r in records), records
    assert any(r.getMessage().startswith(f"restored container {c.id} as pid {result.pid}")
               for r in records), records
    assert c.ask("b") == "b 2"


def test_log_callback_exception_is_raised_after_the_checkpoint(container):
    c = container
    pid1 = c.pid
    img = c.images()
    calls = []
    raised = ValueError("log sink broken")

    def broken(level, message):
        calls.append(message)
        raise raised

    with pytest.raises(ValueError) as ei:
        c.checkpoint(ccr.Options(images_dir=img, log=broken, log_max_level="debug"))
    # The very exception, once, with the callback's frame; the log cannot
    # stop the checkpoint, which ran to its end.
    assert ei.value is raised
    assert len(calls) == 1, calls
    assert any(entry.name == "broken" for entry in ei.traceback), "the callback's frame is kept"
    assert ei.value.__cause__ is None and ei.value.__context__ is None
    done = ei.value.ccr_result
    assert isinstance(done, ccr.Result) and done.pid is None
    assert done.stats["pages_written"] > 0, done.stats
    assert wait_gone(pid1)
    assert os.path.exists(os.path.join(img, "inventory.img"))

    # The images are good, and the exception is not raised again by the
    # next operation.
    result = c.restore(ccr.Options(images_dir=img))
    assert result.pid and alive(result.pid)
    assert c.ask("b") == "b 2"


def test_log_callback_exception_is_raised_after_the_restore(container):
    c = container
    img = c.images()
    c.checkpoint(ccr.Options(images_dir=img))

    class Broken(Exception):
        pass

    def broken(level, message):
        if message.startswith("restored container"):
            raise Broken(message)

    pipes = Pipes()
    try:
        with pytest.raises(Broken) as ei:
            ccr.restore(c.describe(stdio=pipes.container_side()),
                        ccr.Options(images_dir=img, log=broken))
    except BaseException:
        pipes.close()
        raise
    pipes.close_container_side()
    # The restore itself succeeded: its result comes with the exception.
    pid = ei.value.ccr_result.pid
    assert pid and pid > 0
    c.adopted.append(pid)  # a child of this process: cleanup reaps it
    c.pid = pid
    assert str(pid) in str(ei.value)
    assert alive(pid)
    c.io.close()
    c.io = pipes
    assert c.ask("b") == "b 2"


def test_log_callback_exception_with_a_failed_operation(container):
    c = container
    ghost = unused_pid()

    def broken(level, message):
        raise KeyError(message)

    with pytest.raises(KeyError) as ei:
        ccr.checkpoint(ccr.Container(c.id, pid=ghost, bundle=str(c.bundle)),
                       ccr.Options(images_dir=c.images(), log=broken))
    # The operation's own failure is chained, not lost.
    assert isinstance(ei.value.__context__, ccr.NotFound)
    assert str(ghost) in str(ei.value.__context__)
    assert not hasattr(ei.value, "ccr_result")

    # With a notify callback that aborts the checkpoint too, the notify
    # exception wins and carries the log's.
    def refuse(script, pid, fd):
        if script == "pre-dump":
            raise ValueError("no")

    with pytest.raises(ValueError) as ei2:
        c.checkpoint(ccr.Options(images_dir=c.images("images-2"), notify=refuse, log=broken))
    assert isinstance(ei2.value.__cause__, ccr.CallbackError)
    assert isinstance(ei2.value.__context__, KeyError)
    assert alive(c.pid)
    assert c.ask("b") == "b 2"


def test_pod_checkpoint_and_restore(make_container, tmp_path):
    """Two containers below one pod cgroup: a leave-running pod checkpoint
    (both go on), one that stops the pod, its archive exported and imported,
    and a pod restore from the import: both counters carry on."""
    parent = f"/ccr-py-pod-{os.getpid()}"
    pod = [make_container(), make_container()]
    try:
        for c in pod:
            c.move_to_cgroup(f"{parent}/{c.id}")
            c.start()
            assert c.ask("a") == "a 1"
        described = [c.describe() for c in pod]
        running = ccr.Options(leave_running=True)
        result = ccr.pod_checkpoint("py-pod", parent, described, tmp_path / "running", running)
        assert [cid for cid, _ in result.containers] == [c.id for c in pod]
        assert result.frozen_time_us and result.frozen_time_us > 0
        for c in pod:
            assert c.ask("b") == "b 2"

        olds = [c.pid for c in pod]
        ccr.pod_checkpoint("py-pod", parent, [c.describe() for c in pod], tmp_path / "stopped", ccr.Options())
        for pid in olds:
            assert wait_gone(pid)
        pipes = {c.id: Pipes() for c in pod}
        described = [
            ccr.Container(c.id, bundle=str(c.bundle), stdio=pipes[c.id].container_side()) for c in pod
        ]
        # The pod travels as one archive.
        ccr.export_pod_archive(tmp_path / "pod.tar", tmp_path / "stopped")
        ccr.import_pod_archive(tmp_path / "pod.tar", tmp_path / "imported")
        result = ccr.pod_restore("py-pod", parent, described, tmp_path / "imported", ccr.Options())
        for cid, r in result.containers:
            c = next(c for c in pod if c.id == cid)
            assert r.pid and alive(r.pid)
            c.adopted.append(r.pid)
            c.pid = r.pid
            pipes[cid].close_container_side()
            c.io.close()
            c.io = pipes[cid]
        for c in pod:
            assert c.ask("c") == "c 3"
    finally:
        for c in reversed(pod):
            c.cleanup()
        run_fixture("clean_cgroups.py", parent)
