# SPDX-License-Identifier: Apache-2.0
""":func:`export_archive` and :func:`import_archive`: Kubernetes-style
checkpoint archives."""

from __future__ import annotations

from typing import Optional

from . import _ffi
from ._convert import PathLike, _c_opt_text, _c_text
from .container import Container
from .operations import _call_with
from .options import Options

_lib = _ffi.lib


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
