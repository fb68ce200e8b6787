// SPDX-License-Identifier: Apache-2.0
//! End-to-end harness: busybox bundles run by real runc, checkpointed and
//! restored by real CRIU through the `ccr` crate. The bundles come from
//! tests/fixture/make_bundle.py and the cgroup clean-up from
//! tests/fixture/clean_cgroups.py, the recipe every harness shares.
//!
//! Every container gets its own temporary directory (bundle, rootfs, runc
//! root, images), its own id and its own cgroup path "/ccr-rs/<id>", so
//! tests do not step on each other; test.sh still runs them one at a time.
#![allow(dead_code)]

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub const CGROUP_PARENT: &str = "ccr-rs";
const CGROUP_ROOT: &str = "/sys/fs/cgroup";
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Returns early from a test (which then passes, with "SKIPPED" printed)
/// when the machine cannot run end-to-end tests; fails instead when
/// CI=true.
#[macro_export]
macro_rules! require_e2e {
    () => {
        if let Some(missing) = common::missing_prerequisites() {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("end-to-end prerequisites missing (CI=true): {missing}");
            }
            common::print_uncaptured(&format!(
                "SKIPPED: needs root, criu >= 4.1, runc, /bin/busybox and python3; missing {missing}\n"
            ));
            return;
        }
    };
}

/// Writes to file descriptor 2 itself: the test harness captures what goes
/// through `eprintln!` and `std::io::stderr()`, and a skip must show in the
/// output of a passing run.
pub fn print_uncaptured(text: &str) {
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        let n = unsafe { libc::write(2, rest.as_ptr().cast(), rest.len()) };
        if n <= 0 {
            break;
        }
        rest = &rest[n as usize..];
    }
}

/// What this machine lacks for the end-to-end tests, or None.
pub fn missing_prerequisites() -> Option<String> {
    let mut missing = Vec::new();
    if unsafe { libc::geteuid() } != 0 {
        missing.push("root".to_string());
    }
    match find_in_path("criu") {
        None => missing.push("criu".to_string()),
        Some(criu) => {
            let out = Command::new(&criu).arg("--version").output();
            let text = out
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            // "Version: 4.1.1"
            let version = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("Version:"))
                .map(|v| {
                    v.trim()
                        .split('.')
                        .map(|n| n.parse::<u32>().unwrap_or(0))
                        .collect::<Vec<_>>()
                });
            match version {
                Some(v) if v.len() >= 2 && v[0] * 100 + v[1] >= 401 => {}
                Some(v) => missing.push(format!("criu >= 4.1 (found {v:?} at {})", criu.display())),
                None => missing.push(format!(
                    "criu >= 4.1 (cannot read `{} --version`)",
                    criu.display()
                )),
            }
        }
    }
    // python3 runs tests/fixture.
    for bin in ["runc", "python3"] {
        if find_in_path(bin).is_none() {
            missing.push(bin.to_string());
        }
    }
    if !is_executable(Path::new("/bin/busybox")) {
        missing.push("/bin/busybox".to_string());
    }
    if missing.is_empty() {
        None
    } else {
        Some(missing.join(", "))
    }
}

pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file() && is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    unsafe { libc::access(c.as_ptr(), libc::X_OK) == 0 }
}

/// Panics with the error's full description.
pub fn ok<T>(r: libccr::Result<T>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what} failed: {e:#}"),
    }
}

fn run(cmd: &mut Command) -> (bool, String) {
    match cmd.stdin(Stdio::null()).output() {
        Ok(o) => {
            let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
            s.push_str(&String::from_utf8_lossy(&o.stderr));
            (o.status.success(), s)
        }
        Err(e) => (false, format!("{cmd:?}: {e}")),
    }
}

// ---------------------------------------------------------------------------
// Pipes
// ---------------------------------------------------------------------------

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [-1; 2];
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2: {}", std::io::Error::last_os_error());
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// The container's ends of three pipes, to hand to runc or to a restore.
pub struct ContainerEnds {
    pub stdin: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
}

