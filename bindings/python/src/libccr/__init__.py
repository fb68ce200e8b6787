# SPDX-License-Identifier: Apache-2.0
"""Checkpoint and restore runc containers with CRIU, through libccr.

    import libccr as ccr

    c = ccr.Container("web1", pid=4242, bundle="/run/bundles/web1")
    ccr.checkpoint(c, ccr.Options(images_dir="/var/lib/ckpt/web1"))
    r = ccr.restore(c, ccr.Options(images_dir="/var/lib/ckpt/web1"))
    print(r.pid)

:class:`Container` describes a container (a plain dataclass, turned into a
``ccr_container`` for each call); :class:`Options` says how an operation runs
(it owns a ``ccr_options`` handle, so it can be canceled from another thread);
:func:`checkpoint` and :func:`restore` run one CRIU each; :func:`read_stats`
reads CRIU's statistics back from a directory; :func:`export_archive` and
:func:`import_archive` write and unpack Kubernetes-style checkpoint archives.
Failures raise a
:class:`CcrError` subclass chosen by the error code (see :mod:`ccr.errors`);
an exception raised by a ``notify`` callback aborts the operation and is
re-raised, as the same object, with the :class:`CallbackError` as its
``__cause__``. ccr's own log reaches a ``log`` callback of :class:`Options`
(:func:`log_to_logger` makes one for a :class:`logging.Logger`); an exception
raised there is re-raised once the operation has returned.
"""

from __future__ import annotations

import ctypes
import datetime
import enum
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

from . import _ffi
from .errors import (
    ERROR_CLASSES,
    CallbackError,
    Canceled,
    CcrError,
    CcrOSError,
    ConfigError,
    CriuDied,
    CriuFailed,
    CriuStartError,
    ErrorCode,
    ImageError,
    InternalError,
    InvalidArgument,
    LibraryError,
    LibraryNotFound,
    LibraryTooOld,
    NoMemory,
    NotFound,
    ProtocolError,
    Timeout,
    UnsafePath,
    Unsupported,
)

__version__ = "0.1.0"

__all__ = [
    "Container",
    "Options",
    "TLS",
    "Result",
    "CriuVersion",
    "CgroupMode",
    "PreDumpMode",
    "NetworkLock",
    "Feature",
    "Stat",
    "LogLevel",
    "NotifyCallback",
    "LogCallback",
    "log_to_logger",
    "LOGGING_LEVELS",
    "checkpoint",
    "restore",
    "PodResult",
    "pod_checkpoint",
    "pod_restore",
    "criu_version",
    "criu_features",
    "CgroupLayout",
    "FreezerKind",
    "host_cgroups",
    "read_stats",
    "export_archive",
    "import_archive",
    "library_version",
    "library_path",
    "CLONE_NEWNET",
    # errors
    "ErrorCode",
    "ERROR_CLASSES",
    "CcrError",
    "InvalidArgument",
    "NoMemory",
    "CcrOSError",
    "NotFound",
    "ConfigError",
    "UnsafePath",
    "CriuStartError",
    "CriuFailed",
    "CriuDied",
    "ProtocolError",
    "Unsupported",
    "CallbackError",
    "Timeout",
    "Canceled",
    "ImageError",
    "InternalError",
    "LibraryError",
    "LibraryNotFound",
    "LibraryTooOld",
]

_lib = _ffi.lib

#: Where the libccr in use was loaded from.
library_path: str = _ffi.library_path

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
#: ``notify(script, pid, fd)``: called for every notification CRIU sends.
NotifyCallback = Callable[[str, int, int], None]

#: The one flag :class:`Options` ``empty_ns`` accepts today.
CLONE_NEWNET = 0x40000000


def library_version() -> str:
    """The version of the libccr in use, "MAJOR.MINOR.PATCH"."""
    return _ffi.text(_lib.ccr_version_string()) or ""


# --- Enums ------------------------------------------------------------------------


class CgroupMode(enum.IntEnum):
    """How CRIU handles cgroups (``ccr_cgroup_mode``)."""

    DEFAULT = 0
    SOFT = 1
    FULL = 2
    STRICT = 3
    IGNORE = 4
    NONE = 5
    PROPS = 6


class PreDumpMode(enum.IntEnum):
    """How a pre-dump reads memory (``ccr_pre_dump_mode``)."""

    SPLICE = 1
    READ = 2


class NetworkLock(enum.IntEnum):
    """How CRIU locks the network while it works (``ccr_network_lock``)."""

    DEFAULT = 0
    IPTABLES = 1
    NFTABLES = 2
    SKIP = 3


class Stat(enum.IntEnum):
    """Statistics of an operation (``ccr_stat``); times are microseconds."""

    # checkpoint and pre-dump (CRIU's stats-dump)
    FREEZING_TIME_US = 1
    FROZEN_TIME_US = 2
    MEMDUMP_TIME_US = 3
    MEMWRITE_TIME_US = 4
    PAGES_SCANNED = 5
    PAGES_SKIPPED_PARENT = 6
    PAGES_WRITTEN = 7
    PAGES_LAZY = 8
    IRMAP_RESOLVE_US = 9
    PAGE_PIPES = 10
    PAGE_PIPE_BUFS = 11
    SHPAGES_SCANNED = 12
    SHPAGES_SKIPPED_PARENT = 13
    SHPAGES_WRITTEN = 14
    # restore (CRIU's stats-restore)
    PAGES_COMPARED = 20
    PAGES_SKIPPED_COW = 21
    FORKING_TIME_US = 22
    RESTORE_TIME_US = 23
    PAGES_RESTORED = 24
    # ccr's own clock, for every operation
    WALL_TIME_US = 40
    CRIU_TIME_US = 41
    OUTSIDE_CRIU_TIME_US = 42


class Feature(enum.IntFlag):
    """Features a CRIU operation may need (``ccr_feature``)."""

    MEM_TRACK = 1 << 0
    LAZY_PAGES = 1 << 1
    PIDFD_STORE = 1 << 2


class CgroupLayout(enum.IntEnum):
    """How the host's cgroup hierarchies are mounted (``ccr_cgroup_layout``)."""

    NONE = 0  #: no cgroup hierarchy is mounted
    V1 = 1  #: v1 hierarchies only
    HYBRID = 2  #: v1 hierarchies and the v2 one beside them
    V2 = 3  #: the v2 hierarchy alone (unified)


class FreezerKind(enum.IntEnum):
    """The freezer ccr gives CRIU for a container (``ccr_freezer_kind``)."""

    NONE = 0  #: none: CRIU stops the processes with ptrace alone
    V1 = 1  #: the v1 freezer controller (freezer.state)
    V2 = 2  #: the container's v2 cgroup (cgroup.freeze)


class LogLevel(enum.IntEnum):
    """The levels of ccr's own log (``ccr_log_level``), most severe first: a
    ``log_max_level`` passes its own level and every smaller one."""

    ERROR = 1  #: a clean-up ccr could not finish
    WARNING = 2  #: a failure ccr cleaned up after, a fallback
    INFO = 3  #: an operation's start, CRIU's pid, its outcome
    DEBUG = 4  #: each decision and notification: for bug reports


#: ``log(level, message)``: called for every line of ccr's own log (not
#: CRIU's), without a trailing newline.
LogCallback = Callable[[LogLevel, str], None]

