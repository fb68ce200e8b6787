// SPDX-License-Identifier: Apache-2.0
//! Statistics of an operation (`ccr_stat`, `ccr_result_stat`,
//! `ccr_stats_read`).

use std::fmt;

use crate::sys;

macro_rules! stats {
    ($( $(#[$doc:meta])* $variant:ident = $c:ident, $name:literal; )*) => {
        /// One statistic of an operation (`ccr_stat`). Times are
        /// microseconds.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Stat {
            $( $(#[$doc])* $variant, )*
        }

        impl Stat {
            /// Every statistic, in `ccr.h`'s order.
            pub const ALL: &'static [Stat] = &[$( Stat::$variant, )*];

            /// The `ccr_stat` value.
            pub fn raw(self) -> sys::ccr_stat {
                match self {
                    $( Stat::$variant => sys::$c, )*
                }
            }

            /// The statistic of a `ccr_stat` value, if this crate knows it.
            pub fn from_raw(raw: sys::ccr_stat) -> Option<Stat> {
                match raw {
                    $( sys::$c => Some(Stat::$variant), )*
                    _ => None,
                }
            }

            /// The name as `ccr.h` spells it, in lower case without the
            /// `CCR_STAT_` prefix: `"pages_written"`.
            pub fn name(self) -> &'static str {
                match self {
                    $( Stat::$variant => $name, )*
                }
            }
        }
    };
}

stats! {
    /// Freezing the container (checkpoint, pre-dump).
    FreezingTimeUs = CCR_STAT_FREEZING_TIME_US, "freezing_time_us";
    /// The container was frozen (checkpoint, pre-dump).
    FrozenTimeUs = CCR_STAT_FROZEN_TIME_US, "frozen_time_us";
    /// Collecting memory, within the frozen time (checkpoint, pre-dump).
    MemdumpTimeUs = CCR_STAT_MEMDUMP_TIME_US, "memdump_time_us";
    /// Writing memory out, within memdump (checkpoint, pre-dump).
    MemwriteTimeUs = CCR_STAT_MEMWRITE_TIME_US, "memwrite_time_us";
    /// Pages scanned (checkpoint, pre-dump).
    PagesScanned = CCR_STAT_PAGES_SCANNED, "pages_scanned";
    /// Pages unchanged since the parent images (checkpoint, pre-dump).
    PagesSkippedParent = CCR_STAT_PAGES_SKIPPED_PARENT, "pages_skipped_parent";
    /// Pages written (checkpoint, pre-dump).
    PagesWritten = CCR_STAT_PAGES_WRITTEN, "pages_written";
    /// Pages left to be served lazily (checkpoint, pre-dump).
    PagesLazy = CCR_STAT_PAGES_LAZY, "pages_lazy";
    /// Resolving inotify paths (checkpoint, pre-dump).
    IrmapResolveUs = CCR_STAT_IRMAP_RESOLVE_US, "irmap_resolve_us";
    /// Page pipes used (checkpoint, pre-dump).
    PagePipes = CCR_STAT_PAGE_PIPES, "page_pipes";
    /// Page pipe buffers used (checkpoint, pre-dump).
    PagePipeBufs = CCR_STAT_PAGE_PIPE_BUFS, "page_pipe_bufs";
    /// Shared memory pages scanned (checkpoint, pre-dump).
    ShpagesScanned = CCR_STAT_SHPAGES_SCANNED, "shpages_scanned";
    /// Shared memory pages unchanged since the parent (checkpoint, pre-dump).
    ShpagesSkippedParent = CCR_STAT_SHPAGES_SKIPPED_PARENT, "shpages_skipped_parent";
    /// Shared memory pages written (checkpoint, pre-dump).
    ShpagesWritten = CCR_STAT_SHPAGES_WRITTEN, "shpages_written";
    /// Pages compared (restore).
    PagesCompared = CCR_STAT_PAGES_COMPARED, "pages_compared";
    /// Pages skipped as copy-on-write (restore).
    PagesSkippedCow = CCR_STAT_PAGES_SKIPPED_COW, "pages_skipped_cow";
    /// Creating the process tree (restore).
    ForkingTimeUs = CCR_STAT_FORKING_TIME_US, "forking_time_us";
    /// The whole restore, as CRIU counts it (restore).
    RestoreTimeUs = CCR_STAT_RESTORE_TIME_US, "restore_time_us";
    /// Pages restored (restore).
    PagesRestored = CCR_STAT_PAGES_RESTORED, "pages_restored";
    /// ccr's clock: the whole call (every operation).
    WallTimeUs = CCR_STAT_WALL_TIME_US, "wall_time_us";
    /// ccr's clock: from CRIU's start to its final answer (every operation).
    CriuTimeUs = CCR_STAT_CRIU_TIME_US, "criu_time_us";
    /// ccr's clock: wall time minus CRIU time, ccr's overhead (every operation).
    OutsideCriuTimeUs = CCR_STAT_OUTSIDE_CRIU_TIME_US, "outside_criu_time_us";
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The statistics of one operation, copied out of a `ccr_result`: one
/// optional value per [`Stat`]. Those CRIU did not report, or that belong to
/// the other operation, are `None`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Stats {
    values: [Option<u64>; Stat::ALL.len()],
}

impl Stats {
    /// Reads every known statistic of `result` (`ccr_result_stat`).
    ///
    /// # Safety
    ///
    /// `result` is a live `ccr_result` no one modifies meanwhile.
    pub(crate) unsafe fn from_result(result: *const sys::ccr_result) -> Stats {
        let mut stats = Stats::default();
        for (slot, which) in stats.values.iter_mut().zip(Stat::ALL) {
            let mut v = 0u64;
            if sys::ccr_result_stat(&mut v, result, which.raw()) == 1 {
                *slot = Some(v);
            }
        }
        stats
    }

    /// One statistic, if known.
    pub(crate) fn get(&self, which: Stat) -> Option<u64> {
        Stat::ALL
            .iter()
            .position(|s| *s == which)
            .and_then(|i| self.values[i])
    }

    /// The known statistics, in `ccr.h`'s order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Stat, u64)> + '_ {
        Stat::ALL
            .iter()
            .zip(self.values.iter())
            .filter_map(|(s, v)| v.map(|v| (*s, v)))
    }
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(s, v)| (s.name(), v)))
            .finish()
    }
}
