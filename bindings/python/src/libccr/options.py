# SPDX-License-Identifier: Apache-2.0
""":class:`Options`: how an operation runs, as one ``ccr_options`` handle."""

from __future__ import annotations

import ctypes
import datetime
import threading
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Tuple, Union

from . import _ffi
from ._convert import PathLike, _c_enum, _invalid
from ._option_values import _SETTERS, TLS
from .callbacks import LogCallback, NotifyCallback
from .enums import CgroupMode, LogLevel, NetworkLock, PreDumpMode

_lib = _ffi.lib


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
        network_lock: a :class:`NetworkLock` or its name (checkpoint; a
            restore uses the method the images record).
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
        cgroup_props: which cgroup properties CRIU saves into the images,
            YAML; CRIU reads them while dumping only (checkpoint).
        cgroup_props_file: the same, from a file (checkpoint).
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
