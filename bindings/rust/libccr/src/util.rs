// SPDX-License-Identifier: Apache-2.0
//! Rust strings and paths to C strings.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::{Error, Result};

/// `s` as a C string; an interior NUL byte is an invalid argument.
pub(crate) fn c_str(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid(format!("{what} contains a NUL byte: {s:?}")))
}

/// `p` as a C string, byte for byte (paths need not be UTF-8).
pub(crate) fn c_path(p: &Path, what: &str) -> Result<CString> {
    c_os(p.as_os_str(), what)
}

pub(crate) fn c_os(s: &OsStr, what: &str) -> Result<CString> {
    CString::new(s.as_bytes())
        .map_err(|_| Error::invalid(format!("{what} contains a NUL byte: {s:?}")))
}

/// `Some(c_str)` or `None`, for optional C strings.
pub(crate) fn c_opt_path(p: Option<&Path>, what: &str) -> Result<Option<CString>> {
    p.map(|p| c_path(p, what)).transpose()
}

pub(crate) fn ptr_or_null(s: &Option<CString>) -> *const std::ffi::c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}