#: The :mod:`logging` level of each :class:`LogLevel`.
LOGGING_LEVELS: Mapping[LogLevel, int] = {
    LogLevel.ERROR: logging.ERROR,
    LogLevel.WARNING: logging.WARNING,
    LogLevel.INFO: logging.INFO,
    LogLevel.DEBUG: logging.DEBUG,
}


def log_to_logger(
    logger: Union[logging.Logger, "logging.LoggerAdapter[Any]", str, None] = None,
) -> LogCallback:
    """A ``log`` callback for :class:`Options` that sends each line of ccr's
    log to `logger` at the matching :mod:`logging` level (ERROR, WARNING,
    INFO, DEBUG; see :data:`LOGGING_LEVELS`).

    `logger` is a :class:`logging.Logger` (or ``LoggerAdapter``), the name of
    one, or None for ``logging.getLogger("ccr")``. The logger's own level and
    handlers filter as usual; ``log_max_level`` decides what ccr sends at all::

        log = logging.getLogger("myapp.ccr")
        ccr.Options(images_dir=d, log=ccr.log_to_logger(log), log_max_level="debug")
    """
    if logger is None or isinstance(logger, str):
        logger = logging.getLogger(logger or "ccr")
    elif not isinstance(logger, (logging.Logger, logging.LoggerAdapter)):
        raise TypeError(f"logger must be a logging.Logger, a name or None, not {type(logger).__name__}")
    target = logger

    def forward(level: LogLevel, message: str) -> None:
        # No arguments: the message is never %-formatted.
        target.log(LOGGING_LEVELS.get(level, logging.DEBUG), message)

    return forward


# --- Converting Python values for C -----------------------------------------------

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_U32_MAX = 2**32 - 1


def _invalid(message: str) -> InvalidArgument:
    return InvalidArgument(message, code=ErrorCode.INVALID_ARGUMENT, code_name="invalid-argument")


def _c_text(name: str, value: Any) -> bytes:
    """A str, bytes or os.PathLike as a NUL-free C string."""
    if isinstance(value, (str, bytes, os.PathLike)):
        data = os.fsencode(value)
    else:
        raise TypeError(f"{name} must be a str, bytes or path, not {type(value).__name__}")
    if b"\0" in data:
        raise _invalid(f"{name} contains a NUL character")
    return data


def _c_opt_text(name: str, value: Any) -> Optional[bytes]:
    return None if value is None else _c_text(name, value)


def _c_int(name: str, value: Any, lo: int = _INT_MIN, hi: int = _INT_MAX) -> int:
    # IntEnum members are ints; bools are not numbers here.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    v = int(value)
    if not lo <= v <= hi:
        raise _invalid(f"{name} {v} is outside {lo}..{hi}")
    return v


def _c_u32(name: str, value: Any) -> int:
    return _c_int(name, value, 0, _U32_MAX)


def _c_bool(name: str, value: Any) -> int:
    if not isinstance(value, (bool, int)):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return 1 if value else 0


def _c_fd(name: str, value: Any) -> int:
    """An int descriptor, or anything with fileno()."""
    if not isinstance(value, int) and hasattr(value, "fileno"):
        value = value.fileno()
    return _c_int(name, value)


def _c_enum(name: str, enum_cls: Any, value: Any) -> int:
    if isinstance(value, str):
        try:
            return int(enum_cls[value.upper().replace("-", "_")])
        except KeyError:
            names = ", ".join(m.name.lower() for m in enum_cls)
            raise _invalid(f"{name} {value!r} is not one of {names}") from None
    return _c_int(name, value)


def _list(name: str, value: Any) -> List[Any]:
    """An iterable of items, but not a lone string (which would iterate chars)."""
    if isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a list, not a single {type(value).__name__}")
    try:
        return list(value)
    except TypeError:
        raise TypeError(f"{name} must be iterable, not {type(value).__name__}") from None


def _pairs(name: str, value: Any) -> List[Tuple[Any, Any]]:
    """A mapping, or an iterable of 2-tuples, as a list of pairs."""
    if isinstance(value, Mapping):
        return list(value.items())
    out = []
    for item in _list(name, value):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"{name} must hold (key, value) pairs, not {item!r}")
        out.append((item[0], item[1]))
    return out


# --- Container ----------------------------------------------------------------------


@dataclass
class Container:
    """What ccr needs to know about a container.

    The same description serves checkpoint and restore. A fresh
    ``ccr_container`` is built from these fields for every call, so the
    dataclass may be changed between calls (e.g. ``pid`` after a restore).

    Attributes:
        id: the container's name: letters, digits, '.', '_' and '-'.
        pid: its init process as seen from the caller (required for
            checkpoint, ignored by restore).
        bundle: the OCI bundle directory (absolute); its config.json is read
            unless `config_path` or `config` says otherwise.
        config_path: read the OCI config from this file instead.
        config: the OCI config itself: a dict (serialized to JSON) or JSON text.
        rootfs: the root filesystem on the host (absolute), overriding the
            config's root.path.
        state_dir: a directory for ccr's transient state (absolute).
        cgroup_paths: the cgroup path for every hierarchy ("/ccr/web1"), or a
            mapping of v1 controller names ("memory", "name=systemd") to paths;
            the key None means every hierarchy.
        stdio: (stdin, stdout, stderr) that become the restored container's
            stdio when its images say those were pipes: ints, objects with
            fileno(), or None/-1 to keep the caller's descriptor of that number.
            ccr does not close them.
        process_tree: let checkpoint take a pid that is not a container's
            init, the root of a plain process tree in the caller's pid
            namespace (``ccr_container_set_process_tree``); without it such a
            pid is refused with InvalidArgumentError.
    """

    id: str
    pid: Optional[int] = None
    bundle: Optional[PathLike] = None
    config_path: Optional[PathLike] = None
    config: Optional[Union[Mapping[str, Any], str]] = None
    rootfs: Optional[PathLike] = None
    state_dir: Optional[PathLike] = None
    cgroup_paths: Optional[Union[PathLike, Mapping[Optional[str], PathLike]]] = None
    stdio: Optional[Sequence[Any]] = None
    process_tree: bool = False

    def _build(self) -> "_ContainerHandle":
        """A new ``ccr_container`` with these fields; the caller frees it."""
        handle = _ContainerHandle(self.id)
        try:
            p = handle.ptr
            if self.pid is not None:
                _lib.ccr_container_set_pid(p, _c_int("pid", self.pid))
            if self.process_tree:
                _lib.ccr_container_set_process_tree(p, 1)
            if self.bundle is not None:
                _lib.ccr_container_set_bundle(p, _c_text("bundle", self.bundle))
            if self.config_path is not None:
                _lib.ccr_container_set_config_path(p, _c_text("config_path", self.config_path))
            if self.config is not None:
                cfg = self.config
                if isinstance(cfg, Mapping):
                    cfg = json.dumps(cfg)
                _lib.ccr_container_set_config_json(p, _c_text("config", cfg))
            if self.rootfs is not None:
                _lib.ccr_container_set_rootfs(p, _c_text("rootfs", self.rootfs))
            if self.state_dir is not None:
                _lib.ccr_container_set_state_dir(p, _c_text("state_dir", self.state_dir))
            if self.cgroup_paths is not None:
                paths = self.cgroup_paths
                if not isinstance(paths, Mapping):
                    paths = {None: paths}
                for controller, path in paths.items():
                    _lib.ccr_container_set_cgroup_path(
                        p,
                        _c_opt_text("cgroup controller", controller),
                        _c_text("cgroup path", path),
                    )
            if self.stdio is not None:
                fds = list(self.stdio)
                if len(fds) != 3:
                    raise TypeError("stdio must be (stdin, stdout, stderr)")
                _lib.ccr_container_set_stdio(
                    p, *(-1 if fd is None else _c_fd("stdio descriptor", fd) for fd in fds)
                )
        except BaseException:
            handle.close()
            raise
        return handle


