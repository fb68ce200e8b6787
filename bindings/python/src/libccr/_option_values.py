# SPDX-License-Identifier: Apache-2.0
"""How each :class:`Options` keyword's value reaches its ``ccr_options_*``
setter: :data:`_SETTERS`, and :class:`TLS`, the value of ``tls``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from ._convert import (
    PathLike,
    _c_bool,
    _c_enum,
    _c_fd,
    _c_int,
    _c_opt_text,
    _c_text,
    _c_u32,
    _list,
    _pairs,
)
from .enums import CgroupMode, NetworkLock, PreDumpMode


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
