# SPDX-License-Identifier: Apache-2.0
""":class:`Container`, what ccr needs to know about a container, and the
``ccr_container`` handle built from it for each call."""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Union

from . import _ffi
from ._convert import PathLike, _c_fd, _c_int, _c_opt_text, _c_text

_lib = _ffi.lib


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
