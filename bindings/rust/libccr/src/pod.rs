// SPDX-License-Identifier: Apache-2.0
//! [`Pod`]: several containers checkpointed at one freeze and restored
//! together (`ccr_pod_*`; `docs/pod.md` has the whole contract).

use std::ffi::CStr;
use std::path::Path;
use std::ptr::NonNull;

use libccr_sys as sys;

use crate::container::Container;
use crate::error::{check, Error, Result};
use crate::options::{Operation, Options};
use crate::outcome::Outcome;
use crate::util::{c_path, c_str};

/// A pod (`ccr_pod`): containers below one parent cgroup, optionally sharing
/// a network namespace, built with chained setters like [`Container`].
///
/// The pod keeps the [`Container`]s it is given, so their stdio descriptors
/// stay open as long as it does. The first value libccr rejects is kept and
/// returned by the next [`pod_checkpoint`] or [`pod_restore`].
///
/// ```no_run
/// # fn main() -> libccr::Result<()> {
/// let pod = libccr::Pod::new("web")?
///     .cgroup_parent("/kubepods/pod1234")
///     .container(libccr::Container::new("app")?.pid(4242).bundle("/run/b/app"))
///     .container(libccr::Container::new("sidecar")?.pid(4243).bundle("/run/b/sidecar"));
/// let out = libccr::pod_checkpoint(&pod, "/var/lib/ckpt/web", &libccr::Options::new()?)?;
/// # Ok(()) }
/// ```
pub struct Pod {
    raw: NonNull<sys::ccr_pod>,
    pending: Option<Error>,
    containers: Vec<Container>,
}

// SAFETY: as for Container: a ccr_pod may move between threads and is used
// from one at a time (`Pod` is not `Sync`).
unsafe impl Send for Pod {}

impl Pod {
    /// An empty pod named `id` (letters, digits, '.', '_' and '-').
    pub fn new(id: &str) -> Result<Pod> {
        let cid = c_str(id, "pod id")?;
        let mut raw = std::ptr::null_mut();
        // SAFETY: out-parameter and a valid C string.
        unsafe { check(sys::ccr_pod_new(&mut raw, cid.as_ptr()))? };
        let raw = NonNull::new(raw)
            .ok_or_else(|| Error::new(crate::ErrorCode::Internal, "ccr_pod_new returned NULL"))?;
        Ok(Pod {
            raw,
            pending: None,
            containers: Vec::new(),
        })
    }

    fn apply(mut self, what: &str, f: impl FnOnce(*mut sys::ccr_pod) -> Result<()>) -> Pod {
        if self.pending.is_none() {
            if let Err(e) = f(self.raw.as_ptr()) {
                self.pending = Some(e.prefixed(what));
            }
        }
        self
    }

    /// The pod's parent cgroup, relative to each hierarchy's root
    /// ("/kubepods/pod1234"). Required: it is what the checkpoint freezes.
    pub fn cgroup_parent(self, path: &str) -> Pod {
        self.apply("ccr_pod_set_cgroup_parent", |raw| {
            let p = c_str(path, "cgroup parent")?;
            unsafe { check(sys::ccr_pod_set_cgroup_parent(raw, p.as_ptr())) }
        })
    }

    /// The network namespace the containers share, by path; each one's
    /// config must name the same path.
    pub fn network_ns(self, path: impl AsRef<Path>) -> Pod {
        self.apply("ccr_pod_set_network_ns", |raw| {
            let p = c_path(path.as_ref(), "network namespace path")?;
            unsafe { check(sys::ccr_pod_set_network_ns(raw, p.as_ptr())) }
        })
    }

    /// Adds a container with the pod's options (`ccr_pod_add_container`).
    pub fn container(mut self, container: Container) -> Pod {
        if self.pending.is_none() {
            let added = container.ready().and_then(|c| {
                // SAFETY: live handles; libccr copies the description.
                unsafe { check(sys::ccr_pod_add_container(self.raw.as_ptr(), c, std::ptr::null())) }
            });
            if let Err(e) = added {
                self.pending = Some(e.prefixed("ccr_pod_add_container"));
            }
        }
        self.containers.push(container);
        self
    }

    fn ready(&self) -> Result<*const sys::ccr_pod> {
        match &self.pending {
            Some(e) => Err(e.duplicate()),
            None => Ok(self.raw.as_ptr()),
        }
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once; the containers are dropped after.
        unsafe { sys::ccr_pod_free(self.raw.as_ptr()) }
    }
}

impl std::fmt::Debug for Pod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pod")
            .field("error", &self.pending)
            .field("containers", &self.containers.len())
            .finish_non_exhaustive()
    }
}

/// What a pod operation produced (`ccr_pod_result`, copied out).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodOutcome {
    /// Each container's id and outcome, in the checkpoint's order; after a
    /// restore each [`Outcome::pid`] is that container's new init, a child
    /// of this process.
    pub containers: Vec<(String, Outcome)>,
    /// The pod's downtime on checkpoint: from its one freeze to its thaw
    /// (or the end of its kill), in microseconds.
    pub frozen_time_us: Option<u64>,
    /// The whole call, in microseconds.
    pub wall_time_us: Option<u64>,
    /// Warnings about the pod as a whole.
    pub warnings: Vec<String>,
}

