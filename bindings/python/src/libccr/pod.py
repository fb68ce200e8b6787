# SPDX-License-Identifier: Apache-2.0
""":func:`pod_checkpoint` and :func:`pod_restore`: several containers of one
pod at one freeze (docs/pod.md), and their :class:`PodResult`."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple

from . import _ffi
from ._convert import PathLike, _c_text
from .container import Container
from .errors import CcrError
from .operations import Result, _call_with, _finish_call, _read_stats, _read_warnings
from .options import Options

_lib = _ffi.lib


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


def export_pod_archive(path: PathLike, directory: PathLike, options: Optional[Options] = None) -> None:
    """Writes the pod checkpoint in `directory` (what :func:`pod_checkpoint`
    wrote) as one tar at `path`, 0600, complete or not at all
    (ccr_pod_archive_export). ``options.cancel()`` stops it."""
    opts = options if options is not None else Options()
    if not isinstance(opts, Options):
        raise TypeError(f"options must be a ccr.Options, not {type(opts).__name__}")
    archive, source = _c_text("path", path), _c_text("directory", directory)
    _call_with(opts, _lib.ccr_pod_archive_export, archive, source, opts._handle)


def import_pod_archive(path: PathLike, dest_dir: PathLike, options: Optional[Options] = None) -> None:
    """Unpacks a pod archive into `dest_dir`, which must not exist, under the
    rules of :func:`import_archive` (ccr_pod_archive_import); restore it with
    :func:`pod_restore`, whose cgroup parent and network namespace are yours."""
    archive, dest = _c_text("path", path), _c_text("dest_dir", dest_dir)
    if options is None:
        _lib.ccr_pod_archive_import(archive, dest, None)
        return
    if not isinstance(options, Options):
        raise TypeError(f"options must be a ccr.Options, not {type(options).__name__}")
    _call_with(options, _lib.ccr_pod_archive_import, archive, dest, options._handle)
