# SPDX-License-Identifier: Apache-2.0
"""What libccr, CRIU and the host are: versions, features, cgroup layout."""

from __future__ import annotations

import ctypes
from typing import Any, NamedTuple, Optional, Set, Tuple

from . import _ffi
from ._convert import PathLike
from .enums import CgroupLayout, Feature, FreezerKind
from .operations import _call_with
from .options import Options

_lib = _ffi.lib


def library_version() -> str:
    """The version of the libccr in use, "MAJOR.MINOR.PATCH"."""
    return _ffi.text(_lib.ccr_version_string()) or ""


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