class _ContainerHandle:
    """An owned ``ccr_container *``; a context manager that frees it."""

    def __init__(self, container_id: str) -> None:
        self.ptr = _ffi.ContainerP()
        _lib.ccr_container_new(ctypes.byref(self.ptr), _c_text("id", container_id))

    def close(self) -> None:
        if self.ptr:
            _lib.ccr_container_free(self.ptr)
            self.ptr = _ffi.ContainerP()

    def __enter__(self) -> "_ContainerHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --- Options -------------------------------------------------------------------------


@dataclass(frozen=True)
class TLS:
    """TLS for page-server connections; each path may be None."""

    cacert: Optional[PathLike] = None
    cacrl: Optional[PathLike] = None
    cert: Optional[PathLike] = None
    key: Optional[PathLike] = None
    no_cn_verify: bool = False


# How a keyword's value reaches its C function: apply(fn, handle, keyword, value).
_Apply = Callable[[Any, Any, str, Any], None]


def _flag(fn: Any, p: Any, name: str, v: Any) -> None:
    fn(p, _c_bool(name, v))


def _text(fn: Any, p: Any, name: str, v: Any) -> None:
    fn(p, _c_text(name, v))


def _u32(fn: Any, p: Any, name: str, v: Any) -> None:
    fn(p, _c_u32(name, v))


def _int(fn: Any, p: Any, name: str, v: Any) -> None:
    fn(p, _c_int(name, v))


def _fd(fn: Any, p: Any, name: str, v: Any) -> None:
    fn(p, _c_fd(name, v))


def _enum(enum_cls: Any) -> _Apply:
    def apply(fn: Any, p: Any, name: str, v: Any) -> None:
        fn(p, _c_enum(name, enum_cls, v))

    return apply


def _each_text(fn: Any, p: Any, name: str, v: Any) -> None:
    for item in _list(name, v):
        fn(p, _c_text(name, item))


def _each_pair(fn: Any, p: Any, name: str, v: Any) -> None:
    for key, value in _pairs(name, v):
        fn(p, _c_text(name, key), _c_text(name, value))


def _each_pair_key_optional(fn: Any, p: Any, name: str, v: Any) -> None:
    for key, value in _pairs(name, v):
        fn(p, _c_opt_text(name, key), _c_text(name, value))


def _each_u32(fn: Any, p: Any, name: str, v: Any) -> None:
    for item in _list(name, v):
        fn(p, _c_u32(name, item))


def _each_key_fd(fn: Any, p: Any, name: str, v: Any) -> None:
    for key, fd in _pairs(name, v):
        fn(p, _c_text(name, key), _c_fd(name, fd))


def _page_server(fn: Any, p: Any, name: str, v: Any) -> None:
    if not isinstance(v, (tuple, list)) or len(v) != 2:
        raise TypeError("page_server must be (address, port)")
    fn(p, _c_text(name, v[0]), _c_int("page_server port", v[1]))


def _import_limits(fn: Any, p: Any, name: str, v: Any) -> None:
    if not isinstance(v, (tuple, list)) or len(v) != 3:
        raise TypeError("import_limits must be (max_entries, max_bytes, max_ratio); 0 keeps a default")
    fn(
        p,
        _c_int("import_limits max_entries", v[0], 0, 2**64 - 1),
        _c_int("import_limits max_bytes", v[1], 0, 2**64 - 1),
        _c_u32("import_limits max_ratio", v[2]),
    )


def _archive_image(fn: Any, p: Any, name: str, v: Any) -> None:
    if not isinstance(v, (tuple, list)) or len(v) != 2:
        raise TypeError("archive_image must be (name, ref); \"\" for unknown")
    fn(p, _c_text("archive_image name", v[0]), _c_text("archive_image ref", v[1]))


