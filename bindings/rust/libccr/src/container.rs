// SPDX-License-Identifier: Apache-2.0
//! [`Container`]: what ccr needs to know about a container.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::ptr::NonNull;

use libccr_sys as sys;

use crate::error::{check, Error, Result};
use crate::util::{c_path, c_str};

/// A container description (`ccr_container`), built with chained setters.
/// The same description serves [`checkpoint`](crate::checkpoint) and
/// [`restore`](crate::restore).
///
/// ```no_run
/// # fn main() -> libccr::Result<()> {
/// let c = libccr::Container::new("web1")?
///     .pid(4242)
///     .bundle("/run/bundles/web1");
/// # Ok(()) }
/// ```
///
/// # Errors from setters
///
/// The setters return `Self` so they chain. When libccr rejects a value (a
/// relative rootfs, config JSON that is not an object, a closed
/// descriptor...), the first such error is kept, later setters are skipped,
/// and the error is returned by the next [`checkpoint`](crate::checkpoint) or
/// [`restore`](crate::restore) — or at once by [`Container::check`]. Its
/// message starts with the C function that failed
/// ("ccr_container_set_rootfs: ...").
///
/// # Threads
///
/// `Send` but not `Sync`: libccr handles may move between threads but must
/// be used from one thread at a time.
pub struct Container {
    raw: NonNull<sys::ccr_container>,
    id: String,
    pending: Option<Error>,
    /// The descriptors handed to `ccr_container_set_stdio`: libccr keeps only
    /// their numbers, so they must stay open as long as the description.
    stdio: [Option<OwnedFd>; 3],
}

// SAFETY: a ccr_container may be used from any thread, one at a time
// (ccr.h: "Handles are not thread-safe: use one from one thread at a time").
// `Container` is not `Sync`, and every use needs `&mut self`, `self`, or a
// shared borrow that cannot leave the thread.
unsafe impl Send for Container {}

impl Container {
    /// An empty description for the container named `id` (letters, digits,
    /// '.', '_' and '-').
    pub fn new(id: &str) -> Result<Container> {
        let cid = c_str(id, "container id")?;
        let mut raw = std::ptr::null_mut();
        // SAFETY: out-parameter and a valid C string.
        unsafe { check(sys::ccr_container_new(&mut raw, cid.as_ptr()))? };
        let raw = NonNull::new(raw).ok_or_else(|| {
            Error::new(
                crate::ErrorCode::Internal,
                "ccr_container_new returned NULL",
            )
        })?;
        Ok(Container {
            raw,
            id: id.to_owned(),
            pending: None,
            stdio: [None, None, None],
        })
    }

    /// The id given to [`Container::new`].
    pub fn id(&self) -> &str {
        &self.id
    }

    fn apply(
        mut self,
        what: &str,
        f: impl FnOnce(*mut sys::ccr_container) -> Result<()>,
    ) -> Container {
        if self.pending.is_none() {
            if let Err(e) = f(self.raw.as_ptr()) {
                self.pending = Some(e.prefixed(what));
            }
        }
        self
    }

    /// The container's init process as seen from the caller's pid
    /// namespace. Required for checkpoint; ignored by restore.
    pub fn pid(self, pid: i32) -> Container {
        self.apply("ccr_container_set_pid", |raw| unsafe {
            check(sys::ccr_container_set_pid(raw, pid))
        })
    }

    /// Lets checkpoint take a pid that is not a container's init: the root
    /// of a plain process tree in the caller's pid namespace
    /// (`ccr_container_set_process_tree`). Without it such a pid is refused
    /// with [`ErrorCode::InvalidArgument`](crate::ErrorCode::InvalidArgument).
    /// The freezer rules hold either way.
    pub fn process_tree(self, enable: bool) -> Container {
        self.apply("ccr_container_set_process_tree", |raw| unsafe {
            check(sys::ccr_container_set_process_tree(raw, i32::from(enable)))
        })
    }

    /// The OCI bundle directory; its `config.json` is read unless
    /// [`config_path`](Self::config_path) or [`config_json`](Self::config_json)
    /// says otherwise.
    pub fn bundle(self, path: impl AsRef<Path>) -> Container {
        self.apply("ccr_container_set_bundle", |raw| {
            let p = c_path(path.as_ref(), "bundle path")?;
            unsafe { check(sys::ccr_container_set_bundle(raw, p.as_ptr())) }
        })
    }

