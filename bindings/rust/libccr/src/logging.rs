// SPDX-License-Identifier: Apache-2.0
//! ccr's own log: [`LogLevel`], and the machinery that runs a Rust closure
//! as a `ccr_log_cb`.
//!
//! As for notify callbacks (see `notify.rs`), the closure is boxed inside a
//! [`LogState`] whose pointer is the C `payload`; libccr calls
//! [`free_state`] when the options are freed or the log is replaced. The C
//! callback returns nothing, so a log line cannot abort an operation: a
//! panic in the closure is caught at the C boundary and kept in the state,
//! later lines are not passed on, and once the C call has returned the
//! panic is resumed on the caller's thread. A panic never unwinds through C.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use libccr_sys as sys;

/// How much of ccr's own log to pass on, and the level of one line
/// (`ccr_log_level`). Ordered from the most severe to the most verbose, so
/// `level <= LogLevel::Info` holds for errors, warnings and infos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// A clean-up ccr could not finish.
    Error,
    /// A failure ccr cleaned up after, or a fallback.
    Warning,
    /// An operation's start, CRIU's pid, the outcome.
    Info,
    /// Each decision and notification: for bug reports.
    Debug,
}

impl LogLevel {
    /// Every level, most severe first.
    pub const ALL: [LogLevel; 4] = [
        LogLevel::Error,
        LogLevel::Warning,
        LogLevel::Info,
        LogLevel::Debug,
    ];

    /// The raw `ccr_log_level` value (`CCR_LOG_ERROR` is 1, ...).
    pub fn raw(self) -> sys::ccr_log_level {
        match self {
            LogLevel::Error => sys::CCR_LOG_ERROR,
            LogLevel::Warning => sys::CCR_LOG_WARNING,
            LogLevel::Info => sys::CCR_LOG_INFO,
            LogLevel::Debug => sys::CCR_LOG_DEBUG,
        }
    }

    /// The level of a raw `ccr_log_level`, or `None` for a value this crate
    /// does not know.
    pub fn from_raw(raw: sys::ccr_log_level) -> Option<LogLevel> {
        LogLevel::ALL.into_iter().find(|l| l.raw() == raw)
    }

    /// "error", "warning", "info" or "debug".
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warning => "warning",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

pub(crate) type Callback = dyn FnMut(LogLevel, &str) + Send;

/// The C payload. Only touched by the thread running an operation (libccr
/// calls the log callback on that thread, one call at a time), or by
/// whoever frees the options.
pub(crate) struct LogState {
    callback: RefCell<Box<Callback>>,
    panic: RefCell<Option<Box<dyn Any + Send + 'static>>>,
}

impl LogState {
    pub(crate) fn new(callback: Box<Callback>) -> Box<LogState> {
        Box::new(LogState {
            callback: RefCell::new(callback),
            panic: RefCell::new(None),
        })
    }

    /// Forgets a panic left over from an earlier call.
    pub(crate) fn reset(&self) {
        self.panic.replace(None);
    }

    /// The closure's panic during the last call, if any.
    pub(crate) fn take_panic(&self) -> Option<Box<dyn Any + Send + 'static>> {
        self.panic.take()
    }
}

/// The `ccr_log_cb` for every closure.
pub(crate) unsafe extern "C" fn trampoline(
    level: sys::ccr_log_level,
    message: *const c_char,
    payload: *mut c_void,
) {
    if payload.is_null() {
        return;
    }
    // SAFETY: payload is the LogState installed with this trampoline;
    // libccr keeps it alive until the finalizer runs, which cannot happen
    // during an operation (the options are borrowed by it).
    let state = &*(payload as *const LogState);
    // After a panic the closure may be in a broken state: drop the lines
    // until the operation returns and the panic is resumed.
    match state.panic.try_borrow() {
        Ok(p) if p.is_none() => {}
        _ => return,
    }
    // A line logged while the closure runs (it cannot be, as calls never
    // overlap and the closure cannot reach these options) is dropped.
    let Ok(mut callback) = state.callback.try_borrow_mut() else {
        return;
    };
    // A level from a newer libccr: no more severe than the ones known.
    let level = LogLevel::from_raw(level).unwrap_or(if level < sys::CCR_LOG_ERROR {
        LogLevel::Error
    } else {
        LogLevel::Debug
    });
    // SAFETY: a valid C string for the duration of the call, per ccr.h.
    let text = if message.is_null() {
        "".into()
    } else {
        CStr::from_ptr(message).to_string_lossy()
    };
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| (*callback)(level, &text))) {
        drop(callback);
        if let Ok(mut p) = state.panic.try_borrow_mut() {
            *p = Some(panic);
        }
    }
}