impl PodOutcome {
    /// Copies `result` out.
    ///
    /// # Safety
    ///
    /// `result` is a live `ccr_pod_result` no one modifies meanwhile.
    unsafe fn from_result(result: *const sys::ccr_pod_result) -> PodOutcome {
        let text = |p: *const std::ffi::c_char| {
            (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
        };
        let containers = (0..sys::ccr_pod_result_count(result))
            .map(|i| {
                let id = text(sys::ccr_pod_result_container_id(result, i)).unwrap_or_default();
                (id, Outcome::from_result(sys::ccr_pod_result_container(result, i)))
            })
            .collect();
        let stat = |which| {
            let mut v = 0u64;
            (sys::ccr_pod_stat_of(&mut v, result, which) == 1).then_some(v)
        };
        let warnings = (0..sys::ccr_pod_result_warning_count(result))
            .filter_map(|i| text(sys::ccr_pod_result_warning(result, i)))
            .collect();
        PodOutcome {
            containers,
            frozen_time_us: stat(sys::CCR_POD_STAT_FROZEN_TIME_US),
            wall_time_us: stat(sys::CCR_POD_STAT_WALL_TIME_US),
            warnings,
        }
    }
}

fn run_pod(pod: &Pod, dir: &Path, options: &Options, op: Operation) -> Result<PodOutcome> {
    let p = pod.ready()?;
    let d = c_path(dir, "pod directory")?;
    options.call(op, |o| {
        let mut result: *mut sys::ccr_pod_result = std::ptr::null_mut();
        // SAFETY: live handles; the pod's containers (and their stdio
        // descriptors) live as long as `pod`.
        let err = unsafe {
            match op {
                Operation::Checkpoint => sys::ccr_pod_checkpoint(&mut result, p, d.as_ptr(), o),
                Operation::Restore => sys::ccr_pod_restore(&mut result, p, d.as_ptr(), o),
            }
        };
        let copied = if result.is_null() {
            PodOutcome::default()
        } else {
            unsafe {
                let copied = PodOutcome::from_result(result);
                sys::ccr_pod_result_free(result);
                copied
            }
        };
        (copied, err)
    })
}

/// Checkpoints every container of `pod` into `dir`, which must not exist, at
/// one freeze of the pod's parent cgroup (`ccr_pod_checkpoint`). The options
/// apply to every container; their images directory is not used (each
/// container's images go to `<dir>/<id>/checkpoint`). On failure every
/// container is left as it was and `dir` is removed. The notify closure hears
/// every container's notifications ([`Notify::container`](crate::Notify::container)),
/// one at a time, from threads of libccr's.
///
/// # Panics
///
/// Resumes a panic of the notify or log closure.
pub fn pod_checkpoint(pod: &Pod, dir: impl AsRef<Path>, options: &Options) -> Result<PodOutcome> {
    run_pod(pod, dir.as_ref(), options, Operation::Checkpoint)
}

/// Restores the pod checkpointed in `dir` (`ccr_pod_restore`), matching the
/// pod's containers to the checkpoint's by id. On failure nothing of the pod
/// is left.
///
/// # Panics
///
/// Resumes a panic of the notify or log closure.
pub fn pod_restore(pod: &Pod, dir: impl AsRef<Path>, options: &Options) -> Result<PodOutcome> {
    run_pod(pod, dir.as_ref(), options, Operation::Restore)
}

/// Writes the pod checkpoint in `dir` (what [`pod_checkpoint`] wrote) as one
/// tar at `archive_path`, 0600, complete or not at all
/// (`ccr_pod_archive_export`). [`Canceller::cancel`](crate::Canceller::cancel)
/// stops it between files.
pub fn export_pod_archive(
    archive_path: impl AsRef<Path>,
    dir: impl AsRef<Path>,
    options: &Options,
) -> Result<()> {
    let o = options.ready_ptr()?;
    let path = c_path(archive_path.as_ref(), "archive path")?;
    let d = c_path(dir.as_ref(), "pod directory")?;
    // SAFETY: valid C strings and a live options handle, only read.
    options.logged(|| unsafe { check(sys::ccr_pod_archive_export(path.as_ptr(), d.as_ptr(), o)) })
}

/// Unpacks a pod archive into `dest_dir`, which must not exist, under the
/// rules of [`import_archive`](crate::import_archive) and the options' import
/// limits (`ccr_pod_archive_import`). Restore it with [`pod_restore`], whose
/// cgroup parent and network namespace are the caller's, never the archive's.
pub fn import_pod_archive(
    archive_path: impl AsRef<Path>,
    dest_dir: impl AsRef<Path>,
    options: &Options,
) -> Result<()> {
    let o = options.ready_ptr()?;
    let path = c_path(archive_path.as_ref(), "archive path")?;
    let dest = c_path(dest_dir.as_ref(), "destination directory")?;
    // SAFETY: valid C strings and a live options handle, only read.
    options.logged(|| unsafe { check(sys::ccr_pod_archive_import(path.as_ptr(), dest.as_ptr(), o)) })
}
