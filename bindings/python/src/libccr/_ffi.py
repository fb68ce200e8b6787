# SPDX-License-Identifier: Apache-2.0
"""The one module that talks to libccr directly.

It finds the library, applies ONE table of prototypes (:data:`PROTOTYPES`,
every function of ``ccr.h``) when loading it, refuses a library that is older
than this binding, and turns returned ``ccr_error *`` objects into exceptions
(checked and freed in :func:`_error_checker`, and nowhere else).

How libccr is found, first match wins:

1. the environment variable ``CCR_LIBRARY``: a path to the library file;
2. ``pkg-config --variable=libdir ccr``, then ``<libdir>/libccr.so.0``;
3. the dynamic loader's own search for ``libccr.so.0`` (ldconfig cache,
   ``LD_LIBRARY_PATH``).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
from ctypes import (
    CFUNCTYPE,
    POINTER,
    c_char_p,
    c_int,
    c_int64,
    c_size_t,
    c_uint,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Any, Callable, List, Optional, Sequence, Tuple

from . import errors

#: The libccr version this binding is written against (``ccr_version()`` must
#: be at least this, with the same major number).
REQUIRED_VERSION: Tuple[int, int, int] = (0, 1, 0)
#: The library's SONAME; its number changes only when the ABI breaks.
SONAME = "libccr.so.0"


# --- Opaque handle types ------------------------------------------------------


class ccr_error(ctypes.Structure):
    """Opaque ``ccr_error``."""


class ccr_container(ctypes.Structure):
    """Opaque ``ccr_container``."""


class ccr_options(ctypes.Structure):
    """Opaque ``ccr_options``."""


class ccr_result(ctypes.Structure):
    """Opaque ``ccr_result``."""


class ccr_notify(ctypes.Structure):
    """Opaque ``ccr_notify``."""


class ccr_pod(ctypes.Structure):
    """Opaque ``ccr_pod``."""


class ccr_pod_result(ctypes.Structure):
    """Opaque ``ccr_pod_result``."""


ErrorP = POINTER(ccr_error)
ContainerP = POINTER(ccr_container)
OptionsP = POINTER(ccr_options)
ResultP = POINTER(ccr_result)
NotifyP = POINTER(ccr_notify)
PodP = POINTER(ccr_pod)
PodResultP = POINTER(ccr_pod_result)

#: ``int (*ccr_notify_cb)(const ccr_notify *notify, void *payload)``
NOTIFY_CB = CFUNCTYPE(c_int, NotifyP, c_void_p)
#: ``void (*ccr_log_cb)(ccr_log_level level, const char *message, void *payload)``
LOG_CB = CFUNCTYPE(None, c_int, c_char_p, c_void_p)
#: ``void (*free_payload)(void *)``
FREE_PAYLOAD_CB = CFUNCTYPE(None, c_void_p)

# C enums are ints in the ABI.
c_enum = c_int


# --- The table ----------------------------------------------------------------

# (name, argtypes, restype). A restype of ErrorP marks a fallible function:
# its result goes through the checker of _error_checker, which raises and frees.
PROTOTYPES: Sequence[Tuple[str, List[Any], Any]] = [
    # Version
    ("ccr_version", [], c_uint),
    ("ccr_version_string", [], c_char_p),
    # Errors
    ("ccr_error_free", [ErrorP], None),
    ("ccr_error_code_of", [ErrorP], c_enum),
    ("ccr_error_code_name", [c_enum], c_char_p),
    ("ccr_error_message", [ErrorP], c_char_p),
    ("ccr_error_errno", [ErrorP], c_int),
    ("ccr_error_criu_errno", [ErrorP], c_int),
    ("ccr_error_criu_message", [ErrorP], c_char_p),
    ("ccr_error_log_path", [ErrorP], c_char_p),
    ("ccr_error_log_excerpt", [ErrorP], c_char_p),
    # Container description
    ("ccr_container_new", [POINTER(ContainerP), c_char_p], ErrorP),
    ("ccr_container_free", [ContainerP], None),
    ("ccr_container_set_pid", [ContainerP, c_int], ErrorP),
    ("ccr_container_set_process_tree", [ContainerP, c_int], ErrorP),
    ("ccr_container_set_bundle", [ContainerP, c_char_p], ErrorP),
    ("ccr_container_set_config_path", [ContainerP, c_char_p], ErrorP),
    ("ccr_container_set_config_json", [ContainerP, c_char_p], ErrorP),
    ("ccr_container_set_rootfs", [ContainerP, c_char_p], ErrorP),
    ("ccr_container_set_state_dir", [ContainerP, c_char_p], ErrorP),
    ("ccr_container_set_cgroup_path", [ContainerP, c_char_p, c_char_p], ErrorP),
    ("ccr_container_set_stdio", [ContainerP, c_int, c_int, c_int], ErrorP),
    # Notify callbacks
    ("ccr_notify_script", [NotifyP], c_char_p),
    ("ccr_notify_pid", [NotifyP], c_int),
    ("ccr_notify_fd", [NotifyP], c_int),
    # Options
    ("ccr_options_new", [POINTER(OptionsP)], ErrorP),
    ("ccr_options_free", [OptionsP], None),
    ("ccr_options_set_criu_path", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_images_dir", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_work_dir", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_parent_path", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_pre_dump", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_leave_running", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_allow_processes_outside_tree", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_tcp_established", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_ext_unix_sk", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_shell_job", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_file_locks", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_auto_dedup", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_empty_ns", [OptionsP, c_uint], ErrorP),
    ("ccr_options_set_cgroup_mode", [OptionsP, c_enum], ErrorP),
    ("ccr_options_set_log_level", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_log_file", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_criu_config_file", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_notify", [OptionsP, NOTIFY_CB, c_void_p, FREE_PAYLOAD_CB], ErrorP),
    ("ccr_options_set_log", [OptionsP, c_enum, LOG_CB, c_void_p, FREE_PAYLOAD_CB], ErrorP),
    ("ccr_options_set_timeout_ms", [OptionsP, c_uint32], ErrorP),
    ("ccr_options_cancel", [OptionsP], ErrorP),
    ("ccr_options_set_leave_stopped", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_lsm_profile", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_lsm_mount_context", [OptionsP, c_char_p], ErrorP),
    # Options: memory transfer
    ("ccr_options_set_track_mem", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_pre_dump_mode", [OptionsP, c_enum], ErrorP),
    ("ccr_options_set_page_server", [OptionsP, c_char_p, c_int], ErrorP),
    ("ccr_options_set_page_server_fd", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_lazy_pages", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_status_fd", [OptionsP, c_int], ErrorP),
    (
        "ccr_options_set_tls",
        [OptionsP, c_int, c_char_p, c_char_p, c_char_p, c_char_p, c_int],
        ErrorP,
    ),
    # Options: terminal
    ("ccr_options_set_console_socket", [OptionsP, c_char_p], ErrorP),
    # Options: network
    ("ccr_options_set_tcp_close", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_tcp_skip_in_flight", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_network_lock", [OptionsP, c_enum], ErrorP),
    ("ccr_options_add_veth_pair", [OptionsP, c_char_p, c_char_p], ErrorP),
    # Options: files and mounts
    ("ccr_options_set_link_remap", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_ghost_limit", [OptionsP, c_uint32], ErrorP),
    ("ccr_options_set_force_irmap", [OptionsP, c_int], ErrorP),
    ("ccr_options_add_irmap_scan_path", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_skip_file_rwx_check", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_evasive_devices", [OptionsP, c_int], ErrorP),
    ("ccr_options_add_ext_mount", [OptionsP, c_char_p, c_char_p], ErrorP),
    ("ccr_options_set_auto_ext_mnt", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_ext_sharing", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_ext_masters", [OptionsP, c_int], ErrorP),
    ("ccr_options_add_skip_mount", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_add_enable_fs", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_mntns_compat_mode", [OptionsP, c_int], ErrorP),
    ("ccr_options_add_external", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_add_unix_sk_inode", [OptionsP, c_uint32], ErrorP),
    ("ccr_options_add_inherit_fd", [OptionsP, c_char_p, c_int], ErrorP),
    # Options: namespaces
    ("ccr_options_add_join_ns", [OptionsP, c_char_p, c_char_p, c_char_p], ErrorP),
    ("ccr_options_set_weak_sysctls", [OptionsP, c_int], ErrorP),
    # Options: cgroups
    ("ccr_options_add_cgroup_root", [OptionsP, c_char_p, c_char_p], ErrorP),
    ("ccr_options_set_cgroup_props", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_cgroup_props_file", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_add_cgroup_dump_controller", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_cgroup_yard", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_freeze_cgroup", [OptionsP, c_char_p], ErrorP),
    # Options: the CRIU process
    ("ccr_options_set_criu_timeout", [OptionsP, c_uint32], ErrorP),
    ("ccr_options_set_cpu_cap", [OptionsP, c_uint32], ErrorP),
    ("ccr_options_set_unprivileged", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_pidfd_store_fd", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_display_stats", [OptionsP, c_int], ErrorP),
    ("ccr_options_set_log_to_stderr", [OptionsP, c_int], ErrorP),
    ("ccr_options_add_exec_cmd", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_import_limits", [OptionsP, c_uint64, c_uint64, c_uint32], ErrorP),
    # Options: archive export metadata
    ("ccr_options_set_archive_engine", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_archive_container_name", [OptionsP, c_char_p], ErrorP),
    ("ccr_options_set_archive_image", [OptionsP, c_char_p, c_char_p], ErrorP),
    ("ccr_options_set_archive_times", [OptionsP, c_int64, c_int64], ErrorP),
    # Operations
    ("ccr_result_free", [ResultP], None),
    ("ccr_result_pid", [ResultP], c_int),
    ("ccr_result_stat", [POINTER(c_uint64), ResultP, c_enum], c_int),
    ("ccr_result_warning_count", [ResultP], c_size_t),
    ("ccr_result_warning", [ResultP, c_size_t], c_char_p),
    ("ccr_stats_read", [POINTER(ResultP), c_char_p], ErrorP),
    ("ccr_checkpoint", [POINTER(ResultP), ContainerP, OptionsP], ErrorP),
    ("ccr_restore", [POINTER(ResultP), ContainerP, OptionsP], ErrorP),
    # Pods
    ("ccr_pod_new", [POINTER(PodP), c_char_p], ErrorP),
    ("ccr_pod_free", [PodP], None),
    ("ccr_pod_set_cgroup_parent", [PodP, c_char_p], ErrorP),
    ("ccr_pod_set_network_ns", [PodP, c_char_p], ErrorP),
    ("ccr_pod_add_container", [PodP, ContainerP, OptionsP], ErrorP),
    ("ccr_pod_result_free", [PodResultP], None),
    ("ccr_pod_result_count", [PodResultP], c_size_t),
    ("ccr_pod_result_container_id", [PodResultP, c_size_t], c_char_p),
    ("ccr_pod_result_container", [PodResultP, c_size_t], ResultP),
    ("ccr_pod_stat_of", [POINTER(c_uint64), PodResultP, c_enum], c_int),
    ("ccr_pod_result_warning_count", [PodResultP], c_size_t),
    ("ccr_pod_result_warning", [PodResultP, c_size_t], c_char_p),
    ("ccr_pod_checkpoint", [POINTER(PodResultP), PodP, c_char_p, OptionsP], ErrorP),
    ("ccr_pod_restore", [POINTER(PodResultP), PodP, c_char_p, OptionsP], ErrorP),
    ("ccr_pod_archive_export", [c_char_p, c_char_p, OptionsP], ErrorP),
    ("ccr_pod_archive_import", [c_char_p, c_char_p, OptionsP], ErrorP),
    ("ccr_notify_container", [NotifyP], c_char_p),
    # CRIU queries
    ("ccr_criu_version", [POINTER(c_uint), OptionsP], ErrorP),
    ("ccr_criu_features", [POINTER(c_uint), OptionsP], ErrorP),
    # The host
    ("ccr_host_cgroup_layout", [POINTER(c_int), POINTER(c_int)], ErrorP),
    # Checkpoint archives
    ("ccr_archive_export", [c_char_p, ContainerP, OptionsP, c_char_p], ErrorP),
    ("ccr_archive_import", [c_char_p, c_char_p], ErrorP),
    ("ccr_archive_import_with_options", [c_char_p, c_char_p, OptionsP], ErrorP),
]


# --- Strings --------------------------------------------------------------------


def text(value: Optional[bytes]) -> Optional[str]:
    """A string libccr returned (message, script name) as str; None stays None."""
    if value is None:
        return None
    return value.decode("utf-8", "replace")


def path_text(value: Optional[bytes]) -> Optional[str]:
    """A path libccr returned, decoded like os.fsdecode (lossless)."""
    if value is None:
        return None
    return os.fsdecode(value)


# --- The one place errors are checked and freed -------------------------------

def error_from_pointer(lib: ctypes.CDLL, err: Any) -> errors.CcrError:
    """Reads everything from a non-NULL ``ccr_error *`` into an exception.

    Does not free `err`; the checker of :func:`_error_checker` does, right after.
    """
    code = int(lib.ccr_error_code_of(err))
    cls = errors.error_class(code)
    return cls(
        text(lib.ccr_error_message(err)) or "(no message)",
        code=code,
        code_name=text(lib.ccr_error_code_name(code)),
        errno=int(lib.ccr_error_errno(err)),
        criu_errno=int(lib.ccr_error_criu_errno(err)),
        criu_message=text(lib.ccr_error_criu_message(err)),
        log_path=path_text(lib.ccr_error_log_path(err)),
        log_excerpt=text(lib.ccr_error_log_excerpt(err)),
    )


def _error_checker(lib: ctypes.CDLL) -> Callable[[Any, Any, Any], None]:
    """The ctypes errcheck of every function of `lib` returning ``ccr_error *``:
    NULL is success; anything else is read into an exception, freed, and the
    exception raised."""

    def check(result: Any, func: Any, args: Any) -> None:
        if not result:
            return None
        try:
            exc = error_from_pointer(lib, result)
        finally:
            lib.ccr_error_free(result)
        raise exc

    return check


# --- Finding and loading the library -------------------------------------------


def _how_to_find() -> str:
    return (
        "set CCR_LIBRARY to the path of libccr.so.0, or make "
        "`pkg-config --variable=libdir ccr` find it (set PKG_CONFIG_PATH to the "
        "directory holding ccr.pc), or install it where the dynamic loader looks "
        f"for {SONAME} (ldconfig, LD_LIBRARY_PATH)"
    )


def _pkg_config_libdir() -> Tuple[Optional[str], str]:
    """(libdir, why not) from pkg-config."""
    exe = shutil.which("pkg-config")
    if exe is None:
        return None, "pkg-config is not installed"
    try:
        proc = subprocess.run(
            [exe, "--variable=libdir", "ccr"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"pkg-config failed: {e}"
    libdir = proc.stdout.strip()
    if proc.returncode != 0 or not libdir:
        why = proc.stderr.strip().splitlines()
        return None, "pkg-config does not know ccr" + (f" ({why[0]})" if why else "")
    return libdir, ""


def _loaded_path(lib: ctypes.CDLL, fallback: str) -> str:
    """The file the dynamic loader actually opened for `lib`."""

    class DlInfo(ctypes.Structure):
        _fields_ = [
            ("dli_fname", c_char_p),
            ("dli_fbase", c_void_p),
            ("dli_sname", c_char_p),
            ("dli_saddr", c_void_p),
        ]

    try:
        dladdr = ctypes.CDLL(None).dladdr
        dladdr.argtypes = [c_void_p, POINTER(DlInfo)]
        dladdr.restype = c_int
        info = DlInfo()
        addr = ctypes.cast(lib.ccr_version, c_void_p)
        if dladdr(addr, ctypes.byref(info)) and info.dli_fname:
            return os.fsdecode(info.dli_fname)
    except (AttributeError, OSError):
        pass
    return fallback


def find_library() -> Tuple[ctypes.CDLL, str]:
    """Opens libccr the first way that works; (library, path)."""
    mode = getattr(os, "RTLD_NOW", 0) | getattr(os, "RTLD_LOCAL", 0)
    env = os.environ.get("CCR_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env, mode=mode), env
        except OSError as e:
            raise errors.LibraryNotFound(
                f"cannot load libccr from CCR_LIBRARY={env}: {e}. Unset CCR_LIBRARY "
                "to search with pkg-config and the dynamic loader."
            ) from None

    tried: List[str] = ["CCR_LIBRARY is not set"]
    libdir, why = _pkg_config_libdir()
    if libdir is not None:
        path = os.path.join(os.path.normpath(libdir), SONAME)
        try:
            return ctypes.CDLL(path, mode=mode), path
        except OSError as e:
            tried.append(f"pkg-config says libdir={libdir}, but loading {path} failed: {e}")
    else:
        tried.append(why)

    try:
        lib = ctypes.CDLL(SONAME, mode=mode)
        return lib, _loaded_path(lib, SONAME)
    except OSError as e:
        tried.append(f"the dynamic loader cannot open {SONAME}: {e}")

    raise errors.LibraryNotFound(
        "cannot find libccr: " + "; ".join(tried) + ". To fix it, " + _how_to_find() + "."
    )


def _version_tuple(number: int) -> Tuple[int, int, int]:
    return (number // 10000, number // 100 % 100, number % 100)


def _dotted(v: Tuple[int, int, int]) -> str:
    return ".".join(str(x) for x in v)


def apply_prototypes(lib: ctypes.CDLL, path: str) -> None:
    """Applies :data:`PROTOTYPES` to `lib`; raises LibraryTooOld when it lacks
    a function or is older than :data:`REQUIRED_VERSION`."""
    missing: List[str] = []
    check = _error_checker(lib)
    for name, argtypes, restype in PROTOTYPES:
        try:
            func = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        func.argtypes = argtypes
        func.restype = restype
        if restype is ErrorP:
            func.errcheck = check

    have: Optional[Tuple[int, int, int]] = None
    if "ccr_version" not in missing:
        have = _version_tuple(int(lib.ccr_version()))
    have_text = _dotted(have) if have is not None else "(of unknown version)"
    need_text = _dotted(REQUIRED_VERSION)

    if have is not None and have[0] != REQUIRED_VERSION[0]:
        raise errors.LibraryTooOld(
            f"libccr {have_text} at {path} is not compatible with this binding, "
            f"which needs {REQUIRED_VERSION[0]}.x (at least {need_text}). "
            + "To use another libccr, "
            + _how_to_find()
            + "."
        )
    if missing:
        problem = "missing " + ", ".join(missing)
    elif have is None or have < REQUIRED_VERSION:
        problem = f"version {have_text} < {need_text}"
    else:
        return
    raise errors.LibraryTooOld(
        f"libccr {have_text} at {path} is older than this binding needs ({need_text}): "
        + problem
        + ". To use a newer libccr, "
        + _how_to_find()
        + "."
    )


def load(path: Optional[str] = None) -> Tuple[ctypes.CDLL, str]:
    """Loads and checks libccr; `path` bypasses the search. The binding uses
    the library loaded at import (:data:`lib`); this is for checking others."""
    if path is None:
        cdll, found = find_library()
    else:
        try:
            cdll, found = ctypes.CDLL(path), path
        except OSError as e:
            raise errors.LibraryNotFound(f"cannot load libccr from {path}: {e}") from None
    apply_prototypes(cdll, found)
    return cdll, found


#: The loaded libccr, with every prototype applied, and where it came from.
lib, library_path = load()