/// The finalizer libccr calls with the payload.
pub(crate) unsafe extern "C" fn free_state(payload: *mut c_void) {
    if payload.is_null() {
        return;
    }
    // SAFETY: payload came from Box::into_raw in Options::log.
    let state = Box::from_raw(payload as *mut LogState);
    // Dropping the closure (or a panic payload never resumed) runs user
    // code; a panic there must not unwind into C. Its payload is leaked
    // rather than dropped, since dropping it could panic again.
    if let Err(panic) = catch_unwind(AssertUnwindSafe(move || drop(state))) {
        std::mem::forget(panic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;
    use std::sync::{Arc, Mutex};

    #[test]
    fn levels_match_the_header_and_order_by_verbosity() {
        assert_eq!(LogLevel::Error.raw(), 1);
        assert_eq!(LogLevel::Debug.raw(), 4);
        for l in LogLevel::ALL {
            assert_eq!(LogLevel::from_raw(l.raw()), Some(l));
            assert_eq!(l.to_string(), l.name());
        }
        assert_eq!(LogLevel::from_raw(0), None);
        assert_eq!(LogLevel::from_raw(5), None);
        assert!(LogLevel::Error < LogLevel::Warning);
        assert!(LogLevel::Warning < LogLevel::Info);
        assert!(LogLevel::Info < LogLevel::Debug);
    }

    /// Calls the trampoline as libccr would.
    fn call(state: &LogState, level: sys::ccr_log_level, message: &[u8]) {
        let c = CString::new(message).unwrap();
        unsafe { trampoline(level, c.as_ptr(), state as *const LogState as *mut c_void) };
    }

    #[test]
    fn trampoline_passes_lines_and_keeps_a_panic_for_later() {
        let seen: Arc<Mutex<Vec<(LogLevel, String)>>> = Default::default();
        let record = Arc::clone(&seen);
        let state = LogState::new(Box::new(move |level: LogLevel, line: &str| {
            record.lock().unwrap().push((level, line.to_string()));
            if line == "boom" {
                panic!("panicked on {line}");
            }
        }));
        call(&state, sys::CCR_LOG_INFO, b"first");
        call(&state, sys::CCR_LOG_DEBUG, b"not utf-8: \xff");
        call(&state, 9, b"a newer level");
        call(&state, sys::CCR_LOG_WARNING, b"boom");
        call(&state, sys::CCR_LOG_ERROR, b"after the panic");
        assert_eq!(
            *seen.lock().unwrap(),
            [
                (LogLevel::Info, "first".to_string()),
                (LogLevel::Debug, "not utf-8: \u{fffd}".to_string()),
                (LogLevel::Debug, "a newer level".to_string()),
                (LogLevel::Warning, "boom".to_string()),
            ],
            "the line after the panic is dropped"
        );
        let panic = state.take_panic().expect("the panic is kept");
        assert_eq!(
            panic.downcast_ref::<String>().map(String::as_str),
            Some("panicked on boom")
        );
        // Once taken, the closure runs again.
        call(&state, sys::CCR_LOG_INFO, b"next operation");
        assert_eq!(seen.lock().unwrap().len(), 5);
        assert!(state.take_panic().is_none());
        unsafe { free_state(Box::into_raw(state).cast()) };
    }
}
