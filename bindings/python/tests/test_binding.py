# SPDX-License-Identifier: Apache-2.0
"""The binding itself: loading libccr, the prototype table, conversions and
error mapping. No root, CRIU or runc needed."""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime
import inspect
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import libccr as ccr
from libccr import _ffi, errors

HEADER = Path(__file__).resolve().parents[3] / "include" / "ccr" / "ccr.h"


def header_functions() -> set:
    if not HEADER.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{HEADER} not found (CI=true)")
        pytest.skip(f"{HEADER} not found (the tests run from the ccr source tree)")
    text = re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)
    return set(re.findall(r"CCR_EXTERN\s+[^;(]*?\b(ccr_\w+)\s*\(", text))


# --- The table ------------------------------------------------------------------------------


def test_table_covers_every_function_of_the_header():
    in_header = header_functions()
    in_table = {name for name, _, _ in _ffi.PROTOTYPES}
    assert in_header - in_table == set(), "functions of ccr.h missing from _ffi.PROTOTYPES"
    assert in_table - in_header == set(), "functions in _ffi.PROTOTYPES that ccr.h lacks"
    assert len(in_table) == len(_ffi.PROTOTYPES), "a function appears twice in the table"


def test_every_options_setter_has_a_keyword():
    in_header = {n for n in header_functions() if re.match(r"ccr_options_(set|add)_", n)}
    by_keyword = {cname for cname, _ in ccr._SETTERS.values()}
    assert in_header - by_keyword == {"ccr_options_set_notify", "ccr_options_set_log"}
    assert by_keyword - in_header == set()
    params = set(inspect.signature(ccr.Options).parameters)
    assert params == set(ccr._SETTERS) | {"notify", "log", "log_max_level"}
    # Every keyword is documented in the class docstring.
    doc = ccr.Options.__doc__ or ""
    for name in params:
        assert f"    {name}:" in doc, f"Options keyword {name} is not documented"


def header_enum(name: str) -> dict:
    text = re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)
    m = re.search(r"typedef enum " + name + r" \{(.*?)\}", text, flags=re.S)
    assert m, f"enum {name} not in ccr.h"
    out = {}
    for entry in m.group(1).split(","):
        if "=" in entry:
            key, value = entry.split("=")
            out[key.strip()] = eval(value.strip().replace("u <<", " <<"))  # "1u << 2"
    return out


@pytest.mark.parametrize(
    "cname, prefix, enum_cls",
    [
        ("ccr_error_code", "CCR_ERR_", ccr.ErrorCode),
        ("ccr_cgroup_mode", "CCR_CGROUP_", ccr.CgroupMode),
        ("ccr_pre_dump_mode", "CCR_PRE_DUMP_", ccr.PreDumpMode),
        ("ccr_network_lock", "CCR_NETWORK_LOCK_", ccr.NetworkLock),
        ("ccr_feature", "CCR_FEATURE_", ccr.Feature),
        ("ccr_stat", "CCR_STAT_", ccr.Stat),
        ("ccr_log_level", "CCR_LOG_", ccr.LogLevel),
    ],
)
def test_enums_match_the_header(cname, prefix, enum_cls):
    header_functions()  # skips without the header
    in_header = {k[len(prefix):] if k.startswith(prefix) else k[len("CCR_"):]: v
                 for k, v in header_enum(cname).items()}
    in_binding = {m.name: int(m.value) for m in enum_cls}
    assert in_binding == in_header


def test_prototypes_are_applied():
    assert _ffi.lib.ccr_options_cancel.argtypes == [_ffi.OptionsP]
    assert _ffi.lib.ccr_options_cancel.restype is _ffi.ErrorP
    assert _ffi.lib.ccr_version.restype is ctypes.c_uint


def test_library_version():
    assert ccr.library_version() == "%d.%d.%d" % _ffi._version_tuple(_ffi.lib.ccr_version())
    assert tuple(int(x) for x in ccr.library_version().split(".")) >= _ffi.REQUIRED_VERSION
    assert os.path.exists(ccr.library_path)


