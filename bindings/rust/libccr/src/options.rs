// SPDX-License-Identifier: Apache-2.0
//! [`Options`]: how an operation runs, and [`Canceller`].

use std::cell::Cell;
use std::ffi::c_int;
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libccr_sys as sys;

use crate::container::Container;
use crate::error::{check, BoxError, Error, ErrorCode, Result};
use crate::logging::{self, LogLevel, LogState};
use crate::notify::{self, Failure, Notify, NotifyState};
use crate::outcome::Outcome;
use crate::util::{c_opt_path, c_path, c_str, ptr_or_null};

/// How CRIU handles cgroups (`ccr_cgroup_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CgroupMode {
    /// CRIU's default (soft).
    #[default]
    Default,
    Soft,
    Full,
    Strict,
    Ignore,
    None,
    Props,
}

impl CgroupMode {
    fn raw(self) -> sys::ccr_cgroup_mode {
        match self {
            CgroupMode::Default => sys::CCR_CGROUP_DEFAULT,
            CgroupMode::Soft => sys::CCR_CGROUP_SOFT,
            CgroupMode::Full => sys::CCR_CGROUP_FULL,
            CgroupMode::Strict => sys::CCR_CGROUP_STRICT,
            CgroupMode::Ignore => sys::CCR_CGROUP_IGNORE,
            CgroupMode::None => sys::CCR_CGROUP_NONE,
            CgroupMode::Props => sys::CCR_CGROUP_PROPS,
        }
    }
}

/// How CRIU locks the network while it works (`ccr_network_lock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NetworkLock {
    /// ccr's choice: nftables where it works, else CRIU's iptables.
    #[default]
    Default,
    Iptables,
    Nftables,
    /// No lock: only when nothing can reach the container.
    Skip,
}

impl NetworkLock {
    fn raw(self) -> sys::ccr_network_lock {
        match self {
            NetworkLock::Default => sys::CCR_NETWORK_LOCK_DEFAULT,
            NetworkLock::Iptables => sys::CCR_NETWORK_LOCK_IPTABLES,
            NetworkLock::Nftables => sys::CCR_NETWORK_LOCK_NFTABLES,
            NetworkLock::Skip => sys::CCR_NETWORK_LOCK_SKIP,
        }
    }
}

/// How a pre-dump reads memory (`ccr_pre_dump_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PreDumpMode {
    /// CRIU's default: vmsplice into pipes.
    Splice,
    /// process_vm_readv: a shorter freeze.
    Read,
}

impl PreDumpMode {
    fn raw(self) -> sys::ccr_pre_dump_mode {
        match self {
            PreDumpMode::Splice => sys::CCR_PRE_DUMP_SPLICE,
            PreDumpMode::Read => sys::CCR_PRE_DUMP_READ,
        }
    }
}

/// TLS files for page-server connections, for [`Options::tls`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tls {
    pub cacert: Option<PathBuf>,
    pub cacrl: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub no_cn_verify: bool,
}

/// The C handle, shared by [`Options`] and its [`Canceller`]s.
struct RawOptions(NonNull<sys::ccr_options>);

// SAFETY: a ccr_options may move between threads. RawOptions is private;
// the only call made through a shared reference from several threads at
// once is ccr_options_cancel, which ccr.h allows "while another thread is
// using it". Every other call goes through `Options`, which is not Sync.
unsafe impl Send for RawOptions {}
unsafe impl Sync for RawOptions {}

impl Drop for RawOptions {
    fn drop(&mut self) {
        // SAFETY: last owner. Calls the notify finalizer, if any.
        unsafe { sys::ccr_options_free(self.0.as_ptr()) }
    }
}

/// Options for [`checkpoint`](crate::checkpoint), [`restore`](crate::restore)
/// and the CRIU queries (`ccr_options`): one chained method per setter of
/// `ccr.h`, named after it (`ccr_options_set_leave_running` →
/// [`leave_running`](Self::leave_running), `ccr_options_add_external` →
/// [`add_external`](Self::add_external)).
///
/// ```no_run
/// # fn main() -> libccr::Result<()> {
/// let opts = libccr::Options::new()?
///     .images_dir("/var/lib/ckpt/web1")
///     .leave_running(true)
///     .notify(|ev: &libccr::Notify| -> Result<(), std::io::Error> {
///         println!("criu: {}", ev.script());
///         Ok(())
///     });
/// # Ok(()) }
/// ```
///
/// Setter errors are kept and reported by the next operation, or at once by
/// [`Options::check`], as for [`Container`].
///
/// # Threads
///
/// `Send` but not `Sync`. The notify and log closures must therefore be
/// `Send` (they move with the options); they run on the thread that called
/// the operation.
/// To stop an operation from another thread, take a [`Canceller`] first.
pub struct Options {
    raw: Arc<RawOptions>,
    pending: Option<Error>,
    /// The payload installed with the notify trampoline; owned by libccr
    /// (freed through `notify::free_state`), valid while `raw` lives and
    /// until the callback is replaced.
    notify: Option<NonNull<NotifyState>>,
    /// The payload installed with the log trampoline; as for `notify`
    /// (freed through `logging::free_state`).
    log: Option<NonNull<LogState>>,
    /// An operation is running with these options on this thread.
    busy: Cell<bool>,
    /// Descriptors libccr holds by number and that stay ours.
    kept_fds: Vec<OwnedFd>,
    /// The status descriptor: ccr closes it when the checkpoint using it
    /// ends, so it goes to exactly one checkpoint.
    status_fd: Cell<Option<OwnedFd>>,
    status_fd_used: Cell<bool>,
    _not_sync: PhantomData<Cell<()>>,
}

