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

from . import _ffi
from ._convert import PathLike as PathLike

# _SETTERS (keyword -> C setter) stays reachable as libccr._SETTERS, as before.
from ._option_values import _SETTERS as _SETTERS
from ._option_values import TLS
from .archive import export_archive, import_archive
from .callbacks import LOGGING_LEVELS, LogCallback, NotifyCallback, log_to_logger
from .container import Container
from .enums import (
    CLONE_NEWNET,
    CgroupLayout,
    CgroupMode,
    Feature,
    FreezerKind,
    LogLevel,
    NetworkLock,
    PreDumpMode,
    Stat,
)
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
from .operations import Result, checkpoint, read_stats, restore
from .options import Options
from .pod import PodResult, export_pod_archive, import_pod_archive, pod_checkpoint, pod_restore
from .queries import CriuVersion, criu_features, criu_version, host_cgroups, library_version

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
    "export_pod_archive",
    "import_pod_archive",
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

#: Where the libccr in use was loaded from.
library_path: str = _ffi.library_path
