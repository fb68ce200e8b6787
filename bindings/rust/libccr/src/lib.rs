// SPDX-License-Identifier: Apache-2.0
//! Checkpoint and restore runc containers through CRIU: a safe API over
//! libccr's C ABI (`ccr/ccr.h`, through the `libccr-sys` crate).
//!
//! ```no_run
//! fn main() -> libccr::Result<()> {
//!     let container = libccr::Container::new("web1")?
//!         .pid(4242)
//!         .bundle("/run/bundles/web1");
//!     let options = libccr::Options::new()?.images_dir("/var/lib/ckpt/web1");
//!     libccr::checkpoint(&container, &options)?;
//!
//!     let restored = libccr::restore(&container, &options)?;
//!     println!("restored init: {:?}", restored.pid());
//!     Ok(())
//! }
//! ```
//!
//! # Errors
//!
//! Every fallible call returns [`Result`]; [`Error`] carries libccr's stable
//! [`ErrorCode`], the errno, a one-line message, CRIU's own errno and
//! message, and the path and the interesting lines of CRIU's log. Builder
//! setters keep their first error and hand it to the next operation (see
//! [`Container`]).
//!
//! # Callbacks and panics
//!
//! A notify closure ([`Options::notify`]) that returns `Err` aborts the
//! operation, which fails with [`ErrorCode::Callback`] and the closure's
//! error as its `source()`. A closure that panics aborts it too; the panic
//! is caught before it reaches C and resumed once the C call has returned.
//!
//! # Logging
//!
//! ccr logs nothing unless asked: [`Options::log`] passes its own log lines
//! (CRIU's go to CRIU's log file) up to a [`LogLevel`] to a closure, on the
//! operation's thread while it runs. A panic in that closure does not stop
//! the operation; it is resumed once the C call has returned.
//!
//! # Threads
//!
//! [`Container`] and [`Options`] are `Send` but not `Sync` (libccr handles
//! are used from one thread at a time); [`Error`], [`Outcome`] and
//! [`Canceller`] are `Send + Sync`.
//!
//! # Statistics and archives
//!
//! [`Outcome::stat`] and [`Outcome::stats`] give an operation's statistics
//! ([`Stat`]); [`read_stats`] reads them back from a directory later.
//! [`export_archive`] and [`import_archive`] write and unpack
//! Kubernetes-style checkpoint archives.

mod container;
mod error;
mod host;
mod logging;
mod notify;
mod options;
mod outcome;
mod pod;
mod stats;
mod util;

use std::ffi::CStr;
use std::fmt;
use std::path::Path;

pub use libccr_sys as sys;

pub use crate::container::Container;
pub use crate::error::{BoxError, Error, ErrorCode, Result};
pub use crate::host::{host_cgroups, CgroupLayout, FreezerKind};
pub use crate::logging::LogLevel;
pub use crate::notify::Notify;
pub use crate::options::{Canceller, CgroupMode, NetworkLock, Options, PreDumpMode, Tls};
pub use crate::outcome::{read_stats, Outcome};
pub use crate::pod::{
    export_pod_archive, import_pod_archive, pod_checkpoint, pod_restore, Pod, PodOutcome,
};
pub use crate::stats::Stat;

use crate::error::check;
use crate::options::Operation;
use crate::util::{c_opt_path, c_path, ptr_or_null};

/// Checkpoints the running `container` into the options' images directory.
///
/// On success the images directory holds CRIU's images and
/// `descriptors.json`; unless [`Options::leave_running`] was set, the
/// container's processes are gone. On failure the container is left running
/// and thawed.
///
/// # Panics
///
/// Resumes a panic of the notify or log closure.
pub fn checkpoint(container: &Container, options: &Options) -> Result<Outcome> {
    options.run(container, Operation::Checkpoint)
}

/// Restores `container` from the options' images directory into its cgroups
/// and rootfs. [`Outcome::pid`] is the new init, a child of this process
/// that the caller must reap. On failure nothing made for the restore is
/// left behind.
///
/// # Panics
///
/// Resumes a panic of the notify or log closure.
pub fn restore(container: &Container, options: &Options) -> Result<Outcome> {
    options.run(container, Operation::Restore)
}