/// The test's ends: write the container's stdin, read its stdout/stderr.
pub struct TestEnds {
    stdin: File,
    stdout: File,
    stderr: File,
    buf: Vec<u8>,
}

pub fn pipes() -> (TestEnds, ContainerEnds) {
    let (c_in, t_in) = pipe();
    let (t_out, c_out) = pipe();
    let (t_err, c_err) = pipe();
    (
        TestEnds {
            stdin: File::from(t_in),
            stdout: File::from(t_out),
            stderr: File::from(t_err),
            buf: Vec::new(),
        },
        ContainerEnds {
            stdin: c_in,
            stdout: c_out,
            stderr: c_err,
        },
    )
}

fn readable(fd: &File, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    loop {
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return r > 0;
    }
}

impl TestEnds {
    pub fn send_line(&mut self, line: &str) -> bool {
        self.stdin.write_all(format!("{line}\n").as_bytes()).is_ok()
    }

    /// The next line of stdout, or None after `timeout` or at EOF.
    pub fn read_line(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=nl).collect();
                return Some(String::from_utf8_lossy(&line[..nl]).into_owned());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            if !readable(&self.stdout, left) {
                return None;
            }
            let mut chunk = [0u8; 4096];
            match self.stdout.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
    }

    /// Whatever stderr holds right now.
    pub fn drain_stderr(&mut self) -> String {
        let mut out = Vec::new();
        while readable(&self.stderr, Duration::ZERO) {
            let mut chunk = [0u8; 4096];
            match self.stderr.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

// ---------------------------------------------------------------------------
// Bundles
// ---------------------------------------------------------------------------

/// The counter: answers "<line> <n>" to the n-th line.
pub fn counter_workload() -> Vec<String> {
    vec![
        "sh".into(),
        "-c".into(),
        r#"i=0; while read line; do i=$((i+1)); echo "$line $i"; done"#.into(),
    ]
}

pub fn cgroup_path_for(id: &str) -> String {
    format!("/{CGROUP_PARENT}/{id}")
}

/// Runs tests/fixture/<script> of the source tree; Err(its output) when it
/// fails.
pub fn run_fixture(script: &str, args: &[OsString]) -> Result<(), String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/fixture")
        .join(script);
    match run(Command::new("python3").arg(&path).args(args)) {
        (true, _) => Ok(()),
        (false, out) => Err(format!("tests/fixture/{script}: {out}")),
    }
}

// ---------------------------------------------------------------------------
// Processes and cgroups
// ---------------------------------------------------------------------------

pub fn alive(pid: i32) -> bool {
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0 && !is_zombie(pid)
}

fn is_zombie(pid: i32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    stat.rfind(')')
        .and_then(|rp| stat[rp + 1..].split_whitespace().next().map(|s| s == "Z"))
        .unwrap_or(false)
}

/// Waits until `pid` is gone (reaping it if it is our child).
pub fn wait_gone(pid: i32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let mut status = 0;
        if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == pid {
            return true;
        }
        if !alive(pid) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        sleep(Duration::from_millis(10));
    }
}

/// A pid that names no process.
pub fn unused_pid() -> i32 {
    let pid_max: i32 = fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(32768);
    (1000..pid_max)
        .rev()
        .find(|&p| unsafe { libc::kill(p, 0) } < 0 && !Path::new(&format!("/proc/{p}")).exists())
        .expect("no unused pid")
}

/// True when /sys/fs/cgroup is a cgroup2 mount: a v2-only host, or the v2
/// view tests/cgroup2/view.sh makes of a hybrid one.
pub fn cgroup_v2_host() -> bool {
    const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;
    let path = std::ffi::CString::new(CGROUP_ROOT).expect("no NUL");
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a zeroed statfs to fill.
    unsafe { libc::statfs(path.as_ptr(), &mut st) == 0 && st.f_type as i64 == CGROUP2_SUPER_MAGIC }
}

// ---------------------------------------------------------------------------
// A runc container
// ---------------------------------------------------------------------------

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct TestContainer {
    pub id: String,
    dir: tempfile::TempDir,
    pub bundle: PathBuf,
    runc_root: PathBuf,
    pid: i32,
    io: Option<TestEnds>,
    /// Restored inits: our children, to kill and reap.
    adopted: Vec<i32>,
    started: bool,
    /// Its cgroup path when not below the harness's parent (a pod's).
    cgroup: Option<String>,
}