def _unix_ns(name: str, t: Any) -> int:
    """A timezone-aware datetime as nanoseconds since 1970; None: 0 (unknown)."""
    if t is None:
        return 0
    if not isinstance(t, datetime.datetime) or t.tzinfo is None:
        raise TypeError(f"{name} must be a timezone-aware datetime or None, not {t!r}")
    delta = t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    ns = (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    return _c_int(name, ns, 0, 2**63 - 1)


def _archive_times(fn: Any, p: Any, name: str, v: Any) -> None:
    if not isinstance(v, (tuple, list)) or len(v) != 2:
        raise TypeError("archive_times must be (created, checkpointed): datetimes, or None for ccr's own")
    fn(p, _unix_ns("archive_times created", v[0]), _unix_ns("archive_times checkpointed", v[1]))


def _tls(fn: Any, p: Any, name: str, v: Any) -> None:
    if v is False:
        fn(p, 0, None, None, None, None, 0)
        return
    if v is True:
        v = TLS()
    if not isinstance(v, TLS):
        raise TypeError(f"tls must be a bool or a ccr.TLS, not {type(v).__name__}")
    fn(
        p,
        1,
        _c_opt_text("tls cacert", v.cacert),
        _c_opt_text("tls cacrl", v.cacrl),
        _c_opt_text("tls cert", v.cert),
        _c_opt_text("tls key", v.key),
        _c_bool("tls no_cn_verify", v.no_cn_verify),
    )


def _join_ns(fn: Any, p: Any, name: str, v: Any) -> None:
    if isinstance(v, Mapping):
        v = list(v.items())
    for item in _list(name, v):
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise TypeError(f"join_ns entries are (ns, ns_file) or (ns, ns_file, extra), not {item!r}")
        extra = item[2] if len(item) == 3 else None
        fn(p, _c_text(name, item[0]), _c_text(name, item[1]), _c_opt_text(name, extra))


# keyword -> (C function, how to apply the value). Every setter and adder of
# ccr.h appears once, except ccr_options_set_notify and ccr_options_set_log,
# which Options handles (keywords notify, log and log_max_level).
_SETTERS: Dict[str, Tuple[str, _Apply]] = {
    "criu_path": ("ccr_options_set_criu_path", _text),
    "images_dir": ("ccr_options_set_images_dir", _text),
    "work_dir": ("ccr_options_set_work_dir", _text),
    "parent_path": ("ccr_options_set_parent_path", _text),
    "pre_dump": ("ccr_options_set_pre_dump", _flag),
    "leave_running": ("ccr_options_set_leave_running", _flag),
    "allow_processes_outside_tree": ("ccr_options_set_allow_processes_outside_tree", _flag),
    "tcp_established": ("ccr_options_set_tcp_established", _flag),
    "ext_unix_sk": ("ccr_options_set_ext_unix_sk", _flag),
    "shell_job": ("ccr_options_set_shell_job", _flag),
    "file_locks": ("ccr_options_set_file_locks", _flag),
    "auto_dedup": ("ccr_options_set_auto_dedup", _flag),
    "empty_ns": ("ccr_options_set_empty_ns", _u32),
    "cgroup_mode": ("ccr_options_set_cgroup_mode", _enum(CgroupMode)),
    "log_level": ("ccr_options_set_log_level", _int),
    "log_file": ("ccr_options_set_log_file", _text),
    "criu_config_file": ("ccr_options_set_criu_config_file", _text),
    "timeout_ms": ("ccr_options_set_timeout_ms", _u32),
    "leave_stopped": ("ccr_options_set_leave_stopped", _flag),
    "lsm_profile": ("ccr_options_set_lsm_profile", _text),
    "lsm_mount_context": ("ccr_options_set_lsm_mount_context", _text),
    "track_mem": ("ccr_options_set_track_mem", _flag),
    "pre_dump_mode": ("ccr_options_set_pre_dump_mode", _enum(PreDumpMode)),
    "page_server": ("ccr_options_set_page_server", _page_server),
    "page_server_fd": ("ccr_options_set_page_server_fd", _fd),
    "lazy_pages": ("ccr_options_set_lazy_pages", _flag),
    "status_fd": ("ccr_options_set_status_fd", _fd),
    "tls": ("ccr_options_set_tls", _tls),
    "console_socket": ("ccr_options_set_console_socket", _text),
    "tcp_close": ("ccr_options_set_tcp_close", _flag),
    "tcp_skip_in_flight": ("ccr_options_set_tcp_skip_in_flight", _flag),
    "network_lock": ("ccr_options_set_network_lock", _enum(NetworkLock)),
    "veth_pairs": ("ccr_options_add_veth_pair", _each_pair),
    "link_remap": ("ccr_options_set_link_remap", _flag),
    "ghost_limit": ("ccr_options_set_ghost_limit", _u32),
    "force_irmap": ("ccr_options_set_force_irmap", _flag),
    "irmap_scan_paths": ("ccr_options_add_irmap_scan_path", _each_text),
    "skip_file_rwx_check": ("ccr_options_set_skip_file_rwx_check", _flag),
    "evasive_devices": ("ccr_options_set_evasive_devices", _flag),
    "ext_mounts": ("ccr_options_add_ext_mount", _each_pair),
    "auto_ext_mnt": ("ccr_options_set_auto_ext_mnt", _flag),
    "ext_sharing": ("ccr_options_set_ext_sharing", _flag),
    "ext_masters": ("ccr_options_set_ext_masters", _flag),
    "skip_mounts": ("ccr_options_add_skip_mount", _each_text),
    "enable_fs": ("ccr_options_add_enable_fs", _each_text),
    "mntns_compat_mode": ("ccr_options_set_mntns_compat_mode", _flag),
    "externals": ("ccr_options_add_external", _each_text),
    "unix_sk_inodes": ("ccr_options_add_unix_sk_inode", _each_u32),
    "inherit_fds": ("ccr_options_add_inherit_fd", _each_key_fd),
    "join_ns": ("ccr_options_add_join_ns", _join_ns),
    "weak_sysctls": ("ccr_options_set_weak_sysctls", _flag),
    "cgroup_roots": ("ccr_options_add_cgroup_root", _each_pair_key_optional),
    "cgroup_props": ("ccr_options_set_cgroup_props", _text),
    "cgroup_props_file": ("ccr_options_set_cgroup_props_file", _text),
    "cgroup_dump_controllers": ("ccr_options_add_cgroup_dump_controller", _each_text),
    "cgroup_yard": ("ccr_options_set_cgroup_yard", _text),
    "freeze_cgroup": ("ccr_options_set_freeze_cgroup", _text),
    "criu_timeout": ("ccr_options_set_criu_timeout", _u32),
    "cpu_cap": ("ccr_options_set_cpu_cap", _u32),
    "unprivileged": ("ccr_options_set_unprivileged", _flag),
    "pidfd_store_fd": ("ccr_options_set_pidfd_store_fd", _fd),
    "display_stats": ("ccr_options_set_display_stats", _flag),
    "log_to_stderr": ("ccr_options_set_log_to_stderr", _flag),
    "exec_cmd": ("ccr_options_add_exec_cmd", _each_text),
    "import_limits": ("ccr_options_set_import_limits", _import_limits),
    "archive_engine": ("ccr_options_set_archive_engine", _text),
    "archive_container_name": ("ccr_options_set_archive_container_name", _text),
    "archive_image": ("ccr_options_set_archive_image", _archive_image),
    "archive_times": ("ccr_options_set_archive_times", _archive_times),
}


class Options:
    """How an operation runs: every setter of ``ccr.h`` as a keyword argument.

    Each keyword is applied to a fresh ``ccr_options`` handle as the object is
    built, so a bad value raises here (:class:`InvalidArgument`, or
    ``TypeError`` for a value of the wrong type). A keyword left at None keeps
    libccr's default. "(checkpoint)", "(restore)" and "(both)" say which
    operation reads an option; the other ignores it.

    Like the handle, an Options object is for one thread at a time, except
    :meth:`cancel`, which any thread may call while an operation runs. It may
    be used for several operations; after :meth:`cancel` every later one fails
    with :class:`Canceled`, so use new Options for the next. Free the handle
    with :meth:`close` (or a ``with`` block); garbage collection frees it too.

    Args:
        criu_path: the CRIU binary (both). Default: "criu" from PATH.
        images_dir: the images directory, absolute (both; required for
            checkpoint and restore). Checkpoint creates it 0700; an existing
            one must not be a symlink nor writable by group or others.
        work_dir: CRIU's work directory for its log and statistics (both).
            Default: the images directory.
        parent_path: a previous pre-dump's images, relative to the images
            directory (checkpoint).
        pre_dump: take a pre-dump, memory only, the container keeps running
            (checkpoint). Needs Feature.MEM_TRACK.
        leave_running: keep the container running after the checkpoint
            (checkpoint).
        allow_processes_outside_tree: checkpoint although processes in the
            container's cgroup are not in its init's tree (``runc exec``);
            they are left out, each named in ``Result.warnings``. Default:
            the checkpoint fails naming them (checkpoint).
        tcp_established: checkpoint and restore established TCP connections (both).
        ext_unix_sk: allow external unix sockets (both).
        shell_job: the container is a shell job (both).
        file_locks: checkpoint and restore file locks (both).
        auto_dedup: deduplicate pages against the parent images (both).
        empty_ns: namespaces to create empty, as CLONE_NEW* flags; only
            :data:`CLONE_NEWNET` (both).
        cgroup_mode: a :class:`CgroupMode`, or its name ("soft", ...) (both).
        log_level: CRIU's log level, 0 to 4; default 4 (both).
        log_file: CRIU's log file name inside the work directory (both).
        criu_config_file: a CRIU configuration file (both).
        notify: ``notify(script, pid, fd)``, called on the calling thread for
            every notification CRIU sends, in CRIU's order (both). Raise to
            abort the operation: the operation then raises that same exception
            (``__cause__``: the :class:`CallbackError`). The return value is
            ignored. `fd` belongs to ccr: ``os.dup`` it to keep it.
        log: ``log(level, message)``, called on the calling thread, during
            the operation only, for each line of ccr's own log (CRIU's stays
            in its log file) at `log_max_level` or more severe (both).
            `level` is a :class:`LogLevel`. It cannot stop the operation: an
            exception it raises is kept, the callback is not called again
            during that operation, and the exception is re-raised once the
            operation has returned (see :func:`checkpoint`).
            :func:`log_to_logger` makes one for a :class:`logging.Logger`.
        log_max_level: the least severe :class:`LogLevel` passed to `log`, or
            its name ("debug", ...); default INFO. Only with `log`.
        timeout_ms: whole-operation time limit in milliseconds, 0 for none
            (both); when it runs out the operation raises :class:`Timeout`.
        leave_stopped: keep the restored processes stopped (restore).
        lsm_profile: the LSM profile for the restored container (restore).
        lsm_mount_context: the LSM mount context (restore).
        track_mem: track memory changes for a later dump (checkpoint).
        pre_dump_mode: a :class:`PreDumpMode` or its name (checkpoint).
        page_server: (address, port) of a CRIU page server (checkpoint).
        page_server_fd: a connected socket to send pages over; stays the
            caller's (checkpoint).
        lazy_pages: lazy pages (both). Needs Feature.LAZY_PAGES.
        status_fd: a writable descriptor that gets one '\\0' byte when CRIU is
            ready to serve lazy pages. ccr CLOSES it when the checkpoint ends
            (checkpoint).
        tls: True, or a :class:`TLS`, for page-server connections (both).
        console_socket: a unix socket path the restored terminal master is
            sent to (restore).
        tcp_close: restore established TCP connections closed (restore).
        tcp_skip_in_flight: skip in-flight TCP connections (checkpoint).
        network_lock: a :class:`NetworkLock` or its name (both).
        veth_pairs: {inside: outside} or [(inside, outside)] (restore).
        link_remap: link-remap open deleted files (checkpoint).
        ghost_limit: the largest deleted-but-open file copied, in bytes (both).
        force_irmap: resolve inotify watches by scanning paths (checkpoint).
        irmap_scan_paths: where CRIU looks for inotify targets (checkpoint).
        skip_file_rwx_check: skip files' permission checks (restore).
        evasive_devices: reopen device files by path; default on (restore).
        ext_mounts: {key: value} external mounts on top of those ccr derives
            from the config (both; see ``ccr_options_add_ext_mount``).
        auto_ext_mnt: treat unknown mounts as external (both).
        ext_sharing: with their sharing options (both).
        ext_masters: with their master options (both).
        skip_mounts: mountpoints left out of the checkpoint (checkpoint).
        enable_fs: file system types CRIU would refuse (both).
        mntns_compat_mode: restore mounts the pre-4.0 way (restore).
        externals: generic CRIU external resources, e.g. "net[ino]:key" (both).
        unix_sk_inodes: external unix sockets by inode (checkpoint).
        inherit_fds: {key: fd} descriptors handed to CRIU for the resources
            named `key` in the images; they stay the caller's (restore).
        join_ns: [(ns, ns_file)] or [(ns, ns_file, extra)] namespaces the
            restored tree joins (restore).
        weak_sysctls: restore sysctls CRIU cannot set without failing (restore).
        cgroup_roots: {controller or None: path} where cgroups are restored
            (restore).
        cgroup_props: which cgroup properties CRIU restores, YAML (restore).
        cgroup_props_file: the same, from a file (restore).
        cgroup_dump_controllers: controllers to dump cgroups of (checkpoint).
        cgroup_yard: a directory with the hierarchies mounted (restore).
        freeze_cgroup: the freezer cgroup to freeze with; "" for ptrace
            alone (checkpoint).
        criu_timeout: CRIU's own time limit in seconds for freezing (both).
        cpu_cap: CRIU's cpu-cap mask (both).
        unprivileged: run CRIU without root, with capabilities (both).
        pidfd_store_fd: a unix socket for CRIU's pidfd store; stays the
            caller's (checkpoint).
        display_stats: print CRIU's statistics to its log (both).
        log_to_stderr: send CRIU's log to its stderr (both).
        exec_cmd: a command CRIU runs after the restore, as a list of
            arguments (restore).
        import_limits: (max_entries, max_bytes, max_ratio) for
            :func:`import_archive`; 0 keeps each default (131072 entries,
            64 GiB, 1000 times the archive's size past 256 MiB).
        archive_engine: whose archive :func:`export_archive` writes:
            "containerd" (the default: its status.dump and status files) or
            "cri-o" (CRI-O's spec annotations).
        archive_container_name: the container's name in its engine, for the
            archive (default: its id).
        archive_image: (name, ref) of the image the rootfs came from, for the
            archive ("" for unknown).
        archive_times: (created, checkpointed) timezone-aware datetimes for
            the archive; None keeps ccr's own answer (the init's start while
            it runs; when CRIU wrote the images).
    """

    def __init__(
        self,
        *,
        criu_path: Optional[PathLike] = None,
        images_dir: Optional[PathLike] = None,
        work_dir: Optional[PathLike] = None,
        parent_path: Optional[PathLike] = None,
        pre_dump: Optional[bool] = None,
        leave_running: Optional[bool] = None,
        allow_processes_outside_tree: Optional[bool] = None,
        tcp_established: Optional[bool] = None,
        ext_unix_sk: Optional[bool] = None,
        shell_job: Optional[bool] = None,
        file_locks: Optional[bool] = None,
        auto_dedup: Optional[bool] = None,
        empty_ns: Optional[int] = None,
        cgroup_mode: Optional[Union[CgroupMode, str, int]] = None,
        log_level: Optional[int] = None,
        log_file: Optional[str] = None,
        criu_config_file: Optional[PathLike] = None,
        notify: Optional[NotifyCallback] = None,
        log: Optional[LogCallback] = None,
        log_max_level: Optional[Union[LogLevel, str, int]] = None,
        timeout_ms: Optional[int] = None,
        leave_stopped: Optional[bool] = None,
        lsm_profile: Optional[str] = None,
        lsm_mount_context: Optional[str] = None,
        track_mem: Optional[bool] = None,
        pre_dump_mode: Optional[Union[PreDumpMode, str, int]] = None,
        page_server: Optional[Tuple[str, int]] = None,
        page_server_fd: Optional[Any] = None,
        lazy_pages: Optional[bool] = None,
        status_fd: Optional[Any] = None,
        tls: Optional[Union[bool, TLS]] = None,
        console_socket: Optional[PathLike] = None,
        tcp_close: Optional[bool] = None,
        tcp_skip_in_flight: Optional[bool] = None,
        network_lock: Optional[Union[NetworkLock, str, int]] = None,
        veth_pairs: Optional[Union[Mapping[str, str], Iterable[Tuple[str, str]]]] = None,
        link_remap: Optional[bool] = None,
        ghost_limit: Optional[int] = None,
        force_irmap: Optional[bool] = None,
        irmap_scan_paths: Optional[Iterable[PathLike]] = None,
        skip_file_rwx_check: Optional[bool] = None,
        evasive_devices: Optional[bool] = None,
        ext_mounts: Optional[Union[Mapping[str, str], Iterable[Tuple[str, str]]]] = None,
        auto_ext_mnt: Optional[bool] = None,
        ext_sharing: Optional[bool] = None,
        ext_masters: Optional[bool] = None,
        skip_mounts: Optional[Iterable[PathLike]] = None,
        enable_fs: Optional[Iterable[str]] = None,
        mntns_compat_mode: Optional[bool] = None,
        externals: Optional[Iterable[str]] = None,
        unix_sk_inodes: Optional[Iterable[int]] = None,
        inherit_fds: Optional[Union[Mapping[str, Any], Iterable[Tuple[str, Any]]]] = None,
        join_ns: Optional[Iterable[Tuple[str, ...]]] = None,
        weak_sysctls: Optional[bool] = None,
        cgroup_roots: Optional[Mapping[Optional[str], PathLike]] = None,
        cgroup_props: Optional[str] = None,
        cgroup_props_file: Optional[PathLike] = None,
        cgroup_dump_controllers: Optional[Iterable[str]] = None,
        cgroup_yard: Optional[PathLike] = None,
        freeze_cgroup: Optional[PathLike] = None,
        criu_timeout: Optional[int] = None,
        cpu_cap: Optional[int] = None,
        unprivileged: Optional[bool] = None,
        pidfd_store_fd: Optional[Any] = None,
        display_stats: Optional[bool] = None,
        log_to_stderr: Optional[bool] = None,
        exec_cmd: Optional[Sequence[str]] = None,
        import_limits: Optional[Tuple[int, int, int]] = None,
        archive_engine: Optional[str] = None,
        archive_container_name: Optional[str] = None,
        archive_image: Optional[Tuple[str, str]] = None,
        archive_times: Optional[Tuple[Optional[datetime.datetime], Optional[datetime.datetime]]] = None,
    ) -> None:
        given = {k: v for k, v in locals().items() if k != "self" and v is not None}
        self._ptr = _ffi.OptionsP()
        self._values: Dict[str, Any] = {}
        self._notify: Optional[NotifyCallback] = None
        self._trampoline: Any = None  # the ctypes callback object, kept alive
        self._log: Optional[LogCallback] = None
        self._log_max_level: Optional[LogLevel] = None
        self._log_trampoline: Any = None  # the ctypes log callback, kept alive
        self._calls = threading.local()  # per calling thread: the callbacks' exceptions
        self._lock = threading.Lock()  # cancel() from other threads vs close()
        _lib.ccr_options_new(ctypes.byref(self._ptr))
        try:
            for name, value in given.items():
                if name == "notify":
                    self._set_notify(value)
                elif name == "log":
                    self._set_log(value, log_max_level)
                elif name == "log_max_level":
                    if log is None:
                        raise _invalid("log_max_level needs a log callback")
                else:
                    cname, apply = _SETTERS[name]
                    apply(getattr(_lib, cname), self._ptr, name, value)
                self._values[name] = value
        except BaseException:
            self.close()
            raise

    # -- the notify callback --

    def _set_notify(self, callback: NotifyCallback) -> None:
        if not callable(callback):
            raise TypeError(f"notify must be callable, not {type(callback).__name__}")
        calls = self._calls

        def trampoline(notify: Any, payload: Any) -> int:
            # Runs on the thread that called checkpoint()/restore(); nothing
            # may escape into C, so every exception is kept for later.
            if getattr(calls, "error", None) is not None:
                return 1
            try:
                script = _ffi.text(_lib.ccr_notify_script(notify)) or ""
                callback(script, int(_lib.ccr_notify_pid(notify)), int(_lib.ccr_notify_fd(notify)))
            except BaseException as e:  # noqa: B036 - KeyboardInterrupt too: re-raised later
                calls.error = e
                return 1
            return 0

        cb = _ffi.NOTIFY_CB(trampoline)
        _lib.ccr_options_set_notify(self._ptr, cb, None, _ffi.FREE_PAYLOAD_CB())
        self._notify = callback
        self._trampoline = cb  # ccr keeps the pointer until the options are freed

    # -- the log callback --

    def _set_log(self, callback: LogCallback, max_level: Any) -> None:
        if not callable(callback):
            raise TypeError(f"log must be callable, not {type(callback).__name__}")
        level = LogLevel.INFO if max_level is None else _c_enum("log_max_level", LogLevel, max_level)
        calls = self._calls

        def trampoline(level: int, message: Optional[bytes], payload: Any) -> None:
            # Runs on the thread running the operation. The C side cannot be
            # told to stop from here: keep the first exception, drop the
            # lines after it, and let _finish_call() raise it.
            if getattr(calls, "log_error", None) is not None:
                return
            try:
                try:
                    lvl: LogLevel = LogLevel(level)
                except ValueError:  # a level newer than this binding
                    lvl = level  # type: ignore[assignment]
                callback(lvl, _ffi.text(message) or "")
            except BaseException as e:  # noqa: B036 - KeyboardInterrupt too: re-raised later
                calls.log_error = e

        cb = _ffi.LOG_CB(trampoline)
        # libccr refuses a level outside ERROR..DEBUG (InvalidArgument).
        _lib.ccr_options_set_log(self._ptr, level, cb, None, _ffi.FREE_PAYLOAD_CB())
        self._log = callback
        self._log_max_level = LogLevel(level)
        self._log_trampoline = cb  # ccr keeps the pointer until the options are freed

    # -- one call into libccr with these options --

    def _begin_call(self) -> None:
        self._calls.error = None
        self._calls.log_error = None

    def _take_callback_error(self) -> Optional[BaseException]:
        err = getattr(self._calls, "error", None)
        self._calls.error = None
        return err

    def _take_log_error(self) -> Optional[BaseException]:
        err = getattr(self._calls, "log_error", None)
        self._calls.log_error = None
        return err

    # -- handle --

    @property
    def _handle(self) -> Any:
        if not self._ptr:
            raise ValueError("the options are closed")
        return self._ptr

    def cancel(self) -> None:
        """Cancels every operation running with these options, and makes later
        ones fail at once with :class:`Canceled`.

        The one method any thread may call while another runs an operation
        with these options (including from inside the notify callback). CRIU
        is killed; a checkpoint leaves the container running and thawed, a
        restore removes everything it made. It cannot be undone.
        """
        with self._lock:
            _lib.ccr_options_cancel(self._handle)

    @property
    def notify(self) -> Optional[NotifyCallback]:
        """The notify callback, or None."""
        return self._notify

    @property
    def log(self) -> Optional[LogCallback]:
        """The log callback, or None."""
        return self._log

    @property
    def log_max_level(self) -> Optional[LogLevel]:
        """The least severe level passed to the log callback (None without one)."""
        return self._log_max_level

    def close(self) -> None:
        """Frees the ``ccr_options`` handle; the object cannot be used after.

        Call it only once no operation runs with these options."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before the handle existed
            return
        with lock:
            ptr, self._ptr = self._ptr, _ffi.OptionsP()
            if ptr:
                _lib.ccr_options_free(ptr)
            self._trampoline = None
            self._log_trampoline = None

    def __enter__(self) -> "Options":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone
            pass

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Options({items})"


# --- Operations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What an operation produced.

    Attributes:
        pid: the restored container's init pid as seen from the caller
            (restore), else None. The restored init is a CHILD of the calling
            process: reap it (``os.waitpid``) when it exits.
        stats: the statistics libccr knows for this operation, by
            :class:`Stat` name in lower case ("frozen_time_us",
            "pages_written", "wall_time_us", ...). Those CRIU did not report,
            or that belong to the other operation, are absent.
        warnings: what failed after CRIU had dumped or restored the container
            (its statistics could not be read, say), one line each. The
            operation succeeded all the same: the container was dumped, or
            runs as ``pid``.
    """

    pid: Optional[int] = None
    stats: Mapping[str, int] = field(default_factory=dict)
    warnings: Tuple[str, ...] = ()


def _read_stats(result: Any) -> Dict[str, int]:
    stats: Dict[str, int] = {}
    value = ctypes.c_uint64(0)
    for which in Stat:
        if _lib.ccr_result_stat(ctypes.byref(value), result, int(which)) == 1:
            stats[which.name.lower()] = int(value.value)
    return stats


def _read_warnings(result: Any) -> Tuple[str, ...]:
    count = int(_lib.ccr_result_warning_count(result))
    texts = (_lib.ccr_result_warning(result, i) for i in range(count))
    return tuple(t.decode("utf-8", "replace") for t in texts if t is not None)


def _operation(cfunc: Any, container: Container, options: Options) -> Result:
    if not isinstance(container, Container):
        raise TypeError(f"container must be a ccr.Container, not {type(container).__name__}")
    if not isinstance(options, Options):
        raise TypeError(f"options must be a ccr.Options, not {type(options).__name__}")
    out = _ffi.ResultP()
    failure: Optional[CcrError] = None
    with container._build() as handle:
        options._begin_call()
        try:
            # ctypes releases the GIL for the call: other threads run, and
            # may call options.cancel(). `options` (and with it the callback
            # objects) stays referenced until the call returns.
            cfunc(ctypes.byref(out), handle.ptr, options._handle)
        except CcrError as e:
            failure = e
    result: Optional[Result] = None
    if out:
        try:
            pid = int(_lib.ccr_result_pid(out))
            result = Result(
                pid=pid if pid > 0 else None, stats=_read_stats(out), warnings=_read_warnings(out)
            )
        finally:
            _lib.ccr_result_free(out)
    _finish_call(options, failure, result)
    return result if result is not None else Result()


def _call_with(options: Options, cfunc: Any, *args: Any) -> None:
    """Calls `cfunc` (which gets `options`), then raises what _finish_call says."""
    failure: Optional[CcrError] = None
    options._begin_call()
    try:
        cfunc(*args)
    except CcrError as e:
        failure = e
    _finish_call(options, failure)


def _finish_call(options: Options, failure: Optional[CcrError], result: Optional[Result] = None) -> None:
    """Raises what a call with `options` ended in, once it has returned.

    The notify callback's exception comes first (it aborted the operation;
    `failure`, ccr's CallbackError, becomes its __cause__ unless it has one),
    then the log callback's (`failure`, if the operation failed anyway,
    becomes its __context__; `result`, if it succeeded, its ``ccr_result``),
    then `failure`. A log exception raised alongside a notify one becomes the
    latter's __context__. Nothing is raised inside an except block, and a
    __cause__ or __context__ the callback set is never replaced.
    """
    raised = options._take_callback_error()
    log_error = options._take_log_error()
    if raised is not None:
        if failure is not None and raised.__cause__ is None:
            raised.__cause__ = failure
        if log_error is not None and log_error is not raised and raised.__context__ is None:
            raised.__context__ = log_error
        raise raised
    if log_error is not None:
        if failure is not None:
            if log_error.__context__ is None:
                log_error.__context__ = failure
        elif result is not None:
            try:
                log_error.ccr_result = result  # type: ignore[attr-defined]
            except (AttributeError, TypeError):  # an exception type without a __dict__
                pass
        raise log_error
    if failure is not None:
        raise failure


def checkpoint(container: Container, options: Options) -> Result:
    """Checkpoints the running `container` into ``options.images_dir``.

    `container` needs ``id``, ``pid`` and a config (``bundle``,
    ``config_path`` or ``config``). Unless ``leave_running`` was set, the
    container's processes are gone afterwards. On failure the container is
    left running and thawed, and a :class:`CcrError` subclass is raised (or
    the notify callback's own exception).

    If the ``log`` callback raised, its exception is raised once the
    operation has returned: with the operation's :class:`CcrError` as its
    ``__context__`` when it failed, with the :class:`Result` as its
    ``ccr_result`` attribute when it succeeded.
    """
    return _operation(_lib.ccr_checkpoint, container, options)


def restore(container: Container, options: Options) -> Result:
    """Restores `container` from ``options.images_dir``, into its cgroups and
    rootfs; ``Result.pid`` is the new init, a child of this process.

    Give ``container.stdio`` the descriptors to use where the checkpointed
    container had pipes. On failure nothing made for the restore is left.
    An exception of the ``log`` callback is raised as for :func:`checkpoint`:
    after a successful restore its ``ccr_result.pid`` is the running init.
    """
    return _operation(_lib.ccr_restore, container, options)


@dataclass(frozen=True)
class PodResult:
    """What a pod operation produced.

    Attributes:
        containers: (container id, :class:`Result`) pairs, in the
            checkpoint's order; after a restore each Result's ``pid`` is that
            container's new init, a child of this process.
        frozen_time_us: the pod's downtime on checkpoint, from its one freeze
            to its thaw (or the end of its kill); None on restore.
        wall_time_us: the whole call's time.
        warnings: warnings about the pod as a whole.
    """

    containers: Tuple[Tuple[str, Result], ...] = ()
    frozen_time_us: Optional[int] = None
    wall_time_us: Optional[int] = None
    warnings: Tuple[str, ...] = ()


_POD_STAT_FROZEN_TIME_US = 1
_POD_STAT_WALL_TIME_US = 2


def _pod_result(out: Any) -> PodResult:
    containers = []
    for i in range(int(_lib.ccr_pod_result_count(out))):
        r = _lib.ccr_pod_result_container(out, i)
        pid = int(_lib.ccr_result_pid(r))
        cid = _ffi.text(_lib.ccr_pod_result_container_id(out, i)) or ""
        containers.append(
            (cid, Result(pid=pid if pid > 0 else None, stats=_read_stats(r), warnings=_read_warnings(r)))
        )
    stats = {}
    value = ctypes.c_uint64(0)
    for which in (_POD_STAT_FROZEN_TIME_US, _POD_STAT_WALL_TIME_US):
        if _lib.ccr_pod_stat_of(ctypes.byref(value), out, which) == 1:
            stats[which] = int(value.value)
    count = int(_lib.ccr_pod_result_warning_count(out))
    texts = (_lib.ccr_pod_result_warning(out, i) for i in range(count))
    return PodResult(
        containers=tuple(containers),
        frozen_time_us=stats.get(_POD_STAT_FROZEN_TIME_US),
        wall_time_us=stats.get(_POD_STAT_WALL_TIME_US),
        warnings=tuple(t.decode("utf-8", "replace") for t in texts if t is not None),
    )


def _pod_operation(
    cfunc: Any,
    pod_id: str,
    cgroup_parent: str,
    containers: Sequence[Container],
    directory: PathLike,
    options: Options,
    network_ns: Optional[PathLike],
) -> PodResult:
    if not isinstance(options, Options):
        raise TypeError(f"options must be a ccr.Options, not {type(options).__name__}")
    for c in containers:
        if not isinstance(c, Container):
            raise TypeError(f"containers must be ccr.Container objects, not {type(c).__name__}")
    pod = _ffi.PodP()
    _lib.ccr_pod_new(ctypes.byref(pod), _c_text("pod_id", pod_id))
    out = _ffi.PodResultP()
    failure: Optional[CcrError] = None
    try:
        _lib.ccr_pod_set_cgroup_parent(pod, _c_text("cgroup_parent", cgroup_parent))
        if network_ns is not None:
            _lib.ccr_pod_set_network_ns(pod, _c_text("network_ns", network_ns))
        for c in containers:
            with c._build() as handle:
                _lib.ccr_pod_add_container(pod, handle.ptr, None)
        path = _c_text("directory", directory)
        options._begin_call()
        try:
            cfunc(ctypes.byref(out), pod, path, options._handle)
        except CcrError as e:
            failure = e
    finally:
        _lib.ccr_pod_free(pod)
    result: Optional[PodResult] = None
    if out:
        try:
            result = _pod_result(out)
        finally:
            _lib.ccr_pod_result_free(out)
    _finish_call(options, failure)
    return result if result is not None else PodResult()


def pod_checkpoint(
    pod_id: str,
    cgroup_parent: str,
    containers: Sequence[Container],
    directory: PathLike,
    options: Options,
    network_ns: Optional[PathLike] = None,
) -> PodResult:
    """Checkpoints every container of a pod into `directory` (which must not
    exist) at one freeze of the pod's parent cgroup `cgroup_parent`
    (ccr_pod_checkpoint; docs/pod.md). Each container needs ``id``, ``pid``
    and a config. `options` apply to every container (``images_dir`` is
    ignored: each container's images go to ``<directory>/<id>/checkpoint``).
    On failure every container is left as it was and `directory` is removed.
    The notify callback is called from libccr's threads, one call at a time.
    """
    return _pod_operation(
        _lib.ccr_pod_checkpoint, pod_id, cgroup_parent, containers, directory, options, network_ns
    )


def pod_restore(
    pod_id: str,
    cgroup_parent: str,
    containers: Sequence[Container],
    directory: PathLike,
    options: Options,
    network_ns: Optional[PathLike] = None,
) -> PodResult:
    """Restores the pod checkpointed in `directory` (ccr_pod_restore),
    matching `containers` to the checkpoint's by ``id``. On failure nothing
    of the pod is left."""
    return _pod_operation(
        _lib.ccr_pod_restore, pod_id, cgroup_parent, containers, directory, options, network_ns
    )


def read_stats(work_dir: PathLike) -> Dict[str, int]:
    """The statistics CRIU left in `work_dir` (its stats-dump and
    stats-restore, whichever exist: the images directory unless a
    ``work_dir`` option was given), by :class:`Stat` name in lower case, as
    :attr:`Result.stats`. ccr's clock statistics ("wall_time_us", ...) are
    never among them.

    Raises :class:`NotFound` when the directory has neither file,
    :class:`ImageError` when one is malformed.
    """
    out = _ffi.ResultP()
    _lib.ccr_stats_read(ctypes.byref(out), _c_text("work_dir", work_dir))
    try:
        return _read_stats(out)
    finally:
        _lib.ccr_result_free(out)


# --- Checkpoint archives ------------------------------------------------------------------


def export_archive(
    path: PathLike,
    container: Container,
    options: Options,
    rootfs_diff_dir: Optional[PathLike] = None,
) -> None:
    """Writes a checkpoint archive (the tar layout of kubelet's checkpoint API,
    CRI-O, Podman and containerd) of `container` at `path`, from what
    :func:`checkpoint` left in ``options.images_dir`` (and ``work_dir``).

    `rootfs_diff_dir`, when given, is the container's writable layer (an
    overlayfs upper directory): it goes into rootfs-diff.tar and its
    whiteouts into deleted.files. The archive is created 0600 and appears
    only once complete. Images that need a parent pre-dump are refused
    (:class:`Unsupported`); ``options.cancel()`` stops an export between files.
    """
    if not isinstance(container, Container):
        raise TypeError(f"container must be a ccr.Container, not {type(container).__name__}")
    if not isinstance(options, Options):
        raise TypeError(f"options must be a ccr.Options, not {type(options).__name__}")
    archive = _c_text("path", path)
    diff = _c_opt_text("rootfs_diff_dir", rootfs_diff_dir)
    with container._build() as handle:
        _call_with(options, _lib.ccr_archive_export, archive, handle.ptr, options._handle, diff)


def import_archive(path: PathLike, dest_dir: PathLike, options: Optional["Options"] = None) -> None:
    """Unpacks the checkpoint archive at `path` (tar, gzip or zstd; from ccr,
    CRI-O, Podman or containerd) into `dest_dir`, which must not exist (its
    parent must). Restore from ``<dest_dir>/checkpoint`` afterwards.

    The archive is not trusted: only regular files and directories are
    unpacked, and an unsafe entry raises :class:`ImageError` with `dest_dir`
    removed again. Nothing in it is acted on (spec.dump, rootfs-diff.tar...).
    `path` must be a regular file: a fifo is refused, not waited on.

    `options`, when given, bound the import: ``import_limits``, ``timeout_ms``
    (:class:`Timeout`) and ``options.cancel()`` from another thread
    (:class:`Canceled`); every other option is ignored.
    """
    archive = _c_text("path", path)
    dest = _c_text("dest_dir", dest_dir)
    if options is None:
        _lib.ccr_archive_import(archive, dest)
        return
    if not isinstance(options, Options):
        raise TypeError(f"options must be a ccr.Options, not {type(options).__name__}")
    _call_with(options, _lib.ccr_archive_import_with_options, archive, dest, options._handle)


# --- CRIU queries ---------------------------------------------------------------------


class CriuVersion(NamedTuple):
    """CRIU's version; compares like a tuple: ``criu_version() >= (4, 1)``."""

    major: int
    minor: int
    sublevel: int

    @property
    def number(self) -> int:
        """MAJOR * 10000 + MINOR * 100 + SUBLEVEL, as ``ccr_criu_version``."""
        return self.major * 10000 + self.minor * 100 + self.sublevel

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.sublevel}"


