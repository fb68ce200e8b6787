# SPDX-License-Identifier: Apache-2.0
"""The enums of ``ccr.h``, with the same values."""

from __future__ import annotations

import enum

#: The one flag :class:`Options` ``empty_ns`` accepts today.
CLONE_NEWNET = 0x40000000


class CgroupMode(enum.IntEnum):
    """How CRIU handles cgroups (``ccr_cgroup_mode``)."""

    DEFAULT = 0
    SOFT = 1
    FULL = 2
    STRICT = 3
    IGNORE = 4
    NONE = 5
    PROPS = 6


class PreDumpMode(enum.IntEnum):
    """How a pre-dump reads memory (``ccr_pre_dump_mode``)."""

    SPLICE = 1
    READ = 2


class NetworkLock(enum.IntEnum):
    """How CRIU locks the network while it works (``ccr_network_lock``)."""

    DEFAULT = 0  # ccr's choice: nftables where it works, else iptables
    IPTABLES = 1
    NFTABLES = 2
    SKIP = 3


class Stat(enum.IntEnum):
    """Statistics of an operation (``ccr_stat``); times are microseconds."""

    # checkpoint and pre-dump (CRIU's stats-dump)
    FREEZING_TIME_US = 1
    FROZEN_TIME_US = 2
    MEMDUMP_TIME_US = 3
    MEMWRITE_TIME_US = 4
    PAGES_SCANNED = 5
    PAGES_SKIPPED_PARENT = 6
    PAGES_WRITTEN = 7
    PAGES_LAZY = 8
    IRMAP_RESOLVE_US = 9
    PAGE_PIPES = 10
    PAGE_PIPE_BUFS = 11
    SHPAGES_SCANNED = 12
    SHPAGES_SKIPPED_PARENT = 13
    SHPAGES_WRITTEN = 14
    # restore (CRIU's stats-restore)
    PAGES_COMPARED = 20
    PAGES_SKIPPED_COW = 21
    FORKING_TIME_US = 22
    RESTORE_TIME_US = 23
    PAGES_RESTORED = 24
    # ccr's own clock, for every operation
    WALL_TIME_US = 40
    CRIU_TIME_US = 41
    OUTSIDE_CRIU_TIME_US = 42


class Feature(enum.IntFlag):
    """Features a CRIU operation may need (``ccr_feature``)."""

    MEM_TRACK = 1 << 0
    LAZY_PAGES = 1 << 1
    PIDFD_STORE = 1 << 2


class CgroupLayout(enum.IntEnum):
    """How the host's cgroup hierarchies are mounted (``ccr_cgroup_layout``)."""

    NONE = 0  #: no cgroup hierarchy is mounted
    V1 = 1  #: v1 hierarchies only
    HYBRID = 2  #: v1 hierarchies and the v2 one beside them
    V2 = 3  #: the v2 hierarchy alone (unified)


class FreezerKind(enum.IntEnum):
    """The freezer ccr gives CRIU for a container (``ccr_freezer_kind``)."""

    NONE = 0  #: none: CRIU stops the processes with ptrace alone
    V1 = 1  #: the v1 freezer controller (freezer.state)
    V2 = 2  #: the container's v2 cgroup (cgroup.freeze)


class LogLevel(enum.IntEnum):
    """The levels of ccr's own log (``ccr_log_level``), most severe first: a
    ``log_max_level`` passes its own level and every smaller one."""

    ERROR = 1  #: a clean-up ccr could not finish
    WARNING = 2  #: a failure ccr cleaned up after, a fallback
    INFO = 3  #: an operation's start, CRIU's pid, its outcome
    DEBUG = 4  #: each decision and notification: for bug reports