impl TestContainer {
    /// A bundle with the counter workload, not started yet.
    pub fn new() -> TestContainer {
        TestContainer::with_args(&counter_workload())
    }

    pub fn with_args(args: &[String]) -> TestContainer {
        TestContainer::with_args_in(args, None)
    }

    /// A bundle running `args` whose cgroup is `parent`/<id> (a pod's
    /// member) when `parent` is given.
    pub fn with_args_in(args: &[String], parent: Option<&str>) -> TestContainer {
        let id = format!(
            "rs-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let dir = tempfile::Builder::new()
            .prefix(&format!("ccr-rs-{id}-"))
            .tempdir()
            .expect("temp dir");
        let bundle = dir.path().join("bundle");
        fs::create_dir(&bundle).unwrap();
        let cgroup = parent.map(|p| format!("{p}/{id}"));
        let mut fixture_args: Vec<OsString> = vec![
            "bundle".into(),
            bundle.clone().into(),
            "--cgroups-path".into(),
            cgroup.clone().unwrap_or_else(|| cgroup_path_for(&id)).into(),
            "--".into(),
        ];
        fixture_args.extend(args.iter().map(OsString::from));
        if let Err(e) = run_fixture("make_bundle.py", &fixture_args) {
            panic!("bundle for {id}: {e}");
        }
        TestContainer {
            runc_root: dir.path().join("runc"),
            id,
            dir,
            bundle,
            pid: 0,
            io: None,
            adopted: Vec::new(),
            started: false,
            cgroup,
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    pub fn cgroup_path(&self) -> String {
        self.cgroup.clone().unwrap_or_else(|| cgroup_path_for(&self.id))
    }

    /// `runc --root <dir> run -d` with pipes for stdin, stdout and stderr.
    pub fn start(&mut self) {
        assert!(!self.started, "already started");
        let (mut test, ctr) = pipes();
        let pid_file = self.dir.path().join("container.pid");
        let mut child = Command::new(find_in_path("runc").expect("runc"))
            .arg("--root")
            .arg(&self.runc_root)
            .args(["run", "-d", "--pid-file"])
            .arg(&pid_file)
            .arg("--bundle")
            .arg(&self.bundle)
            .arg(&self.id)
            .stdin(Stdio::from(ctr.stdin))
            .stdout(Stdio::from(ctr.stdout))
            .stderr(Stdio::from(ctr.stderr))
            .spawn()
            .expect("spawn runc");
        // The Command (and with it our copies of the container's ends) is
        // gone; from here on cleanup runs runc delete.
        self.started = true;
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait runc") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break child.wait().expect("wait runc");
            }
            sleep(Duration::from_millis(10));
        };
        if !status.success() {
            panic!(
                "runc run {} failed ({status}): {}",
                self.id,
                test.drain_stderr()
            );
        }
        self.pid = fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("runc run {}: no pid file", self.id));
        self.io = Some(test);
    }

    /// Sends a line and returns the answer ("" when none comes).
    pub fn ask(&mut self, line: &str) -> String {
        let Some(io) = self.io.as_mut() else {
            return String::new();
        };
        if !io.send_line(line) {
            return String::new();
        }
        io.read_line(ANSWER_TIMEOUT).unwrap_or_default()
    }

    /// A `libccr::Container` for this bundle and its current pid.
    pub fn handle(&self) -> libccr::Container {
        let c = ok(libccr::Container::new(&self.id), "Container::new").bundle(&self.bundle);
        if self.pid > 0 {
            c.pid(self.pid)
        } else {
            c
        }
    }

    /// Checkpoints with `options` (images dir already set).
    pub fn checkpoint(&self, options: &libccr::Options) -> libccr::Result<libccr::Outcome> {
        libccr::checkpoint(&self.handle(), options)
    }