def _query(cfunc: Any, options: Optional[Options], criu_path: Optional[PathLike]) -> int:
    if options is not None and criu_path is not None:
        raise TypeError("give options or criu_path, not both")
    out = ctypes.c_uint(0)
    if criu_path is not None:
        with Options(criu_path=criu_path) as tmp:
            cfunc(ctypes.byref(out), tmp._handle)
    elif options is not None:
        _call_with(options, cfunc, ctypes.byref(out), options._handle)
    else:
        cfunc(ctypes.byref(out), None)
    return int(out.value)


def criu_version(options: Optional[Options] = None, *, criu_path: Optional[PathLike] = None) -> CriuVersion:
    """The version of CRIU (``options.criu_path``, `criu_path`, or "criu" from
    PATH). Cached by libccr per binary."""
    n = _query(_lib.ccr_criu_version, options, criu_path)
    return CriuVersion(n // 10000, n // 100 % 100, n % 100)


def host_cgroups() -> Tuple[CgroupLayout, FreezerKind]:
    """The host's cgroup layout and the freezer ccr uses on it, as ccr sees
    them from this process's mount namespace. Starts no process."""
    layout = ctypes.c_int(0)
    freezer = ctypes.c_int(0)
    _lib.ccr_host_cgroup_layout(ctypes.byref(layout), ctypes.byref(freezer))
    return CgroupLayout(layout.value), FreezerKind(freezer.value)


def criu_features(options: Optional[Options] = None, *, criu_path: Optional[PathLike] = None) -> Set[str]:
    """The features this CRIU and kernel support, as names:
    "mem_track", "lazy_pages", "pidfd_store" (see :class:`Feature`)."""
    mask = _query(_lib.ccr_criu_features, options, criu_path)
    names: Set[str] = set()
    for bit in range(32):
        if mask & (1 << bit):
            try:
                names.add(Feature(1 << bit).name.lower())  # type: ignore[union-attr]
            except ValueError:
                names.add(f"unknown-{1 << bit:#x}")
    return names