/// Writes a checkpoint archive of `container` at `archive_path`
/// (`ccr_archive_export`): the tar layout of kubelet's checkpoint API,
/// CRI-O, Podman and containerd (`checkpoint/`, `config.dump`, `spec.dump`,
/// `stats-dump`, `dump.log`), from what [`checkpoint`] left in the options'
/// images directory (and work directory). Pass the options the checkpoint
/// used; the notify closure is not called (a panic of the log closure, if
/// libccr logs here, is resumed after the export).
///
/// `rootfs_diff_dir`, when given, is the container's writable layer (an
/// overlayfs upper directory): it goes into `rootfs-diff.tar` and its
/// whiteouts into `deleted.files`. The archive is created 0600 and appears
/// only once complete. Images that need a parent pre-dump are refused
/// ([`ErrorCode::Unsupported`]); a [`Canceller`] stops an export between
/// files.
pub fn export_archive(
    archive_path: impl AsRef<Path>,
    container: &Container,
    options: &Options,
    rootfs_diff_dir: Option<&Path>,
) -> Result<()> {
    let c = container.ready()?;
    let o = options.ready_ptr()?;
    let path = c_path(archive_path.as_ref(), "archive path")?;
    let diff = c_opt_path(rootfs_diff_dir, "rootfs diff directory")?;
    // SAFETY: live handles, only read; valid C strings or NULL.
    options.logged(|| unsafe {
        check(sys::ccr_archive_export(
            path.as_ptr(),
            c,
            o,
            ptr_or_null(&diff),
        ))
    })
}

/// Unpacks the checkpoint archive at `archive_path` (a tar, uncompressed or
/// compressed with gzip or zstd; from ccr, CRI-O, Podman or containerd) into
/// `dest_dir`, which must not exist (its parent must): `ccr_archive_import`.
/// Restore from `<dest_dir>/checkpoint` afterwards, with your own
/// [`Container`].
///
/// The archive is not trusted: only regular files and directories are
/// unpacked, and an unsafe entry fails with [`ErrorCode::Image`], leaving
/// no `dest_dir` behind. Nothing in the archive is acted on.
pub fn import_archive(archive_path: impl AsRef<Path>, dest_dir: impl AsRef<Path>) -> Result<()> {
    let path = c_path(archive_path.as_ref(), "archive path")?;
    let dest = c_path(dest_dir.as_ref(), "destination directory")?;
    // SAFETY: valid C strings.
    unsafe { check(sys::ccr_archive_import(path.as_ptr(), dest.as_ptr())) }
}

/// [`import_archive`] bounded by `options`
/// (`ccr_archive_import_with_options`): their
/// [`import_limits`](Options::import_limits), their
/// [`timeout`](Options::timeout) ([`ErrorCode::Timeout`]) and their
/// [`Canceller`] ([`ErrorCode::Canceled`]); every other option is ignored.
/// A stopped import removes `dest_dir` like any failed one.
pub fn import_archive_with(
    archive_path: impl AsRef<Path>,
    dest_dir: impl AsRef<Path>,
    options: &Options,
) -> Result<()> {
    let o = options.ready_ptr()?;
    let path = c_path(archive_path.as_ref(), "archive path")?;
    let dest = c_path(dest_dir.as_ref(), "destination directory")?;
    // SAFETY: valid C strings and a live options handle, only read.
    options.logged(|| unsafe {
        check(sys::ccr_archive_import_with_options(
            path.as_ptr(),
            dest.as_ptr(),
            o,
        ))
    })
}

/// A CRIU version (`MAJOR * 10000 + MINOR * 100 + SUBLEVEL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CriuVersion(u32);

impl CriuVersion {
    /// The version from its number (4.1.1 is 40101).
    pub fn from_number(n: u32) -> CriuVersion {
        CriuVersion(n)
    }
    /// The number: 40101 for 4.1.1.
    pub fn number(self) -> u32 {
        self.0
    }
    pub fn major(self) -> u32 {
        self.0 / 10000
    }
    pub fn minor(self) -> u32 {
        self.0 / 100 % 100
    }
    pub fn sublevel(self) -> u32 {
        self.0 % 100
    }
}

