// SPDX-License-Identifier: Apache-2.0
//! What an operation produced (`ccr_result`): the restored pid, statistics
//! and warnings, copied out of the C result so it outlives it.

use std::path::Path;

use crate::error::{check, Result};
use crate::stats::{Stat, Stats};
use crate::sys;
use crate::util::c_path;

/// What an operation produced (`ccr_result`, copied out): the restored pid,
/// the operation's statistics and its warnings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pid: i32,
    stats: Stats,
    warnings: Vec<String>,
}

impl Outcome {
    /// Copies `result` out.
    ///
    /// # Safety
    ///
    /// `result` is a live `ccr_result` no one modifies meanwhile.
    pub(crate) unsafe fn from_result(result: *const sys::ccr_result) -> Outcome {
        let count = sys::ccr_result_warning_count(result);
        let warnings = (0..count)
            .filter_map(|i| {
                let text = sys::ccr_result_warning(result, i);
                (!text.is_null()).then(|| {
                    std::ffi::CStr::from_ptr(text)
                        .to_string_lossy()
                        .into_owned()
                })
            })
            .collect();
        Outcome {
            pid: sys::ccr_result_pid(result),
            stats: Stats::from_result(result),
            warnings,
        }
    }

    /// What failed after CRIU had dumped or restored the container (its
    /// statistics could not be read, say), one line each
    /// (`ccr_result_warning`). The operation succeeded all the same.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// One statistic of the operation (`ccr_result_stat`), or `None` when
    /// CRIU did not report it or it belongs to the other operation.
    pub fn stat(&self, which: Stat) -> Option<u64> {
        self.stats.get(which)
    }

    /// Every statistic known, as `(Stat, value)` in `ccr.h`'s order.
    pub fn stats(&self) -> impl Iterator<Item = (Stat, u64)> + '_ {
        self.stats.iter()
    }

    /// The restored container's init pid as seen from the caller (restore);
    /// `None` for a checkpoint.
    ///
    /// The restored init is a **child of the calling process** (CRIU's
    /// `rst_sibling`): the caller, or its subreaper, must reap it
    /// (`waitpid`) once it exits.
    pub fn pid(&self) -> Option<i32> {
        (self.pid > 0).then_some(self.pid)
    }
}

/// Reads the statistics CRIU left in a work directory (`ccr_stats_read`):
/// its `stats-dump` and `stats-restore`, whichever exist (the images
/// directory unless [`Options::work_dir`](crate::Options::work_dir) was
/// set), for looking at a checkpoint after the fact. ccr's clock statistics
/// ([`Stat::WallTimeUs`], ...) are never among them; [`Outcome::pid`] is
/// `None`.
///
/// Errors: [`ErrorCode::NotFound`](crate::ErrorCode::NotFound) when the
/// directory has neither file, [`ErrorCode::Image`](crate::ErrorCode::Image)
/// when one is malformed.
pub fn read_stats(work_dir: impl AsRef<Path>) -> Result<Outcome> {
    let dir = c_path(work_dir.as_ref(), "work directory")?;
    let mut result: *mut sys::ccr_result = std::ptr::null_mut();
    // SAFETY: a valid C string and out pointer; the result is ours to free.
    unsafe {
        check(sys::ccr_stats_read(&mut result, dir.as_ptr()))?;
        let outcome = Outcome::from_result(result);
        sys::ccr_result_free(result);
        Ok(outcome)
    }
}