// SAFETY: see RawOptions. The notify and log payloads are Send (the
// closures are required to be Send); the Cells are only touched by the
// owning thread.
unsafe impl Send for Options {}

macro_rules! flag_setters {
    ($( $(#[$doc:meta])* $name:ident => $cfn:ident; )*) => {$(
        $(#[$doc])*
        pub fn $name(self, enable: bool) -> Options {
            self.apply(stringify!($cfn), |raw| unsafe { check(sys::$cfn(raw, enable as c_int)) })
        }
    )*};
}

macro_rules! path_setters {
    ($( $(#[$doc:meta])* $name:ident => $cfn:ident, $what:literal; )*) => {$(
        $(#[$doc])*
        pub fn $name(self, path: impl AsRef<Path>) -> Options {
            self.apply(stringify!($cfn), |raw| {
                let p = c_path(path.as_ref(), $what)?;
                unsafe { check(sys::$cfn(raw, p.as_ptr())) }
            })
        }
    )*};
}

macro_rules! text_setters {
    ($( $(#[$doc:meta])* $name:ident => $cfn:ident, $what:literal; )*) => {$(
        $(#[$doc])*
        pub fn $name(self, value: &str) -> Options {
            self.apply(stringify!($cfn), |raw| {
                let v = c_str(value, $what)?;
                unsafe { check(sys::$cfn(raw, v.as_ptr())) }
            })
        }
    )*};
}

macro_rules! u32_setters {
    ($( $(#[$doc:meta])* $name:ident => $cfn:ident; )*) => {$(
        $(#[$doc])*
        pub fn $name(self, value: u32) -> Options {
            self.apply(stringify!($cfn), |raw| unsafe { check(sys::$cfn(raw, value)) })
        }
    )*};
}

impl Options {
    /// Options with every default.
    pub fn new() -> Result<Options> {
        let mut raw = std::ptr::null_mut();
        unsafe { check(sys::ccr_options_new(&mut raw))? };
        let raw = NonNull::new(raw)
            .ok_or_else(|| Error::new(ErrorCode::Internal, "ccr_options_new returned NULL"))?;
        Ok(Options {
            raw: Arc::new(RawOptions(raw)),
            pending: None,
            notify: None,
            log: None,
            busy: Cell::new(false),
            kept_fds: Vec::new(),
            status_fd: Cell::new(None),
            status_fd_used: Cell::new(false),
            _not_sync: PhantomData,
        })
    }

    fn ptr(&self) -> *mut sys::ccr_options {
        self.raw.0.as_ptr()
    }

    fn apply(mut self, what: &str, f: impl FnOnce(*mut sys::ccr_options) -> Result<()>) -> Options {
        if self.pending.is_none() {
            if let Err(e) = f(self.ptr()) {
                self.pending = Some(e.prefixed(what));
            }
        }
        self
    }

    /// Sets a descriptor libccr remembers by number; on success the options
    /// keep it open.
    fn keep_fd(
        mut self,
        what: &str,
        fd: OwnedFd,
        f: impl FnOnce(*mut sys::ccr_options, c_int) -> Result<()>,
    ) -> Options {
        if self.pending.is_some() {
            return self;
        }
        match f(self.ptr(), fd.as_raw_fd()) {
            Ok(()) => self.kept_fds.push(fd),
            Err(e) => self.pending = Some(e.prefixed(what)),
        }
        self
    }

    // --- The basics -------------------------------------------------------

    path_setters! {
        /// The CRIU binary (both). Default: "criu" from `PATH`.
        criu_path => ccr_options_set_criu_path, "criu path";
        /// The images directory (both; required). Checkpoint creates it
        /// 0700; an existing one must not be a symlink nor writable by
        /// group or others.
        images_dir => ccr_options_set_images_dir, "images dir";
        /// CRIU's work directory, for its log and statistics (both).
        /// Default: the images directory.
        work_dir => ccr_options_set_work_dir, "work dir";
        /// A previous pre-dump's images, relative to the images directory
        /// (checkpoint).
        parent_path => ccr_options_set_parent_path, "parent path";
        /// A CRIU configuration file (both).
        criu_config_file => ccr_options_set_criu_config_file, "criu config file";
        /// A unix socket the restored container's terminal master is sent
        /// to, like runc's `--console-socket` (restore).
        console_socket => ccr_options_set_console_socket, "console socket";
        /// Adds a path where CRIU looks for inotify/fanotify targets
        /// (checkpoint).
        add_irmap_scan_path => ccr_options_add_irmap_scan_path, "irmap scan path";
        /// Which cgroup properties CRIU saves into the images, from a YAML
        /// file (checkpoint): CRIU reads them while dumping only.
        cgroup_props_file => ccr_options_set_cgroup_props_file, "cgroup props file";
        /// A directory with the cgroup hierarchies already mounted (restore).
        cgroup_yard => ccr_options_set_cgroup_yard, "cgroup yard";
        /// The freezer cgroup to freeze the container with (checkpoint);
        /// "" makes CRIU seize the processes with ptrace alone.
        freeze_cgroup => ccr_options_set_freeze_cgroup, "freeze cgroup";
    }

    flag_setters! {
        /// Takes a pre-dump (memory only; the container keeps running)
        /// instead of a full checkpoint (checkpoint). Needs MemTrack.
        pre_dump => ccr_options_set_pre_dump;
        /// Keeps the container running after the checkpoint (checkpoint).
        leave_running => ccr_options_set_leave_running;
        /// Checkpoints although processes in the container's cgroup are not
        /// in its init's tree, as `runc exec` leaves them (checkpoint): they
        /// are left out, each named in a warning. Default: the checkpoint
        /// fails naming them.
        allow_processes_outside_tree => ccr_options_set_allow_processes_outside_tree;
        /// Checkpoints and restores established TCP connections (both).
        tcp_established => ccr_options_set_tcp_established;
        /// Allows external unix sockets (both).
        ext_unix_sk => ccr_options_set_ext_unix_sk;
        /// The container is a shell job (both).
        shell_job => ccr_options_set_shell_job;
        /// Checkpoints and restores file locks (both).
        file_locks => ccr_options_set_file_locks;
        /// Deduplicates pages against the parent images (both).
        auto_dedup => ccr_options_set_auto_dedup;
        /// Keeps the restored processes stopped (restore).
        leave_stopped => ccr_options_set_leave_stopped;
        /// Tracks memory changes for a later incremental dump (checkpoint).
        track_mem => ccr_options_set_track_mem;
        /// Lazy pages (both); needs [`Features::LAZY_PAGES`](crate::Features::LAZY_PAGES).
        lazy_pages => ccr_options_set_lazy_pages;
        /// Restores established TCP connections closed (restore).
        tcp_close => ccr_options_set_tcp_close;
        /// Skips in-flight TCP connections (checkpoint).
        tcp_skip_in_flight => ccr_options_set_tcp_skip_in_flight;
        /// Lets CRIU link-remap open files that were deleted (checkpoint).
        link_remap => ccr_options_set_link_remap;
        /// Resolves inotify watches by scanning paths (checkpoint).
        force_irmap => ccr_options_set_force_irmap;
        /// Skips files' permission checks (restore).
        skip_file_rwx_check => ccr_options_set_skip_file_rwx_check;
        /// Reopens device files by path when the original is unreachable
        /// (restore). Default on.
        evasive_devices => ccr_options_set_evasive_devices;
        /// Treats unknown mounts as external automatically (both).
        auto_ext_mnt => ccr_options_set_auto_ext_mnt;
        /// With auto_ext_mnt: keeps external mounts' sharing (both).
        ext_sharing => ccr_options_set_ext_sharing;
        /// With auto_ext_mnt: keeps external mounts' masters (both).
        ext_masters => ccr_options_set_ext_masters;
        /// Restores mounts the pre-4.0 way (restore).
        mntns_compat_mode => ccr_options_set_mntns_compat_mode;
        /// Restores sysctls CRIU cannot set without failing (restore).
        weak_sysctls => ccr_options_set_weak_sysctls;
        /// Runs CRIU without root, with the capabilities it was given (both).
        unprivileged => ccr_options_set_unprivileged;
        /// Asks CRIU to print its statistics to its log (both).
        display_stats => ccr_options_set_display_stats;
        /// Sends CRIU's log to its stderr instead of the log file (both).
        log_to_stderr => ccr_options_set_log_to_stderr;
    }

    text_setters! {
        /// CRIU's log file name inside the work directory (both). No slashes.
        log_file => ccr_options_set_log_file, "log file";
        /// The LSM profile for the restored container (restore).
        lsm_profile => ccr_options_set_lsm_profile, "LSM profile";
        /// The LSM mount context for the restored container (restore).
        lsm_mount_context => ccr_options_set_lsm_mount_context, "LSM mount context";
        /// Whose archive [`export_archive`](crate::export_archive) writes:
        /// `"containerd"` (the default: its status.dump and status files) or
        /// `"cri-o"` (CRI-O's spec annotations).
        archive_engine => ccr_options_set_archive_engine, "archive engine";
        /// The container's name in its engine, for an exported archive
        /// (default: its id).
        archive_container_name => ccr_options_set_archive_container_name, "archive container name";
        /// Leaves a mountpoint out of the checkpoint (checkpoint).
        add_skip_mount => ccr_options_add_skip_mount, "skip mount";
        /// Allows mounts of a file system type CRIU would refuse (both).
        add_enable_fs => ccr_options_add_enable_fs, "file system type";
        /// Adds a CRIU external resource (`"dev[maj/min]:name"`,
        /// `"net[ino]:key"`, `"mnt[path]:name"`, `"unix[ino]"`, ...) (both).
        add_external => ccr_options_add_external, "external resource";
        /// Which cgroup properties CRIU saves into the images, as YAML text
        /// (checkpoint): CRIU reads them while dumping only.
        cgroup_props => ccr_options_set_cgroup_props, "cgroup props";
        /// Dumps this controller's cgroups (checkpoint).
        add_cgroup_dump_controller => ccr_options_add_cgroup_dump_controller, "cgroup controller";
        /// Adds an argument of a command CRIU runs after the restore, with
        /// the restored tree frozen (restore).
        add_exec_cmd => ccr_options_add_exec_cmd, "exec command argument";
    }

    u32_setters! {
        /// Namespaces CRIU creates empty rather than restores, as CLONE_NEW*
        /// flags; only `libc::CLONE_NEWNET` today (both).
        empty_ns => ccr_options_set_empty_ns;
        /// The largest deleted-but-open file CRIU copies, in bytes (both).
        ghost_limit => ccr_options_set_ghost_limit;
        /// Which CPU features must match on restore, as CRIU's cpu-cap mask
        /// (both).
        cpu_cap => ccr_options_set_cpu_cap;
        /// Marks an external unix socket by inode (checkpoint). Deprecated
        /// by CRIU in favour of `add_external("unix[ino]")`.
        add_unix_sk_inode => ccr_options_add_unix_sk_inode;
    }

    /// How CRIU handles cgroups (both).
    pub fn cgroup_mode(self, mode: CgroupMode) -> Options {
        self.apply("ccr_options_set_cgroup_mode", |raw| unsafe {
            check(sys::ccr_options_set_cgroup_mode(raw, mode.raw()))
        })
    }

    /// How CRIU locks the network (checkpoint; a restore uses the method
    /// the images record).
    pub fn network_lock(self, method: NetworkLock) -> Options {
        self.apply("ccr_options_set_network_lock", |raw| unsafe {
            check(sys::ccr_options_set_network_lock(raw, method.raw()))
        })
    }

    /// How a pre-dump reads memory (checkpoint).
    pub fn pre_dump_mode(self, mode: PreDumpMode) -> Options {
        self.apply("ccr_options_set_pre_dump_mode", |raw| unsafe {
            check(sys::ccr_options_set_pre_dump_mode(raw, mode.raw()))
        })
    }

    /// CRIU's log level, 0 (none) to 4 (debug) (both). Default 4.
    pub fn log_level(self, level: i32) -> Options {
        self.apply("ccr_options_set_log_level", |raw| unsafe {
            check(sys::ccr_options_set_log_level(raw, level))
        })
    }

    /// The whole operation's time limit, in milliseconds (rounded down;
    /// saturates at `u32::MAX` ms); zero means none (both). When it runs out
    /// CRIU is killed where that is safe for the container (up to 10 s
    /// later, see docs/reliability.md) and the operation fails with
    /// [`ErrorCode::Timeout`].
    pub fn timeout(self, limit: Duration) -> Options {
        let ms = u32::try_from(limit.as_millis()).unwrap_or(u32::MAX);
        self.apply("ccr_options_set_timeout_ms", |raw| unsafe {
            check(sys::ccr_options_set_timeout_ms(raw, ms))
        })
    }

    /// Limits for [`import_archive_with`](crate::import_archive_with)
    /// (`ccr_options_set_import_limits`): entries, bytes one entry and all
    /// of them may declare, and the expansion ratio over the archive's size
    /// (past 256 MiB). 0 keeps each default (131072, 64 GiB, 1000).
    pub fn import_limits(self, max_entries: u64, max_bytes: u64, max_ratio: u32) -> Options {
        self.apply("ccr_options_set_import_limits", |raw| unsafe {
            check(sys::ccr_options_set_import_limits(
                raw,
                max_entries,
                max_bytes,
                max_ratio,
            ))
        })
    }

    /// The image the rootfs came from, for an exported archive: its `name`
    /// as asked for (`"docker.io/library/busybox:1.36"`) and its digest
    /// `reference`; `""` for unknown.
    pub fn archive_image(self, name: &str, reference: &str) -> Options {
        self.apply("ccr_options_set_archive_image", |raw| {
            let n = c_str(name, "archive image name")?;
            let r = c_str(reference, "archive image reference")?;
            unsafe {
                check(sys::ccr_options_set_archive_image(
                    raw,
                    n.as_ptr(),
                    r.as_ptr(),
                ))
            }
        })
    }

    /// When the container was created and checkpointed, for an exported
    /// archive; `None` keeps ccr's own answer (its init's start while it
    /// runs; when CRIU wrote the images). Times before 1970 are refused.
    pub fn archive_times(
        self,
        created: Option<SystemTime>,
        checkpointed: Option<SystemTime>,
    ) -> Options {
        fn unix_ns(t: Option<SystemTime>, what: &str) -> Result<i64> {
            let Some(t) = t else { return Ok(0) };
            t.duration_since(UNIX_EPOCH)
                .ok()
                .and_then(|d| i64::try_from(d.as_nanos()).ok())
                .ok_or_else(|| {
                    Error::invalid(format!("archive {what} time {t:?} is outside 1970 to 2262"))
                })
        }
        self.apply("ccr_options_set_archive_times", |raw| {
            let c = unix_ns(created, "creation")?;
            let k = unix_ns(checkpointed, "checkpoint")?;
            unsafe { check(sys::ccr_options_set_archive_times(raw, c, k)) }
        })
    }

    /// CRIU's own time limit for freezing and similar waits, in whole
    /// seconds (both).
    pub fn criu_timeout(self, limit: Duration) -> Options {
        let s = u32::try_from(limit.as_secs()).unwrap_or(u32::MAX);
        self.apply("ccr_options_set_criu_timeout", |raw| unsafe {
            check(sys::ccr_options_set_criu_timeout(raw, s))
        })
    }

    /// Sends memory pages to a CRIU page server at `address:port`
    /// (checkpoint).
    pub fn page_server(self, address: &str, port: u16) -> Options {
        self.apply("ccr_options_set_page_server", |raw| {
            let a = c_str(address, "page server address")?;
            unsafe {
                check(sys::ccr_options_set_page_server(
                    raw,
                    a.as_ptr(),
                    port.into(),
                ))
            }
        })
    }

    /// Sends memory pages over this connected socket (checkpoint). The
    /// options keep it open until they are dropped; `try_clone` it first to
    /// keep a copy.
    pub fn page_server_fd(self, fd: OwnedFd) -> Options {
        self.keep_fd("ccr_options_set_page_server_fd", fd, |raw, fd| unsafe {
            check(sys::ccr_options_set_page_server_fd(raw, fd))
        })
    }

    /// A unix socket CRIU stores pidfds in across pre-dumps (checkpoint).
    /// Kept open by the options, as for [`page_server_fd`](Self::page_server_fd).
    pub fn pidfd_store_fd(self, fd: OwnedFd) -> Options {
        self.keep_fd("ccr_options_set_pidfd_store_fd", fd, |raw, fd| unsafe {
            check(sys::ccr_options_set_pidfd_store_fd(raw, fd))
        })
    }

    /// Hands CRIU `fd` for the resource named `key` in the images (restore).
    /// Kept open by the options, as for [`page_server_fd`](Self::page_server_fd).
    pub fn add_inherit_fd(self, key: &str, fd: OwnedFd) -> Options {
        let key = c_str(key, "inherit-fd key");
        self.keep_fd("ccr_options_add_inherit_fd", fd, |raw, fd| {
            let key = key?;
            unsafe { check(sys::ccr_options_add_inherit_fd(raw, key.as_ptr(), fd)) }
        })
    }

    /// A descriptor ccr writes one `'\0'` byte to when CRIU is ready to
    /// serve lazy pages, like runc's `--status-fd` (checkpoint).
    ///
    /// libccr closes it when the checkpoint that uses it ends, so it serves
    /// one checkpoint only: a second checkpoint with these options fails
    /// with [`ErrorCode::InvalidArgument`] (set a new descriptor, or use new
    /// options). Until a checkpoint takes it, the options own it.
    pub fn status_fd(mut self, fd: OwnedFd) -> Options {
        if self.pending.is_some() {
            return self;
        }
        let r = unsafe { check(sys::ccr_options_set_status_fd(self.ptr(), fd.as_raw_fd())) };
        match r {
            Ok(()) => {
                self.status_fd.set(Some(fd));
                self.status_fd_used.set(false);
            }
            Err(e) => self.pending = Some(e.prefixed("ccr_options_set_status_fd")),
        }
        self
    }

    /// TLS for page-server connections (both).
    pub fn tls(self, enable: bool, files: &Tls) -> Options {
        self.apply("ccr_options_set_tls", |raw| {
            let cacert = c_opt_path(files.cacert.as_deref(), "TLS CA certificate")?;
            let cacrl = c_opt_path(files.cacrl.as_deref(), "TLS CRL")?;
            let cert = c_opt_path(files.cert.as_deref(), "TLS certificate")?;
            let key = c_opt_path(files.key.as_deref(), "TLS key")?;
            unsafe {
                check(sys::ccr_options_set_tls(
                    raw,
                    enable as c_int,
                    ptr_or_null(&cacert),
                    ptr_or_null(&cacrl),
                    ptr_or_null(&cert),
                    ptr_or_null(&key),
                    files.no_cn_verify as c_int,
                ))
            }
        })
    }

    /// Adds a veth pair: `inside` in the container, `outside` on the host
    /// (restore). Deprecated by CRIU in favour of external entries.
    pub fn add_veth_pair(self, inside: &str, outside: &str) -> Options {
        self.apply("ccr_options_add_veth_pair", |raw| {
            let i = c_str(inside, "veth inside name")?;
            let o = c_str(outside, "veth outside name")?;
            unsafe { check(sys::ccr_options_add_veth_pair(raw, i.as_ptr(), o.as_ptr())) }
        })
    }

    /// Adds an external mount: on checkpoint `key` is the mountpoint and
    /// `value` the name recorded; on restore `key` is that name and `value`
    /// the host path (both).
    pub fn add_ext_mount(self, key: &str, value: &str) -> Options {
        self.apply("ccr_options_add_ext_mount", |raw| {
            let k = c_str(key, "external mount key")?;
            let v = c_str(value, "external mount value")?;
            unsafe { check(sys::ccr_options_add_ext_mount(raw, k.as_ptr(), v.as_ptr())) }
        })
    }

    /// Makes the restored tree join the namespace in `ns_file` instead of
    /// creating it; `ns` is "ipc", "uts", "time", "user", ... (restore).
    pub fn add_join_ns(self, ns: &str, ns_file: impl AsRef<Path>, extra: Option<&str>) -> Options {
        self.apply("ccr_options_add_join_ns", |raw| {
            let n = c_str(ns, "namespace")?;
            let f = c_path(ns_file.as_ref(), "namespace file")?;
            let x = extra.map(|x| c_str(x, "join-ns extra")).transpose()?;
            unsafe {
                check(sys::ccr_options_add_join_ns(
                    raw,
                    n.as_ptr(),
                    f.as_ptr(),
                    ptr_or_null(&x),
                ))
            }
        })
    }

    /// Restores a controller's cgroups (every controller's for `None`) under
    /// `path` (restore).
    pub fn add_cgroup_root(self, controller: Option<&str>, path: &str) -> Options {
        self.apply("ccr_options_add_cgroup_root", |raw| {
            let c = controller
                .map(|c| c_str(c, "cgroup controller"))
                .transpose()?;
            let p = c_str(path, "cgroup root")?;
            unsafe {
                check(sys::ccr_options_add_cgroup_root(
                    raw,
                    ptr_or_null(&c),
                    p.as_ptr(),
                ))
            }
        })
    }

    /// The notify callback (both): the closure sees every notification CRIU
    /// sends, in order, on the thread running the operation.
    ///
    /// Returning `Err` aborts the operation; it then fails with
    /// [`ErrorCode::Callback`] and the closure's error as its
    /// [`source`](std::error::Error::source) (or
    /// [`Error::take_callback_error`]). A panic in the closure also aborts
    /// the operation; it is caught at the C boundary and resumed on the
    /// caller's thread once the C call has returned and cleaned up.
    ///
    /// Replaces an earlier closure (which is dropped).
    pub fn notify<F, E>(mut self, mut f: F) -> Options
    where
        F: FnMut(&Notify<'_>) -> std::result::Result<(), E> + Send + 'static,
        E: Into<BoxError>,
    {
        if self.pending.is_some() {
            return self;
        }
        let state = NotifyState::new(Box::new(move |ev: &Notify<'_>| f(ev).map_err(Into::into)));
        let payload = Box::into_raw(state);
        // SAFETY: libccr takes the payload and calls free_state on it when
        // the callback is replaced or the options freed.
        let r = unsafe {
            check(sys::ccr_options_set_notify(
                self.ptr(),
                Some(notify::trampoline),
                payload.cast(),
                Some(notify::free_state),
            ))
        };
        match r {
            Ok(()) => self.notify = NonNull::new(payload),
            Err(e) => {
                // libccr did not take it (it fails only before storing).
                unsafe { notify::free_state(payload.cast()) };
                self.pending = Some(e.prefixed("ccr_options_set_notify"));
            }
        }
        self
    }

    /// Removes the notify closure (and drops it).
    pub fn no_notify(mut self) -> Options {
        self = self.apply("ccr_options_set_notify", |raw| unsafe {
            check(sys::ccr_options_set_notify(
                raw,
                None,
                std::ptr::null_mut(),
                None,
            ))
        });
        if self.pending.is_none() {
            self.notify = None;
        }
        self
    }

    /// Sends ccr's own log (not CRIU's, which goes to its log file) to `f`
    /// for the operations run with these options (both): every line at
    /// `max` or more severe, with its level and without a newline. Without
    /// it, ccr logs nothing anywhere.
    ///
    /// ```no_run
    /// # fn main() -> libccr::Result<()> {
    /// let opts = libccr::Options::new()?
    ///     .images_dir("/var/lib/ckpt/web1")
    ///     .log(libccr::LogLevel::Info, |level, line| eprintln!("ccr {level}: {line}"));
    /// # Ok(()) }
    /// ```
    ///
    /// The closure runs on the thread running the operation, during the
    /// call and never after it; calls never overlap. It cannot stop the
    /// operation. If it panics, the panic is caught at the C boundary, the
    /// closure gets no more lines, the operation runs to its end (a failed
    /// one cleaned up after), and then the panic is resumed on the caller's
    /// thread with `resume_unwind`. The operation's result is lost with it:
    /// after a successful restore the restored init is still a child of
    /// this process and must be reaped.
    ///
    /// Replaces an earlier log closure (which is dropped). Independent of
    /// the notify closure.
    pub fn log<F>(mut self, max: LogLevel, f: F) -> Options
    where
        F: FnMut(LogLevel, &str) + Send + 'static,
    {
        if self.pending.is_some() {
            return self;
        }
        let payload = Box::into_raw(LogState::new(Box::new(f)));
        // SAFETY: libccr takes the payload and calls free_state on it when
        // the log is replaced or the options freed.
        let r = unsafe {
            check(sys::ccr_options_set_log(
                self.ptr(),
                max.raw(),
                Some(logging::trampoline),
                payload.cast(),
                Some(logging::free_state),
            ))
        };
        match r {
            Ok(()) => self.log = NonNull::new(payload),
            Err(e) => {
                // libccr did not take it (it fails only before storing).
                unsafe { logging::free_state(payload.cast()) };
                self.pending = Some(e.prefixed("ccr_options_set_log"));
            }
        }
        self
    }

    /// Removes the log closure (and drops it): ccr logs nothing again.
    pub fn no_log(mut self) -> Options {
        self = self.apply("ccr_options_set_log", |raw| unsafe {
            check(sys::ccr_options_set_log(
                raw,
                sys::CCR_LOG_ERROR,
                None,
                std::ptr::null_mut(),
                None,
            ))
        });
        if self.pending.is_none() {
            self.log = None;
        }
        self
    }

    /// The log closure's state, during a call that may log.
    fn log_state(&self) -> Option<&LogState> {
        // SAFETY: the payload lives while `self.raw` does and `self.log`
        // names it (it changes only through `&mut self`/`self`).
        self.log.map(|p| unsafe { &*p.as_ptr() })
    }

    /// Runs `call`, a C call that may log through these options, and then
    /// resumes the log closure's panic, if it panicked meanwhile.
    pub(crate) fn logged<T>(&self, call: impl FnOnce() -> T) -> T {
        let out = call();
        if let Some(panic) = self.log_state().and_then(LogState::take_panic) {
            drop(out);
            std::panic::resume_unwind(panic);
        }
        out
    }

    /// A handle that cancels operations running with these options, from
    /// any thread (`ccr_options_cancel`).
    ///
    /// It shares ownership of the C options handle, so it is `'static`,
    /// `Send` and `Sync` and may outlive the `Options`: cancelling after
    /// the options are dropped does nothing harmful (no operation can run
    /// with them any more). The C handle, and the notify and log closures
    /// with it, are freed when the last of the `Options` and its cancellers is
    /// dropped.
    pub fn canceller(&self) -> Canceller {
        Canceller {
            raw: Arc::clone(&self.raw),
        }
    }

    /// The first error a setter met, if any.
    pub fn error(&self) -> Option<&Error> {
        self.pending.as_ref()
    }

    /// Returns the first error a setter met, or the options.
    pub fn check(mut self) -> Result<Options> {
        match self.pending.take() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// The raw handle, for calls this crate does not wrap. It stays owned
    /// by `self`; do not replace the notify or log callback through it.
    pub fn as_raw(&self) -> *mut sys::ccr_options {
        self.ptr()
    }

    /// CRIU's version as [`criu_version`](crate::criu_version) asks it, with
    /// these options' CRIU binary.
    pub fn criu_version(&self) -> Result<crate::CriuVersion> {
        let raw = self.ready_ptr()?;
        self.logged(|| crate::query_version(raw))
    }

    /// CRIU's features as [`criu_features`](crate::criu_features) asks them,
    /// with these options' CRIU binary.
    pub fn criu_features(&self) -> Result<crate::Features> {
        let raw = self.ready_ptr()?;
        self.logged(|| crate::query_features(raw))
    }

    pub(crate) fn ready_ptr(&self) -> Result<*const sys::ccr_options> {
        match &self.pending {
            Some(e) => Err(e.duplicate()),
            None => Ok(self.ptr()),
        }
    }

    /// Runs `ccr_checkpoint` or `ccr_restore` with these options.
    pub(crate) fn run(&self, container: &Container, op: Operation) -> Result<Outcome> {
        let c = container.ready()?;
        self.call(op, |o| {
            let mut result: *mut sys::ccr_result = std::ptr::null_mut();
            // SAFETY: live handles; the container's stdio descriptors and our
            // kept descriptors are open; the payload is alive.
            let err = unsafe {
                match op {
                    Operation::Checkpoint => sys::ccr_checkpoint(&mut result, c, o),
                    Operation::Restore => sys::ccr_restore(&mut result, c, o),
                }
            };
            let copied = if result.is_null() {
                Outcome::default()
            } else {
                unsafe {
                    let copied = Outcome::from_result(result);
                    sys::ccr_result_free(result);
                    copied
                }
            };
            (copied, err)
        })
    }

    /// Runs `c_call`, one libccr operation with these options that may call
    /// the notify and log closures, and returns what it copied out, or its
    /// error with the notify closure's error as the source; a closure's
    /// panic is resumed once the C call has returned.
    pub(crate) fn call<T>(
        &self,
        op: Operation,
        c_call: impl FnOnce(*const sys::ccr_options) -> (T, *mut sys::ccr_error),
    ) -> Result<T> {
        let o = self.ready_ptr()?;
        if self.busy.replace(true) {
            return Err(Error::invalid(
                "these options are already in use by an operation on this thread \
                 (a notify or log callback cannot start another operation with them)",
            ));
        }
        struct Idle<'a>(&'a Cell<bool>);
        impl Drop for Idle<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        let _idle = Idle(&self.busy);

        if op == Operation::Checkpoint {
            if let Some(fd) = self.status_fd.take() {
                // libccr closes it (for failures after its first checks) or
                // leaks it (for earlier ones); either way it is no longer ours.
                let _ = fd.into_raw_fd();
                self.status_fd_used.set(true);
            } else if self.status_fd_used.get() {
                return Err(Error::invalid(
                    "the status descriptor was closed by an earlier checkpoint with these \
                     options; set a new one or use new options",
                ));
            }
        }

        let state = self.notify.map(|p| unsafe { &*p.as_ptr() });
        if let Some(s) = state {
            s.reset();
        }
        let log = self.log_state();
        if let Some(l) = log {
            l.reset();
        }
        let (copied, err) = c_call(o);
        let outcome = if err.is_null() {
            Ok(copied)
        } else {
            Err(unsafe { Error::from_raw(err) })
        };
        let failure = state.and_then(|s| s.take_failure());
        if let Some(panic) = log.and_then(LogState::take_panic) {
            // The notify closure's panic, which aborted the operation, wins
            // over the log closure's.
            match failure {
                Some(Failure::Panic(first)) => {
                    drop_panic(panic);
                    std::panic::resume_unwind(first)
                }
                _ => std::panic::resume_unwind(panic),
            }
        }
        match failure {
            None => outcome,
            Some(Failure::Panic(panic)) => std::panic::resume_unwind(panic),
            Some(Failure::Error(e)) => outcome.map_err(|err| err.with_source(e)),
            Some(Failure::Reentered) => {
                outcome.map_err(|err| err.with_source("the notify callback was re-entered".into()))
            }
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("error", &self.pending)
            .field("notify", &self.notify.is_some())
            .field("log", &self.log.is_some())
            .finish_non_exhaustive()
    }
}

/// Drops a panic payload that will not be resumed; a panic of its own
/// destructor is swallowed (and that payload leaked).
fn drop_panic(panic: Box<dyn std::any::Any + Send + 'static>) {
    if let Err(again) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(panic)))
    {
        std::mem::forget(again);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Checkpoint,
    Restore,
}

/// Cancels the operations of one [`Options`] from any thread; see
/// [`Options::canceller`].
#[derive(Clone)]
pub struct Canceller {
    raw: Arc<RawOptions>,
}

impl Canceller {
    /// Cancels every operation running with the options and makes later ones
    /// fail at once with [`ErrorCode::Canceled`]. Cannot be undone.
    pub fn cancel(&self) -> Result<()> {
        // SAFETY: the one call ccr.h allows concurrently with other uses.
        unsafe { check(sys::ccr_options_cancel(self.raw.0.as_ptr())) }
    }
}

impl std::fmt::Debug for Canceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canceller").finish_non_exhaustive()
    }
}