impl fmt::Display for CriuVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major(), self.minor(), self.sublevel())
    }
}

/// A set of CRIU features (`ccr_feature` bits).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Features(u32);

impl Features {
    /// Memory tracking, for pre-dumps.
    pub const MEM_TRACK: Features = Features(sys::CCR_FEATURE_MEM_TRACK);
    /// userfaultfd lazy restore.
    pub const LAZY_PAGES: Features = Features(sys::CCR_FEATURE_LAZY_PAGES);
    /// The pidfd store.
    pub const PIDFD_STORE: Features = Features(sys::CCR_FEATURE_PIDFD_STORE);

    /// The raw mask.
    pub fn bits(self) -> u32 {
        self.0
    }
    /// A set from a raw mask (unknown bits are kept).
    pub fn from_bits(bits: u32) -> Features {
        Features(bits)
    }
    /// Whether every feature of `other` is in `self`.
    pub fn contains(self, other: Features) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Features {
    type Output = Features;
    fn bitor(self, rhs: Features) -> Features {
        Features(self.0 | rhs.0)
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut set = f.debug_set();
        let mut rest = self.0;
        for (flag, name) in [
            (Features::MEM_TRACK, "MEM_TRACK"),
            (Features::LAZY_PAGES, "LAZY_PAGES"),
            (Features::PIDFD_STORE, "PIDFD_STORE"),
        ] {
            if self.contains(flag) {
                set.entry(&format_args!("{name}"));
                rest &= !flag.0;
            }
        }
        if rest != 0 {
            set.entry(&format_args!("{rest:#x}"));
        }
        set.finish()
    }
}

pub(crate) fn query_version(options: *const sys::ccr_options) -> Result<CriuVersion> {
    let mut n = 0;
    unsafe { check(sys::ccr_criu_version(&mut n, options))? };
    Ok(CriuVersion(n))
}

pub(crate) fn query_features(options: *const sys::ccr_options) -> Result<Features> {
    let mut n = 0;
    unsafe { check(sys::ccr_criu_features(&mut n, options))? };
    Ok(Features(n))
}

/// The version of the `criu` found in `PATH` (asked once per binary and
/// cached by libccr). Use [`Options::criu_version`] for another binary.
pub fn criu_version() -> Result<CriuVersion> {
    query_version(std::ptr::null())
}

/// The features the `criu` in `PATH` and this kernel support. Use
/// [`Options::criu_features`] for another binary.
pub fn criu_features() -> Result<Features> {
    query_features(std::ptr::null())
}

/// The version number of the loaded libccr (`ccr_version()`):
/// MAJOR * 10000 + MINOR * 100 + PATCH.
pub fn version() -> u32 {
    unsafe { sys::ccr_version() }
}

/// The version of the loaded libccr as "MAJOR.MINOR.PATCH".
pub fn version_string() -> &'static str {
    // SAFETY: static storage per ccr.h.
    unsafe { CStr::from_ptr(sys::ccr_version_string()) }
        .to_str()
        .unwrap_or("?")
}