    /// Restores with fresh pipes; on success talks to the restored
    /// container through them and adopts its init.
    pub fn restore(&mut self, options: &libccr::Options) -> libccr::Result<libccr::Outcome> {
        let (handle, test) = self.restore_handle();
        let outcome = libccr::restore(&handle, options)?;
        // Dropping the handle closes our copies of the container's ends.
        drop(handle);
        if let Some(pid) = outcome.pid() {
            self.adopt(pid, test);
        }
        Ok(outcome)
    }

    /// A description for restoring this container with fresh pipes as its
    /// stdio, and the test's ends of them (for a restore made elsewhere, a
    /// pod's; [`adopt`](Self::adopt) takes its outcome).
    pub fn restore_handle(&self) -> (libccr::Container, TestEnds) {
        let (test, ctr) = pipes();
        let handle = self
            .handle()
            .stdio(Some(ctr.stdin), Some(ctr.stdout), Some(ctr.stderr));
        (handle, test)
    }

    /// Talks to the restored init `pid` through `ends` from now on, and
    /// reaps it at clean-up (it is our child).
    pub fn adopt(&mut self, pid: i32, ends: TestEnds) {
        self.adopted.push(pid);
        self.pid = pid;
        self.io = Some(ends);
    }

    /// Options for an images directory below this container's temp dir.
    pub fn options(&self, images: &str) -> libccr::Options {
        libccr::Options::new()
            .expect("Options::new")
            .images_dir(self.dir.path().join(images))
    }

    /// THAWED, FREEZING or FROZEN (on v2 from cgroup.freeze and
    /// cgroup.events), or None when the cgroup is gone.
    pub fn freezer_state(&self) -> Option<String> {
        if !cgroup_v2_host() {
            let p = Path::new(CGROUP_ROOT)
                .join("freezer")
                .join(CGROUP_PARENT)
                .join(&self.id)
                .join("freezer.state");
            return fs::read_to_string(p).ok().map(|s| s.trim().to_string());
        }
        let dir = Path::new(CGROUP_ROOT).join(CGROUP_PARENT).join(&self.id);
        let freeze = fs::read_to_string(dir.join("cgroup.freeze")).ok()?;
        if freeze.trim() != "1" {
            return Some("THAWED".into());
        }
        let events = fs::read_to_string(dir.join("cgroup.events")).unwrap_or_default();
        Some(
            if events.contains("frozen 1") {
                "FROZEN"
            } else {
                "FREEZING"
            }
            .into(),
        )
    }

    /// The cgroup of `pid` in the v1 hierarchy holding `controller`; on a
    /// v2 host, where every controller is in the one hierarchy, its "0::"
    /// line.
    pub fn cgroup_of(pid: i32, controller: &str) -> Option<String> {
        let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        let v2 = cgroup_v2_host();
        text.lines().find_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_, ctrls, path) = (f.next()?, f.next()?, f.next()?);
            let hit = if v2 {
                ctrls.is_empty()
            } else {
                ctrls.split(',').any(|c| c == controller)
            };
            hit.then(|| path.to_string())
        })
    }

    fn cleanup(&mut self) {
        // clean_cgroups.py leaves our own children (restored inits) for us
        // to reap.
        for &p in &self.adopted {
            unsafe { libc::kill(p, libc::SIGKILL) };
        }
        let mut args: Vec<OsString> = Vec::new();
        if self.started {
            args.extend([
                "--runc-root".into(),
                self.runc_root.clone().into(),
                "--id".into(),
                self.id.clone().into(),
            ]);
        }
        args.push(self.cgroup_path().into());
        if let Err(e) = run_fixture("clean_cgroups.py", &args) {
            print_uncaptured(&format!("cleanup of {}: {e}\n", self.id));
        }
        self.started = false;
        for &p in &self.adopted {
            wait_gone(p, Duration::from_secs(5));
        }
        self.adopted.clear();
        self.io = None;
    }
}

impl Drop for TestContainer {
    fn drop(&mut self) {
        self.cleanup();
        // The temp dir goes with the field; nothing is mounted there (the
        // restore's root mount lives in libccr's own state dir).
    }
}
