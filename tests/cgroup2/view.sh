#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command in a cgroup-v2-only view of this host, without changing the
# host: in a private mount namespace, the host's cgroup2 hierarchy replaces
# whatever is mounted at /sys/fs/cgroup (a hybrid host's v1 hierarchies and
# their tmpfs). runc then runs in unified mode and CRIU freezes with
# cgroup.freeze, as on a v2-only host. On a host that is v2-only already the
# command runs as it is.
#
# The hierarchy comes in as a bind of the host's own cgroup2 mount, never a
# fresh cgroup2 mount: a fresh one would re-apply (empty) mount options to
# the one cgroup2 superblock the host shares.
#
# Usage: bash tests/cgroup2/view.sh COMMAND [ARGS...]   (root)
# In the view CCR_CGROUP_VIEW=v2 is set, so a test can tell which pass it is.
set -euo pipefail

if [ "${CCR_CGROUP_VIEW:-}" != v2 ]; then
	export CCR_CGROUP_VIEW=v2
	# Private propagation: nothing unmounted or mounted here reaches the host.
	exec unshare --mount --propagation private -- bash "$0" "$@"
fi

if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
	v2=$(findmnt -rn -t cgroup2 -o TARGET | head -n1)
	if [ -z "$v2" ]; then
		echo "cgroup2/view.sh: the host has no cgroup2 hierarchy mounted" >&2
		exit 1
	fi
	keep=$(mktemp -d /tmp/ccr-cgroup2-view.XXXXXX)
	mount --bind "$v2" "$keep"
	# Deepest first: every v1 hierarchy, the unified sidecar, then the tmpfs.
	findmnt -rn -R -o TARGET /sys/fs/cgroup | sort -r | while read -r m; do
		umount -l "$m"
	done
	mount --move "$keep" /sys/fs/cgroup
	rmdir "$keep"
fi
exec "$@"