/// The version number of the `ccr.h` these bindings were generated from.
pub const HEADER_VERSION: u32 = sys::CCR_VERSION_NUMBER;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_sync_as_documented() {
        fn send<T: Send>() {}
        fn send_sync<T: Send + Sync + 'static>() {}
        send::<Container>();
        send::<Options>();
        send_sync::<Canceller>();
        send_sync::<Outcome>();
        send_sync::<Error>();
    }

    #[test]
    fn loaded_library_is_not_older_than_the_header() {
        assert!(
            version() >= HEADER_VERSION,
            "libccr {} < header {}",
            version(),
            HEADER_VERSION
        );
        assert_eq!(version_string().split('.').count(), 3);
    }

    #[test]
    fn criu_version_parts() {
        let v = CriuVersion::from_number(40101);
        assert_eq!((v.major(), v.minor(), v.sublevel()), (4, 1, 1));
        assert_eq!(v.to_string(), "4.1.1");
    }

    #[test]
    fn setter_errors_are_kept_and_reported() {
        let o = Options::new().unwrap().log_file("a/b").images_dir("/tmp/x");
        let e = o.error().expect("log file with a slash is rejected");
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        assert!(e.message().starts_with("ccr_options_set_log_file: "), "{e}");
        let e = o.check().unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);

        let c = Container::new("ok-id").unwrap().rootfs("relative/path");
        let e = c.check().unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument, "{e:#}");

        let e = Container::new("bad/id").unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        let e = Container::new("nul\0id").unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn pending_error_is_returned_by_the_operation() {
        let c = Container::new("x").unwrap().config_json("[1, 2]");
        let o = Options::new().unwrap().images_dir("/nonexistent/ccr-rs");
        let e = checkpoint(&c, &o).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Config, "{e:#}");
        assert!(
            e.message().starts_with("ccr_container_set_config_json: "),
            "{e}"
        );
    }

    #[test]
    fn notify_closure_is_dropped_when_replaced_and_with_the_options() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        struct Tracker(Arc<AtomicUsize>);
        impl Drop for Tracker {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let drops = Arc::new(AtomicUsize::new(0));
        let t1 = Tracker(drops.clone());
        let t2 = Tracker(drops.clone());
        let o = Options::new()
            .unwrap()
            .notify(move |_: &Notify| -> Result<()> {
                let _ = &t1;
                Ok(())
            });
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        let o = o.notify(move |_: &Notify| -> Result<()> {
            let _ = &t2;
            Ok(())
        });
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        let canceller = o.canceller();
        drop(o);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "the canceller keeps the handle"
        );
        canceller.cancel().unwrap();
        drop(canceller);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn log_closure_is_dropped_when_replaced_removed_and_with_the_options() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        struct Tracker(Arc<AtomicUsize>);
        impl Drop for Tracker {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let drops = Arc::new(AtomicUsize::new(0));
        let closure = || {
            let t = Tracker(drops.clone());
            move |_: LogLevel, _: &str| {
                let _ = &t;
            }
        };
        let o = Options::new()
            .unwrap()
            .log(LogLevel::Debug, closure())
            .notify(|_: &Notify| -> Result<()> { Ok(()) });
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        let o = o.log(LogLevel::Info, closure());
        assert_eq!(drops.load(Ordering::SeqCst), 1, "replaced");
        let o = o.no_notify();
        assert_eq!(drops.load(Ordering::SeqCst), 1, "the notify slot is apart");
        let o = o.no_log();
        assert_eq!(drops.load(Ordering::SeqCst), 2, "removed");
        let o = o.log(LogLevel::Error, closure());
        let canceller = o.canceller();
        drop(o);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            2,
            "the canceller keeps the handle"
        );
        drop(canceller);
        assert_eq!(drops.load(Ordering::SeqCst), 3, "freed with the options");

        // Not taken after an earlier setter failed: dropped at once.
        let o = Options::new()
            .unwrap()
            .log_file("a/b")
            .log(LogLevel::Debug, closure());
        assert_eq!(drops.load(Ordering::SeqCst), 4);
        assert!(o.error().is_some());
        assert!(format!("{o:?}").contains("log: false"), "{o:?}");
    }

    #[test]
    fn import_refuses_a_fifo_and_stops_when_canceled() {
        let dir = std::env::temp_dir().join(format!("ccr-rs-import-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc_mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = crate::import_archive(&fifo, dir.join("dest")).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidArgument, "{err}");
        assert!(err.message().contains("is a fifo"), "{err}");

        let bogus = dir.join("bogus.tar");
        std::fs::write(&bogus, b"not a tar ".repeat(100)).unwrap();
        let o = Options::new().unwrap().import_limits(10, 1 << 20, 5);
        o.canceller().cancel().unwrap();
        let err = crate::import_archive_with(&bogus, dir.join("dest"), &o).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Canceled, "{err}");
        assert!(!dir.join("dest").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn archive_metadata_setters_check_their_values() {
        use std::time::{Duration, UNIX_EPOCH};
        let code = |o: Options| o.check().map(|_| ()).unwrap_err().code();
        let invalid = crate::ErrorCode::InvalidArgument;
        assert_eq!(
            code(Options::new().unwrap().archive_engine("podman")),
            invalid
        );
        let before_1970 = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(
            code(
                Options::new()
                    .unwrap()
                    .archive_times(Some(before_1970), None)
            ),
            invalid
        );
        let (early, late) = (
            UNIX_EPOCH + Duration::from_secs(10),
            UNIX_EPOCH + Duration::from_secs(20),
        );
        assert_eq!(
            code(
                Options::new()
                    .unwrap()
                    .archive_times(Some(late), Some(early))
            ),
            invalid
        );
        Options::new()
            .unwrap()
            .archive_engine("cri-o")
            .archive_container_name("web")
            .archive_image("busybox", "")
            .archive_times(Some(early), Some(late))
            .check()
            .unwrap();
    }

    extern "C" {
        #[link_name = "mkfifo"]
        fn libc_mkfifo(path: *const std::ffi::c_char, mode: u32) -> i32;
    }

    #[test]
    fn stats_match_the_header() {
        let header = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../include/ccr/ccr.h");
        let Ok(text) = std::fs::read_to_string(&header) else {
            eprintln!("SKIPPED: {} not found", header.display());
            return;
        };
        let body = text
            .split("typedef enum ccr_stat {")
            .nth(1)
            .and_then(|t| t.split('}').next())
            .expect("ccr_stat in ccr.h");
        let mut names = Vec::new();
        for line in body.lines() {
            let line = line.split("/*").next().unwrap_or("").trim();
            if let Some((name, value)) = line.split_once('=') {
                let name = name.trim().trim_start_matches("CCR_STAT_").to_lowercase();
                let value: u32 = value.trim().trim_end_matches(',').parse().unwrap();
                let stat =
                    Stat::from_raw(value).unwrap_or_else(|| panic!("{name} = {value} unknown"));
                assert_eq!(stat.name(), name);
                assert_eq!(stat.raw(), value);
                assert_eq!(stat.to_string(), name);
                names.push(name);
            }
        }
        assert_eq!(names.len(), Stat::ALL.len());
        assert_eq!(Stat::from_raw(99), None);
        let o = Outcome::default();
        assert_eq!(o.stat(Stat::PagesWritten), None);
        assert_eq!(o.stats().count(), 0);
    }

    #[test]
    fn read_stats_errors() {
        let dir = std::env::temp_dir().join(format!("ccr-rs-stats-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        let e = read_stats(&dir).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound, "{e:#}");
        std::fs::write(dir.join("stats-dump"), b"\xff\xff\xff\xff garbage").unwrap();
        let e = read_stats(&dir).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Image, "{e:#}");
        let e = read_stats("nul\0dir").unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn archive_errors() {
        let dir = std::env::temp_dir().join(format!("ccr-rs-archive-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        let dest = dir.join("dest");
        let e = import_archive(dir.join("missing.tar"), &dest).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound, "{e:#}");
        let bogus = dir.join("bogus.tar");
        std::fs::write(&bogus, "not a tar archive ".repeat(60)).unwrap();
        let e = import_archive(&bogus, &dest).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Image, "{e:#}");
        assert!(!dest.exists());
        let e = import_archive("", &dest).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument, "{e:#}");

        let c = Container::new("x")
            .unwrap()
            .config_json(r#"{"ociVersion": "1.0.2"}"#);
        let archive = dir.join("a.tar");
        let e = export_archive(&archive, &c, &Options::new().unwrap(), None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument, "{e:#}");
        let o = Options::new().unwrap().images_dir(dir.join("none"));
        let e = export_archive(&archive, &c, &o, None).unwrap_err();
        assert!(
            matches!(e.code(), ErrorCode::NotFound | ErrorCode::Image),
            "{e:#}"
        );
        // A builder error comes first.
        let o = Options::new().unwrap().log_file("a/b");
        let e = export_archive(&archive, &c, &o, None).unwrap_err();
        assert!(e.message().starts_with("ccr_options_set_log_file: "), "{e}");
        assert!(!archive.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
