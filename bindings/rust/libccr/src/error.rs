// SPDX-License-Identifier: Apache-2.0
//! [`Error`]: everything libccr's `ccr_error` carries, copied into Rust
//! values, plus the error a notify closure returned.

use std::ffi::{c_char, CStr};
use std::fmt;
use std::path::{Path, PathBuf};

use libccr_sys as sys;

/// The error type a notify closure may return, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `std::result::Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The stable error codes of `ccr.h` (`ccr_error_code`), one variant each.
///
/// `CCR_OK` has no variant: an [`Error`] never carries it. Codes a newer
/// libccr adds show up as [`ErrorCode::Unknown`] until this crate learns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `CCR_ERR_INVALID_ARGUMENT`: an argument is wrong (bad id, empty path,
    /// a string with a NUL byte, ...).
    InvalidArgument,
    /// `CCR_ERR_NO_MEMORY`.
    NoMemory,
    /// `CCR_ERR_SYSTEM`: a system call failed; see [`Error::errno`].
    System,
    /// `CCR_ERR_NOT_FOUND`: the pid, a directory or the CRIU binary does not exist.
    NotFound,
    /// `CCR_ERR_CONFIG`: the OCI config.json is unreadable or invalid.
    Config,
    /// `CCR_ERR_UNSAFE_PATH`: a path leaves the rootfs or is unsafe.
    UnsafePath,
    /// `CCR_ERR_CRIU_START`: CRIU could not be started.
    CriuStart,
    /// `CCR_ERR_CRIU_FAILED`: CRIU said the operation failed; see
    /// [`Error::criu_message`] and [`Error::log_excerpt`].
    CriuFailed,
    /// `CCR_ERR_CRIU_DIED`: CRIU exited in the middle of the operation.
    CriuDied,
    /// `CCR_ERR_PROTOCOL`: CRIU sent something ccr cannot read.
    Protocol,
    /// `CCR_ERR_UNSUPPORTED`: CRIU or the kernel lacks a feature the options need.
    Unsupported,
    /// `CCR_ERR_CALLBACK`: the notify closure returned `Err`; that error is
    /// this error's [`source`](std::error::Error::source).
    Callback,
    /// `CCR_ERR_TIMEOUT`: [`Options::timeout`](crate::Options::timeout) ran out.
    Timeout,
    /// `CCR_ERR_CANCELED`: [`Canceller::cancel`](crate::Canceller::cancel) was called.
    Canceled,
    /// `CCR_ERR_IMAGE`: a file in the images directory is missing or malformed.
    Image,
    /// `CCR_ERR_INTERNAL`: a bug in ccr.
    Internal,
    /// A code this crate does not know (from a newer libccr), or `CCR_OK`
    /// on a non-NULL error object (a libccr bug).
    Unknown(u32),
}