    /// Reads the OCI config from this file instead of `<bundle>/config.json`.
    pub fn config_path(self, path: impl AsRef<Path>) -> Container {
        self.apply("ccr_container_set_config_path", |raw| {
            let p = c_path(path.as_ref(), "config path")?;
            unsafe { check(sys::ccr_container_set_config_path(raw, p.as_ptr())) }
        })
    }

    /// Uses this JSON text as the OCI config (parsed now:
    /// [`ErrorCode::Config`](crate::ErrorCode::Config) unless it is an object).
    pub fn config_json(self, json: &str) -> Container {
        self.apply("ccr_container_set_config_json", |raw| {
            let j = c_str(json, "config JSON")?;
            unsafe { check(sys::ccr_container_set_config_json(raw, j.as_ptr())) }
        })
    }

    /// The root filesystem on the host (absolute), overriding `root.path`.
    pub fn rootfs(self, path: impl AsRef<Path>) -> Container {
        self.apply("ccr_container_set_rootfs", |raw| {
            let p = c_path(path.as_ref(), "rootfs path")?;
            unsafe { check(sys::ccr_container_set_rootfs(raw, p.as_ptr())) }
        })
    }

    /// A directory for this container's transient state (created 0700).
    pub fn state_dir(self, path: impl AsRef<Path>) -> Container {
        self.apply("ccr_container_set_state_dir", |raw| {
            let p = c_path(path.as_ref(), "state dir")?;
            unsafe { check(sys::ccr_container_set_state_dir(raw, p.as_ptr())) }
        })
    }

    /// The container's cgroup path ("/ccr/web1") for every hierarchy
    /// (`controller` `None`) or for one v1 hierarchy ("memory",
    /// "name=systemd").
    pub fn cgroup_path(self, controller: Option<&str>, path: &str) -> Container {
        self.apply("ccr_container_set_cgroup_path", |raw| {
            let ctl = controller
                .map(|c| c_str(c, "cgroup controller"))
                .transpose()?;
            let p = c_str(path, "cgroup path")?;
            unsafe {
                check(sys::ccr_container_set_cgroup_path(
                    raw,
                    crate::util::ptr_or_null(&ctl),
                    p.as_ptr(),
                ))
            }
        })
    }

    /// The descriptors that become the restored container's stdin, stdout
    /// and stderr when its images say those were pipes. `None` leaves the
    /// caller's own descriptor of that number (0, 1, 2).
    ///
    /// The description keeps the descriptors open until it is dropped (or
    /// `stdio` is called again); libccr does not close them. Keep your own
    /// ends with [`OwnedFd::try_clone`] if you need them after the restore.
    pub fn stdio(
        mut self,
        stdin: Option<OwnedFd>,
        stdout: Option<OwnedFd>,
        stderr: Option<OwnedFd>,
    ) -> Container {
        if self.pending.is_some() {
            return self;
        }
        let raw_of = |fd: &Option<OwnedFd>| fd.as_ref().map_or(-1, |fd| fd.as_raw_fd());
        // SAFETY: the descriptors are open; they are stored below, so they
        // stay open as long as libccr may use their numbers.
        let r = unsafe {
            check(sys::ccr_container_set_stdio(
                self.raw.as_ptr(),
                raw_of(&stdin),
                raw_of(&stdout),
                raw_of(&stderr),
            ))
        };
        match r {
            Ok(()) => self.stdio = [stdin, stdout, stderr],
            Err(e) => self.pending = Some(e.prefixed("ccr_container_set_stdio")),
        }
        self
    }

    /// The first error a setter met, if any.
    pub fn error(&self) -> Option<&Error> {
        self.pending.as_ref()
    }

    /// Returns the first error a setter met, or the description.
    pub fn check(mut self) -> Result<Container> {
        match self.pending.take() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// The raw handle, for calls this crate does not wrap. It stays owned
    /// by `self`.
    pub fn as_raw(&self) -> *mut sys::ccr_container {
        self.raw.as_ptr()
    }

    pub(crate) fn ready(&self) -> Result<*const sys::ccr_container> {
        match &self.pending {
            Some(e) => Err(e.duplicate()),
            None => Ok(self.raw.as_ptr()),
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once. The stdio descriptors close after.
        unsafe { sys::ccr_container_free(self.raw.as_ptr()) }
    }
}

impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("id", &self.id)
            .field("error", &self.pending)
            .finish_non_exhaustive()
    }
}
