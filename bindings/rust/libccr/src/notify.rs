// SPDX-License-Identifier: Apache-2.0
//! Notify callbacks: [`Notify`], and the machinery that runs a Rust closure
//! as a `ccr_notify_cb`.
//!
//! The closure is boxed inside a [`NotifyState`] whose pointer is the C
//! `payload`; libccr calls [`free_state`] when the options are freed or the
//! callback is replaced. A closure that returns `Err` or panics makes the C
//! callback return non-zero (libccr then aborts with `CCR_ERR_CALLBACK`);
//! the error or the panic is kept in the state, and after the C call
//! returns, the operation returns the error as the `Error`'s source, or
//! resumes the panic (git2-rs's `panic.rs`, with the slot in the payload
//! instead of a thread-local). A panic never unwinds through C.

use std::any::Any;
use std::borrow::Cow;
use std::cell::RefCell;
use std::ffi::{c_int, c_void, CStr};
use std::marker::PhantomData;
use std::os::fd::BorrowedFd;
use std::panic::{catch_unwind, AssertUnwindSafe};

use libccr_sys as sys;

use crate::error::BoxError;

/// One notification from CRIU, valid only during the callback (it cannot
/// leave the closure, nor the thread).
pub struct Notify<'a> {
    raw: *const sys::ccr_notify,
    _life: PhantomData<&'a sys::ccr_notify>,
}

impl<'a> Notify<'a> {
    /// The script name CRIU sent: "pre-dump", "network-lock",
    /// "post-restore", ... (see `ccr.h`).
    pub fn script(&self) -> Cow<'a, str> {
        // SAFETY: valid during the callback; never NULL for a non-NULL notify.
        let p = unsafe { sys::ccr_notify_script(self.raw) };
        if p.is_null() {
            return Cow::Borrowed("");
        }
        unsafe { CStr::from_ptr::<'a>(p) }.to_string_lossy()
    }

    /// The pid CRIU attached (the restored init for "setup-namespaces" and
    /// "post-restore"), if any.
    pub fn pid(&self) -> Option<i32> {
        let pid = unsafe { sys::ccr_notify_pid(self.raw) };
        (pid > 0).then_some(pid)
    }

    /// In a pod operation, the id of the container the notification is
    /// about (`ccr_notify_container`); `None` otherwise.
    pub fn container(&self) -> Option<Cow<'a, str>> {
        // SAFETY: valid during the callback.
        let p = unsafe { sys::ccr_notify_container(self.raw) };
        (!p.is_null()).then(|| unsafe { CStr::from_ptr::<'a>(p) }.to_string_lossy())
    }

    /// The descriptor CRIU sent with the notification (the terminal master
    /// for "orphan-pts-master"), if any. Owned by libccr:
    /// [`try_clone_to_owned`](BorrowedFd::try_clone_to_owned) it to keep it.
    pub fn fd(&self) -> Option<BorrowedFd<'a>> {
        let fd = unsafe { sys::ccr_notify_fd(self.raw) };
        // SAFETY: libccr keeps it open for the duration of the callback.
        (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })
    }
}

impl std::fmt::Debug for Notify<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notify")
            .field("script", &self.script())
            .field("pid", &self.pid())
            .field("container", &self.container())
            .field("fd", &self.fd())
            .finish()
    }
}

pub(crate) type Callback = dyn FnMut(&Notify<'_>) -> Result<(), BoxError> + Send;

pub(crate) enum Failure {
    Error(BoxError),
    Panic(Box<dyn Any + Send + 'static>),
    Reentered,
}

/// The C payload. Only touched by the thread running an operation (the
/// callback runs on the thread that called ccr_checkpoint/ccr_restore), by
/// libccr's threads during a pod operation, one call at a time under a lock
/// of libccr's while the calling thread waits, or by whoever frees the
/// options.
pub(crate) struct NotifyState {
    callback: RefCell<Box<Callback>>,
    failure: RefCell<Option<Failure>>,
}

impl NotifyState {
    pub(crate) fn new(callback: Box<Callback>) -> Box<NotifyState> {
        Box::new(NotifyState {
            callback: RefCell::new(callback),
            failure: RefCell::new(None),
        })
    }

    /// Forgets a failure left over from an earlier operation.
    pub(crate) fn reset(&self) {
        self.failure.replace(None);
    }

    /// What went wrong in the closure during the last operation.
    pub(crate) fn take_failure(&self) -> Option<Failure> {
        self.failure.take()
    }
}

/// The `ccr_notify_cb` for every closure.
pub(crate) unsafe extern "C" fn trampoline(
    notify: *const sys::ccr_notify,
    payload: *mut c_void,
) -> c_int {
    // SAFETY: payload is the NotifyState installed with this trampoline;
    // libccr keeps it alive until the finalizer runs, which cannot happen
    // during an operation (the options are borrowed by it).
    let state = &*(payload as *const NotifyState);
    // After a failure libccr aborts; should it call again, do not run the
    // closure (it may be in a broken state after a panic).
    match state.failure.try_borrow() {
        Ok(f) if f.is_none() => {}
        _ => return 1,
    }
    let Ok(mut callback) = state.callback.try_borrow_mut() else {
        // Only reachable if libccr called the callback from inside itself.
        if let Ok(mut f) = state.failure.try_borrow_mut() {
            *f = Some(Failure::Reentered);
        }
        return 1;
    };
    let ev = Notify {
        raw: notify,
        _life: PhantomData,
    };
    let failure = match catch_unwind(AssertUnwindSafe(|| (*callback)(&ev))) {
        Ok(Ok(())) => return 0,
        Ok(Err(e)) => Failure::Error(e),
        Err(panic) => Failure::Panic(panic),
    };
    drop(callback);
    if let Ok(mut f) = state.failure.try_borrow_mut() {
        *f = Some(failure);
    }
    1
}

/// The finalizer libccr calls with the payload.
pub(crate) unsafe extern "C" fn free_state(payload: *mut c_void) {
    if payload.is_null() {
        return;
    }
    // SAFETY: payload came from Box::into_raw in Options::notify.
    let state = Box::from_raw(payload as *mut NotifyState);
    // Dropping the closure runs the user's destructors; a panic there must
    // not unwind into C. Its payload is leaked rather than dropped, since
    // dropping it could panic again.
    if let Err(panic) = catch_unwind(AssertUnwindSafe(move || drop(state))) {
        std::mem::forget(panic);
    }
}