impl ErrorCode {
    const TABLE: [(sys::ccr_error_code, ErrorCode, &'static str); 16] = [
        (
            sys::CCR_ERR_INVALID_ARGUMENT,
            ErrorCode::InvalidArgument,
            "invalid-argument",
        ),
        (sys::CCR_ERR_NO_MEMORY, ErrorCode::NoMemory, "no-memory"),
        (sys::CCR_ERR_SYSTEM, ErrorCode::System, "system"),
        (sys::CCR_ERR_NOT_FOUND, ErrorCode::NotFound, "not-found"),
        (sys::CCR_ERR_CONFIG, ErrorCode::Config, "config"),
        (
            sys::CCR_ERR_UNSAFE_PATH,
            ErrorCode::UnsafePath,
            "unsafe-path",
        ),
        (sys::CCR_ERR_CRIU_START, ErrorCode::CriuStart, "criu-start"),
        (
            sys::CCR_ERR_CRIU_FAILED,
            ErrorCode::CriuFailed,
            "criu-failed",
        ),
        (sys::CCR_ERR_CRIU_DIED, ErrorCode::CriuDied, "criu-died"),
        (sys::CCR_ERR_PROTOCOL, ErrorCode::Protocol, "protocol"),
        (
            sys::CCR_ERR_UNSUPPORTED,
            ErrorCode::Unsupported,
            "unsupported",
        ),
        (sys::CCR_ERR_CALLBACK, ErrorCode::Callback, "callback"),
        (sys::CCR_ERR_TIMEOUT, ErrorCode::Timeout, "timeout"),
        (sys::CCR_ERR_CANCELED, ErrorCode::Canceled, "canceled"),
        (sys::CCR_ERR_IMAGE, ErrorCode::Image, "image"),
        (sys::CCR_ERR_INTERNAL, ErrorCode::Internal, "internal"),
    ];

    /// Every known code, in `ccr_error_code` order.
    pub fn all() -> impl Iterator<Item = ErrorCode> {
        Self::TABLE.iter().map(|&(_, code, _)| code)
    }

    /// The code for a raw `ccr_error_code` value.
    pub fn from_raw(raw: u32) -> ErrorCode {
        Self::TABLE
            .iter()
            .find(|&&(r, _, _)| r == raw)
            .map_or(ErrorCode::Unknown(raw), |&(_, code, _)| code)
    }

    /// The raw `ccr_error_code` value.
    pub fn raw(self) -> u32 {
        match self {
            ErrorCode::Unknown(raw) => raw,
            known => Self::TABLE
                .iter()
                .find(|&&(_, code, _)| code == known)
                .map_or(0, |&(r, _, _)| r),
        }
    }

    /// The short, stable name libccr gives the code (`ccr_error_code_name`):
    /// "criu-failed", "not-found", ...; "unknown" for [`ErrorCode::Unknown`].
    pub fn name(self) -> &'static str {
        Self::TABLE
            .iter()
            .find(|&&(_, code, _)| code == self)
            .map_or("unknown", |&(_, _, name)| name)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error from libccr (or from this crate's argument checks, with
/// [`ErrorCode::InvalidArgument`]).
///
/// Everything the C error object holds is copied out when the error is made,
/// so an `Error` is plain owned data: `Send`, `Sync`, `'static`.
///
/// `Display` prints the one-line message (`ccr_error_message`); the
/// alternate form (`{:#}`) adds the errno, CRIU's own message and errno, the
/// log path and the log excerpt.
pub struct Error {
    inner: Box<Inner>,
}

/// Boxed so that `Result<T, Error>` stays one pointer wide on the error side.
struct Inner {
    code: ErrorCode,
    message: String,
    errno: i32,
    criu_errno: i32,
    criu_message: Option<String>,
    log_path: Option<PathBuf>,
    log_excerpt: Option<String>,
    source: Option<BoxError>,
}

unsafe fn opt_string(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

impl Error {
    /// Copies and frees a non-NULL `ccr_error`.
    ///
    /// # Safety
    /// `raw` must be a live error object returned by libccr and owned by the
    /// caller; it is freed here.
    pub(crate) unsafe fn from_raw(raw: *mut sys::ccr_error) -> Error {
        debug_assert!(!raw.is_null());
        let code = ErrorCode::from_raw(sys::ccr_error_code_of(raw));
        let err = Error::from_inner(Inner {
            code,
            message: opt_string(sys::ccr_error_message(raw))
                .unwrap_or_else(|| format!("ccr error {}", code.name())),
            errno: sys::ccr_error_errno(raw),
            criu_errno: sys::ccr_error_criu_errno(raw),
            criu_message: opt_string(sys::ccr_error_criu_message(raw)),
            log_path: opt_string(sys::ccr_error_log_path(raw)).map(PathBuf::from),
            log_excerpt: opt_string(sys::ccr_error_log_excerpt(raw)),
            source: None,
        });
        sys::ccr_error_free(raw);
        err
    }

    /// An error made on the Rust side (no C error object behind it).
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error::from_inner(Inner {
            code,
            message: message.into(),
            errno: 0,
            criu_errno: 0,
            criu_message: None,
            log_path: None,
            log_excerpt: None,
            source: None,
        })
    }

    fn from_inner(inner: Inner) -> Error {
        Error {
            inner: Box::new(inner),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidArgument, message)
    }

    /// A copy without the source (errors kept by builders never have one).
    pub(crate) fn duplicate(&self) -> Error {
        let i = &self.inner;
        Error::from_inner(Inner {
            code: i.code,
            message: i.message.clone(),
            errno: i.errno,
            criu_errno: i.criu_errno,
            criu_message: i.criu_message.clone(),
            log_path: i.log_path.clone(),
            log_excerpt: i.log_excerpt.clone(),
            source: None,
        })
    }

    pub(crate) fn prefixed(mut self, what: &str) -> Error {
        self.inner.message = format!("{what}: {}", self.inner.message);
        self
    }

    pub(crate) fn with_source(mut self, source: BoxError) -> Error {
        self.inner.source = Some(source);
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.inner.code
    }

    /// The one-line message, e.g. "checkpoint of pid 4242 failed: criu
    /// dump: Can't freeze (errno 16)".
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The errno behind the error, if any.
    pub fn errno(&self) -> Option<i32> {
        (self.inner.errno != 0).then_some(self.inner.errno)
    }

    /// [`errno`](Self::errno) as an [`std::io::Error`].
    pub fn io_error(&self) -> Option<std::io::Error> {
        self.errno().map(std::io::Error::from_raw_os_error)
    }

    /// CRIU's own `cr_errno`, if it sent one.
    pub fn criu_errno(&self) -> Option<i32> {
        (self.inner.criu_errno != 0).then_some(self.inner.criu_errno)
    }

    /// CRIU's own `cr_errmsg`, if it sent one.
    pub fn criu_message(&self) -> Option<&str> {
        self.inner.criu_message.as_deref()
    }

    /// CRIU's log for the failed operation, if there is one.
    pub fn log_path(&self) -> Option<&Path> {
        self.inner.log_path.as_deref()
    }

    /// The lines of CRIU's log around each "Error" line, if there is a log.
    pub fn log_excerpt(&self) -> Option<&str> {
        self.inner.log_excerpt.as_deref()
    }

    /// Takes the error the notify closure returned ([`ErrorCode::Callback`]),
    /// leaving `source()` empty.
    pub fn take_callback_error(&mut self) -> Option<BoxError> {
        self.inner.source.take()
    }
}

/// Turns a `ccr_error *` return value into a `Result`.
///
/// # Safety
/// `raw` is NULL or an error object owned by the caller.
pub(crate) unsafe fn check(raw: *mut sys::ccr_error) -> Result<()> {
    if raw.is_null() {
        Ok(())
    } else {
        Err(Error::from_raw(raw))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)?;
        if f.alternate() {
            write!(
                f,
                "\n  code: {} ({})",
                self.inner.code,
                self.inner.code.raw()
            )?;
            if let Some(e) = self.io_error() {
                write!(f, "\n  errno: {} ({e})", self.inner.errno)?;
            }
            if let Some(e) = self.criu_errno() {
                write!(
                    f,
                    "\n  criu errno: {e} ({})",
                    std::io::Error::from_raw_os_error(e)
                )?;
            }
            if let Some(m) = &self.inner.criu_message {
                write!(f, "\n  criu message: {m}")?;
            }
            if let Some(p) = &self.inner.log_path {
                write!(f, "\n  criu log: {}", p.display())?;
            }
            if let Some(x) = &self.inner.log_excerpt {
                write!(f, "\n  log excerpt:\n{x}")?;
            }
            if let Some(s) = &self.inner.source {
                write!(f, "\n  caused by: {s}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("code", &self.inner.code)
            .field("message", &self.inner.message);
        if self.inner.errno != 0 {
            d.field("errno", &self.inner.errno);
        }
        if self.inner.criu_errno != 0 {
            d.field("criu_errno", &self.inner.criu_errno);
        }
        if let Some(m) = &self.inner.criu_message {
            d.field("criu_message", m);
        }
        if let Some(p) = &self.inner.log_path {
            d.field("log_path", p);
        }
        if let Some(x) = &self.inner.log_excerpt {
            d.field("log_excerpt", x);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_matches_libccr_names() {
        let mut n = 0;
        for code in ErrorCode::all() {
            assert_eq!(ErrorCode::from_raw(code.raw()), code);
            let c_name = unsafe { CStr::from_ptr(sys::ccr_error_code_name(code.raw() as _)) };
            assert_eq!(c_name.to_str().unwrap(), code.name(), "{code:?}");
            n += 1;
        }
        assert_eq!(n, sys::CCR_ERR_INTERNAL);
        assert_eq!(ErrorCode::from_raw(0), ErrorCode::Unknown(0));
        assert_eq!(ErrorCode::from_raw(999).raw(), 999);
        assert_eq!(ErrorCode::Unknown(999).name(), "unknown");
    }

    #[test]
    fn error_is_send_sync_static() {
        fn assert_traits<T: Send + Sync + 'static + std::error::Error>() {}
        assert_traits::<Error>();
    }
}