def test_host_cgroups_matches_the_file_systems():
    # Independent of libccr: the file system types at /sys/fs/cgroup (the v2
    # pass runs in tests/cgroup2/view.sh, where it is cgroup2 itself).
    layout, freezer = ccr.host_cgroups()
    fstype = subprocess.run(
        ["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if fstype == "cgroup2fs":
        assert (layout, freezer) == (ccr.CgroupLayout.V2, ccr.FreezerKind.V2)
    else:
        assert layout in (ccr.CgroupLayout.V1, ccr.CgroupLayout.HYBRID)
        expected = ccr.FreezerKind.V1 if os.path.isdir("/sys/fs/cgroup/freezer") else ccr.FreezerKind.NONE
        assert freezer == expected


# --- Loading ----------------------------------------------------------------------------------


def _stub(tmp_path: Path, version: int, names=("ccr_version",)) -> str:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build a stub library")
    body = [f"unsigned ccr_version(void) {{ return {version}; }}"]
    body += [f"void {n}(void) {{}}" for n in names if n != "ccr_version"]
    src = tmp_path / "stub.c"
    src.write_text("\n".join(body) + "\n")
    lib = tmp_path / "libccr-stub.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return str(lib)


def test_library_older_than_the_binding_names_what_is_missing(tmp_path: Path):
    # Version 0.1.0, but with only ccr_version: everything else is missing.
    path = _stub(tmp_path, 100)
    with pytest.raises(ccr.LibraryTooOld) as ei:
        _ffi.load(path)
    msg = str(ei.value)
    assert msg.startswith(f"libccr 0.1.0 at {path} is older than this binding needs (0.1.0): missing ")
    assert "ccr_options_cancel" in msg
    assert "ccr_version," not in msg
    assert isinstance(ei.value, ImportError)


def test_library_with_one_function_missing(tmp_path: Path):
    names = [n for n, _, _ in _ffi.PROTOTYPES if n != "ccr_options_cancel"]
    path = _stub(tmp_path, 100, names)
    with pytest.raises(ccr.LibraryTooOld) as ei:
        _ffi.load(path)
    assert str(ei.value).startswith(
        f"libccr 0.1.0 at {path} is older than this binding needs (0.1.0): missing ccr_options_cancel."
    )


def test_library_of_an_older_version(tmp_path: Path):
    names = [n for n, _, _ in _ffi.PROTOTYPES]
    path = _stub(tmp_path, 9, names)  # 0.0.9
    with pytest.raises(ccr.LibraryTooOld, match=r"libccr 0\.0\.9 at .* is older than this binding needs "
                                                  r"\(0\.1\.0\): version 0\.0\.9 < 0\.1\.0"):
        _ffi.load(path)


def test_library_of_another_major_version(tmp_path: Path):
    names = [n for n, _, _ in _ffi.PROTOTYPES]
    path = _stub(tmp_path, 10000, names)  # 1.0.0
    with pytest.raises(ccr.LibraryTooOld, match="not compatible"):
        _ffi.load(path)


def test_not_a_libccr_at_all():
    libc = ctypes.util.find_library("c")
    if libc is None:
        pytest.skip("no libc found")
    with pytest.raises(ccr.LibraryTooOld, match="of unknown version.*missing ccr_version"):
        _ffi.load(libc)


def _import_in_child(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import libccr"], env=env, capture_output=True, text=True, timeout=60
    )


def test_bad_ccr_library_path_is_reported(tmp_path: Path):
    env = dict(os.environ, CCR_LIBRARY=str(tmp_path / "nope.so"))
    proc = _import_in_child(env)
    assert proc.returncode != 0
    assert "LibraryNotFound" in proc.stderr
    assert f"CCR_LIBRARY={tmp_path / 'nope.so'}" in proc.stderr


def test_pkg_config_is_used(tmp_path: Path):
    libdir = os.path.dirname(ccr.library_path)
    pc_dir = tmp_path / "pc"
    pc_dir.mkdir()
    (pc_dir / "ccr.pc").write_text(
        f"libdir={libdir}\n\nName: ccr\nDescription: test\nVersion: 0.1.0\nLibs: -L${{libdir}} -lccr\n"
    )
    if shutil.which("pkg-config") is None:
        pytest.skip("pkg-config not installed")
    env = {k: v for k, v in os.environ.items() if k != "CCR_LIBRARY"}
    env["PKG_CONFIG_PATH"] = str(pc_dir)
    env.pop("LD_LIBRARY_PATH", None)
    proc = subprocess.run(
        [sys.executable, "-c", "import libccr; print(libccr.library_path)"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert os.path.realpath(proc.stdout.strip()) == os.path.realpath(os.path.join(libdir, "libccr.so.0"))


def test_no_library_found_names_the_three_ways(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("CCR_LIBRARY", "LD_LIBRARY_PATH")}
    env["PKG_CONFIG_PATH"] = str(tmp_path)  # an empty directory: no ccr.pc
    env["PKG_CONFIG_LIBDIR"] = str(tmp_path)
    probe = subprocess.run(
        [sys.executable, "-c", "import ctypes; ctypes.CDLL('libccr.so.0')"], env=env, capture_output=True
    )
    if probe.returncode == 0:
        pytest.skip("libccr.so.0 is installed where the dynamic loader finds it")
    proc = _import_in_child(env)
    assert proc.returncode != 0
    assert "LibraryNotFound: cannot find libccr" in proc.stderr
    for way in ("CCR_LIBRARY", "pkg-config", "dynamic loader"):
        assert way in proc.stderr


# --- Errors ------------------------------------------------------------------------------------


def test_every_code_has_its_class_and_name():
    for code in ccr.ErrorCode:
        if code == ccr.ErrorCode.OK:
            continue
        cls = ccr.ERROR_CLASSES[code]
        assert issubclass(cls, ccr.CcrError)
        # The binding's default names agree with libccr's.
        assert errors._default_code_name(code) == _ffi.text(_ffi.lib.ccr_error_code_name(code))
    assert len(set(ccr.ERROR_CLASSES.values())) == len(ccr.ErrorCode) - 1
    assert _ffi.text(_ffi.lib.ccr_error_code_name(999)) == "unknown"
    assert errors.error_class(999) is ccr.CcrError


def test_error_from_libccr_carries_its_fields():
    with pytest.raises(ccr.InvalidArgument) as ei:
        ccr.Options(log_level=9)
    e = ei.value
    assert e.code == ccr.ErrorCode.INVALID_ARGUMENT
    assert e.code_name == "invalid-argument"
    assert e.errno == 0 and e.criu_errno == 0
    assert e.criu_message is None and e.log_path is None and e.log_excerpt is None
    assert str(e) == e.message == "log level 9 is outside 0..4"
    assert isinstance(e, ValueError)
    assert "invalid-argument (1)" in e.describe()


def test_builtin_bases():
    assert issubclass(ccr.InvalidArgument, ValueError)
    assert issubclass(ccr.NoMemory, MemoryError)
    assert issubclass(ccr.CcrOSError, OSError)
    assert issubclass(ccr.Timeout, TimeoutError)
    e = ccr.CcrOSError("open /x failed", errno=2)
    assert str(e) == "open /x failed" and e.errno == 2 and e.code == ccr.ErrorCode.SYSTEM


# --- Conversions ---------------------------------------------------------------------------------


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError):
        ccr.Options(images_dir=42)
    with pytest.raises(TypeError):
        ccr.Options(log_level="4")
    with pytest.raises(TypeError):
        ccr.Options(skip_mounts="/proc")  # a list, not one string
    with pytest.raises(TypeError):
        ccr.Options(notify="not callable")
    with pytest.raises(TypeError):
        ccr.Options(no_such_option=True)


def test_out_of_range_values_are_invalid_arguments():
    with pytest.raises(ccr.InvalidArgument):
        ccr.Options(timeout_ms=-1)
    with pytest.raises(ccr.InvalidArgument):
        ccr.Options(ghost_limit=2**32)
    with pytest.raises(ccr.InvalidArgument):
        ccr.Options(cgroup_mode="bogus")
    with pytest.raises(ccr.InvalidArgument, match="NUL"):
        ccr.Options(criu_path="cr\0iu")
    with pytest.raises(ccr.InvalidArgument, match="empty namespaces"):
        ccr.Options(empty_ns=1)


def test_many_options_are_accepted(tmp_path: Path):
    r, w = os.pipe()
    try:
        with ccr.Options(
            images_dir=tmp_path / "img",
            work_dir=str(tmp_path),
            parent_path="../parent",
            leave_running=True,
            cgroup_mode=ccr.CgroupMode.SOFT,
            network_lock="skip",
            pre_dump_mode="read",
            empty_ns=ccr.CLONE_NEWNET,
            timeout_ms=5000,
            page_server=("127.0.0.1", 1234),
            tls=ccr.TLS(cacert="/etc/ca.pem"),
            ext_mounts={"/data": "data"},
            veth_pairs=[("eth0", "veth0")],
            skip_mounts=["/proc/acpi"],
            inherit_fds={"pipe:[1]": r},
            join_ns=[("ipc", "/proc/1/ns/ipc")],
            cgroup_roots={None: "/ccr", "memory": "/mem"},
            unix_sk_inodes=[1, 2],
            exec_cmd=["true"],
        ) as o:
            assert "leave_running=True" in repr(o)
            o.cancel()
        with pytest.raises(ValueError, match="closed"):
            o.cancel()
    finally:
        os.close(r)
        os.close(w)


def test_log_options():
    def cb(level, message):
        pass

    o = ccr.Options(log=cb)
    assert o.log is cb and o.log_max_level is ccr.LogLevel.INFO
    assert o._log_trampoline is not None  # the ctypes callback object is kept
    o.close()
    assert o._log_trampoline is None
    for level, want in ((ccr.LogLevel.DEBUG, 4), ("warning", 2), ("ERROR", 1), (3, 3)):
        with ccr.Options(log=cb, log_max_level=level) as o:
            assert o.log_max_level == want and isinstance(o.log_max_level, ccr.LogLevel)
    assert ccr.Options().log is None and ccr.Options().log_max_level is None


def test_invalid_log_level_is_refused():
    # Out of range: refused by libccr itself.
    for level in (0, 5, 9, logging.DEBUG):
        with pytest.raises(ccr.InvalidArgument, match=f"log level {level} is not one of") as ei:
            ccr.Options(log=print, log_max_level=level)
        assert ei.value.code == ccr.ErrorCode.INVALID_ARGUMENT
        assert isinstance(ei.value, ValueError)
    with pytest.raises(ccr.InvalidArgument, match="not one of error, warning, info, debug"):
        ccr.Options(log=print, log_max_level="verbose")
    with pytest.raises(ccr.InvalidArgument, match="needs a log callback"):
        ccr.Options(log_max_level=ccr.LogLevel.DEBUG)
    with pytest.raises(TypeError):
        ccr.Options(log="not callable")
    with pytest.raises(TypeError):
        ccr.Options(log=print, log_max_level=True)


def test_log_to_logger_maps_the_levels(caplog):
    caplog.set_level(logging.DEBUG, logger="ccr.unit")
    forward = ccr.log_to_logger("ccr.unit")
    for level in ccr.LogLevel:
        forward(level, f"line at {level.name} 100%s")
    got = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert got == [
        ("ccr.unit", logging.ERROR, "line at ERROR 100%s"),
        ("ccr.unit", logging.WARNING, "line at WARNING 100%s"),
        ("ccr.unit", logging.INFO, "line at INFO 100%s"),
        ("ccr.unit", logging.DEBUG, "line at DEBUG 100%s"),
    ]
    assert ccr.LOGGING_LEVELS[ccr.LogLevel.WARNING] == logging.WARNING
    # The default logger is "ccr"; a Logger object works as well.
    caplog.clear()
    caplog.set_level(logging.INFO, logger="ccr")
    ccr.log_to_logger()(ccr.LogLevel.INFO, "to ccr")
    ccr.log_to_logger(logging.getLogger("ccr"))(ccr.LogLevel.DEBUG, "filtered by the logger")
    assert [(r.name, r.getMessage()) for r in caplog.records] == [("ccr", "to ccr")]
    with pytest.raises(TypeError):
        ccr.log_to_logger(42)  # type: ignore[arg-type]


def test_container_needs_a_valid_id():
    with pytest.raises(ccr.InvalidArgument, match="not valid"):
        ccr.Container("a/b")._build()
    with pytest.raises(ccr.InvalidArgument):
        ccr.Container("ok", pid=2**31)._build()
    with pytest.raises(TypeError):
        ccr.Container("ok", stdio=(0, 1))._build()
    with ccr.Container("ok", pid=1, config={"ociVersion": "1.0.2"}, cgroup_paths="/x",
                       stdio=(None, sys.stdout, 2))._build():
        pass


# --- Statistics and archives (no CRIU needed) ------------------------------------------------------


def test_read_stats_of_a_directory_without_statistics(tmp_path: Path):
    with pytest.raises(ccr.NotFound):
        ccr.read_stats(tmp_path)
    with pytest.raises(ccr.NotFound):
        ccr.read_stats(tmp_path / "missing")
    (tmp_path / "stats-dump").write_bytes(b"\xff\xff\xff\xff garbage")
    with pytest.raises(ccr.ImageError):
        ccr.read_stats(tmp_path)
    with pytest.raises(TypeError):
        ccr.read_stats(42)  # type: ignore[arg-type]
    with pytest.raises(ccr.InvalidArgument, match="NUL"):
        ccr.read_stats("a\0b")


def test_import_archive_errors(tmp_path: Path):
    with pytest.raises(ccr.NotFound):
        ccr.import_archive(tmp_path / "missing.tar", tmp_path / "dest")
    bogus = tmp_path / "bogus.tar"
    bogus.write_bytes(b"this is not a tar archive" * 40)
    with pytest.raises(ccr.ImageError):
        ccr.import_archive(bogus, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()
    with pytest.raises(ccr.InvalidArgument):
        ccr.import_archive("", tmp_path / "dest")


def test_import_archive_refuses_a_fifo_and_takes_options(tmp_path: Path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ccr.InvalidArgument, match="is a fifo, not a regular file"):
        ccr.import_archive(fifo, tmp_path / "dest")  # refused at once, not waited on
    bogus = tmp_path / "bogus.tar"
    bogus.write_bytes(b"not a tar" * 100)
    canceled = ccr.Options(import_limits=(10, 1 << 20, 5))
    canceled.cancel()
    with pytest.raises(ccr.Canceled):
        ccr.import_archive(bogus, tmp_path / "dest", canceled)
    assert not (tmp_path / "dest").exists()
    with pytest.raises(TypeError):
        ccr.Options(import_limits=(1, 2))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ccr.import_archive(bogus, tmp_path / "dest", "fast")  # type: ignore[arg-type]


def test_export_archive_errors(tmp_path: Path):
    c = ccr.Container("ok", config={"ociVersion": "1.0.2"})
    with pytest.raises(ccr.InvalidArgument):  # no images directory
        ccr.export_archive(tmp_path / "a.tar", c, ccr.Options())
    with pytest.raises((ccr.NotFound, ccr.ImageError)):
        ccr.export_archive(tmp_path / "a.tar", c, ccr.Options(images_dir=tmp_path / "none"))
    assert not (tmp_path / "a.tar").exists()
    with pytest.raises(TypeError):
        ccr.export_archive(tmp_path / "a.tar", "ok", ccr.Options())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ccr.export_archive(tmp_path / "a.tar", c, None)  # type: ignore[arg-type]


def test_archive_metadata_keywords_check_their_values():
    with pytest.raises(ccr.InvalidArgument):
        ccr.Options(archive_engine="podman")
    with pytest.raises(TypeError):
        ccr.Options(archive_image="busybox")
    with pytest.raises(TypeError):
        ccr.Options(archive_times=(datetime.datetime(2026, 1, 1), None))  # naive: which zone?
    early = datetime.datetime(1969, 12, 31, tzinfo=datetime.timezone.utc)
    with pytest.raises(ccr.InvalidArgument):
        ccr.Options(archive_times=(early, None))
    late, later = (datetime.datetime(2026, 1, d, tzinfo=datetime.timezone.utc) for d in (2, 1))
    with pytest.raises(ccr.InvalidArgument):
        ccr.Options(archive_times=(late, later))  # created after checkpointed
    ccr.Options(archive_engine="cri-o", archive_container_name="web", archive_image=("busybox", ""),
                archive_times=(later, late)).close()
