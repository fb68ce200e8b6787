#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checkpoint a running runc container and restore it, with the ccr binding.

    sudo python3 migrate.py --id web1 --bundle /run/bundles/web1 \\
        --runc-root /run/runc --images /var/lib/ckpt/web1

The container's init pid comes from --pid, or from `runc --root R state ID`.
The restore uses the same bundle (its config.json, rootfs and cgroupsPath),
under --restore-id if given. Where the container had pipes for stdio, the
restored one gets this script's own stdin, stdout and stderr, so this script
reports on stderr only. The restored init is this script's child; with
--wait the script waits for it, otherwise it is left to run on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any, Dict

import libccr as ccr


def log(message: str) -> None:
    print(f"migrate: {message}", file=sys.stderr, flush=True)


def runc_pid(runc_root: str, container_id: str) -> int:
    out = subprocess.run(
        ["runc", "--root", runc_root, "state", container_id],
        capture_output=True, text=True, check=True,
    ).stdout
    state = json.loads(out)
    if state.get("status") != "running":
        raise SystemExit(f"migrate: container {container_id} is {state.get('status')}, not running")
    return int(state["pid"])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--id", required=True, help="the container's id")
    p.add_argument("--bundle", required=True, help="the container's OCI bundle directory")
    p.add_argument("--images", required=True, help="the images directory (created 0700)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--pid", type=int, help="the container's init pid")
    who.add_argument("--runc-root", help="runc's --root, to ask runc for the pid")
    p.add_argument("--restore-id", help="restore under this id instead (needs its own cgroupsPath)")
    p.add_argument("--leave-running", action="store_true", help="keep the original running")
    p.add_argument("--criu", help="the CRIU binary (default: criu from PATH)")
    p.add_argument("--timeout", type=float, default=0, help="time limit per operation, seconds")
    p.add_argument("--verbose", "-v", action="store_true", help="print CRIU's notifications")
    p.add_argument("--wait", action="store_true", help="wait for the restored container to exit")
    args = p.parse_args()

    pid = args.pid if args.pid is not None else runc_pid(args.runc_root, args.id)
    bundle = os.path.abspath(args.bundle)
    images = os.path.abspath(args.images)

    def notify(script: str, pid: int, fd: int) -> None:
        if args.verbose:
            log(f"  {script}" + (f" (pid {pid})" if pid else ""))

    common: Dict[str, Any] = {"notify": notify, "timeout_ms": int(args.timeout * 1000)}
    if args.criu:
        common["criu_path"] = args.criu

    try:
        log(f"criu {ccr.criu_version(criu_path=args.criu)}, libccr {ccr.library_version()}")
        log(f"checkpointing {args.id} (pid {pid}) into {images}")
        with ccr.Options(images_dir=images, leave_running=args.leave_running, **common) as opts:
            ccr.checkpoint(ccr.Container(args.id, pid=pid, bundle=bundle), opts)

        new_id = args.restore_id or args.id
        log(f"restoring {new_id} from {images}")
        with ccr.Options(images_dir=images, **common) as opts:
            result = ccr.restore(ccr.Container(new_id, bundle=bundle), opts)
    except ccr.CcrError as e:
        log(e.describe())
        return 1

    log(f"restored {new_id}: init pid {result.pid}")
    if args.wait and result.pid:
        _, status = os.waitpid(result.pid, 0)
        log(f"{new_id} exited with status {os.waitstatus_to_exitcode(status)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
