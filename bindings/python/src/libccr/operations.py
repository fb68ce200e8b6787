# SPDX-License-Identifier: Apache-2.0
""":func:`checkpoint`, :func:`restore` and :func:`read_stats`: the calls that
run CRIU, their :class:`Result`, and how a call's failures are raised."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from . import _ffi
from ._convert import PathLike, _c_text
from .container import Container
from .enums import Stat
from .errors import CcrError
from .options import Options

_lib = _ffi.lib


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
