// SPDX-License-Identifier: Apache-2.0
//! ccr's own log through `Options::log`: with real runc and CRIU (these need
//! what e2e.rs needs, and skip or fail as it does), and on a checkpoint that
//! fails before CRIU starts (these run anywhere). Run them one at a time:
//! `cargo test -- --test-threads=1`.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libccr::{ErrorCode, LogLevel};
use common::{alive, ok, unused_pid, wait_gone, TestContainer};

/// Every line a log closure saw.
type Lines = Arc<Mutex<Vec<(LogLevel, String)>>>;

fn collector(lines: &Lines) -> impl FnMut(LogLevel, &str) + Send + 'static {
    let lines = Arc::clone(lines);
    move |level, line| lines.lock().unwrap().push((level, line.to_string()))
}

fn dump(lines: &Lines) -> String {
    lines
        .lock()
        .unwrap()
        .iter()
        .map(|(l, s)| format!("  [{l}] {s}\n"))
        .collect()
}

fn has_line(lines: &Lines, f: impl Fn(LogLevel, &str) -> bool) -> bool {
    lines.lock().unwrap().iter().any(|(l, s)| f(*l, s))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// A checkpoint of a pid that does not exist: libccr logs its start, then
/// fails with NotFound before anything else happens.
fn checkpoint_missing_pid(options: &libccr::Options) -> libccr::Result<libccr::Outcome> {
    let container = ok(libccr::Container::new("rs-log-ghost"), "Container::new").pid(unused_pid());
    libccr::checkpoint(&container, options)
}

#[test]
fn log_reaches_the_closure_without_criu() {
    let lines: Lines = Default::default();
    let dir = tempfile::tempdir().unwrap();
    let options = ok(libccr::Options::new(), "Options::new")
        .images_dir(dir.path().join("images"))
        .log(LogLevel::Debug, collector(&lines));
    let err = checkpoint_missing_pid(&options).expect_err("checkpoint of a missing pid");
    assert_eq!(err.code(), ErrorCode::NotFound, "{err:#}");
    assert!(
        has_line(&lines, |l, s| l == LogLevel::Info
            && s.starts_with("checkpoint of container rs-log-ghost (pid ")),
        "lines:\n{}",
        dump(&lines)
    );

    // Removed: nothing more arrives.
    let before = lines.lock().unwrap().len();
    let options = options.no_log();
    let _ = checkpoint_missing_pid(&options);
    assert_eq!(lines.lock().unwrap().len(), before);
}

#[test]
fn log_panic_is_resumed_after_the_call_without_criu() {
    let calls = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&calls);
    let dir = tempfile::tempdir().unwrap();
    let options = ok(libccr::Options::new(), "Options::new")
        .images_dir(dir.path().join("images"))
        .log(LogLevel::Debug, move |_, line| {
            *counter.lock().unwrap() += 1;
            panic!("log panic at: {line}");
        });
    let caught = catch_unwind(AssertUnwindSafe(|| checkpoint_missing_pid(&options)));
    let panic = match caught {
        Err(p) => p,
        Ok(r) => panic!("the log closure's panic did not reach the caller; got {r:?}"),
    };
    assert!(
        panic_message(&*panic).starts_with("log panic at: checkpoint of container rs-log-ghost"),
        "{:?}",
        panic_message(&*panic)
    );
    assert_eq!(*calls.lock().unwrap(), 1, "no lines after the panic");

    // The slot was emptied: the next call runs the closure again.
    let again = catch_unwind(AssertUnwindSafe(|| checkpoint_missing_pid(&options)));
    assert!(again.is_err());
    assert_eq!(*calls.lock().unwrap(), 2);
}

#[test]
fn checkpoint_at_debug_logs_notifications_and_the_outcome() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");

    let lines: Lines = Default::default();
    let options = c.options("images").log(LogLevel::Debug, collector(&lines));
    ok(c.checkpoint(&options), "checkpoint");
    eprintln!("checkpoint log:\n{}", dump(&lines));
    for want in [
        "notification pre-dump",
        "notification network-lock",
        "notification post-dump",
    ] {
        assert!(
            has_line(&lines, |l, s| l == LogLevel::Debug && s.starts_with(want)),
            "no debug line {want:?} in:\n{}",
            dump(&lines)
        );
    }
    assert!(
        has_line(&lines, |l, s| l == LogLevel::Info
            && s.starts_with("criu dump done in ")),
        "no info line \"criu dump done in\" in:\n{}",
        dump(&lines)
    );
    assert!(
        has_line(&lines, |_, s| s.contains(&c.id)),
        "the container id is logged:\n{}",
        dump(&lines)
    );
    assert!(lines
        .lock()
        .unwrap()
        .iter()
        .all(|(_, s)| !s.is_empty() && !s.ends_with('\n')));
}

#[test]
fn restore_at_info_logs_only_info_and_above() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");
    ok(c.checkpoint(&c.options("images")), "checkpoint");

    let lines: Lines = Default::default();
    let options = c.options("images").log(LogLevel::Info, collector(&lines));
    let pid = ok(c.restore(&options), "restore")
        .pid()
        .expect("restored pid");
    eprintln!("restore log:\n{}", dump(&lines));
    assert!(!lines.lock().unwrap().is_empty());
    assert!(
        lines
            .lock()
            .unwrap()
            .iter()
            .all(|(l, _)| *l <= LogLevel::Info),
        "a line above Info:\n{}",
        dump(&lines)
    );
    assert!(
        !has_line(&lines, |_, s| s.starts_with("notification ")),
        "notifications are debug lines:\n{}",
        dump(&lines)
    );
    let want = format!("restored container {} as pid {pid}", c.id);
    assert!(
        has_line(&lines, |l, s| l == LogLevel::Info && s.starts_with(&want)),
        "no info line {want:?} in:\n{}",
        dump(&lines)
    );
    assert_eq!(c.ask("b"), "b 2");
}

#[test]
fn log_panic_is_resumed_after_the_checkpoint_completes() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");
    let pid = c.pid();

    let lines: Lines = Default::default();
    let mut collect = collector(&lines);
    // Panics while the container is frozen; the checkpoint goes on.
    let options = c
        .options("images")
        .log(LogLevel::Debug, move |level, line| {
            collect(level, line);
            if line.starts_with("notification network-lock") {
                panic!("log boom: {line}");
            }
        });
    let caught = catch_unwind(AssertUnwindSafe(|| c.checkpoint(&options)));
    let panic = match caught {
        Err(p) => p,
        Ok(r) => panic!("the log closure's panic did not reach the caller; got {r:?}"),
    };
    assert!(
        panic_message(&*panic).starts_with("log boom: notification network-lock"),
        "{:?}",
        panic_message(&*panic)
    );
    let last = lines.lock().unwrap().last().cloned().unwrap();
    assert!(
        last.1.starts_with("notification network-lock"),
        "the closure saw nothing after its panic:\n{}",
        dump(&lines)
    );

    // The checkpoint ran to its end before the panic went on: the images
    // are complete and the container is gone.
    assert!(c.dir().join("images/inventory.img").exists());
    assert!(c.dir().join("images/descriptors.json").exists());
    assert!(
        wait_gone(pid, Duration::from_secs(10)),
        "init {pid} still runs after the checkpoint"
    );
    // And it restores, with the same options (the panic slot was emptied;
    // the closure runs again and sees no network-lock on a restore).
    let restored = ok(c.restore(&options), "restore after the panic");
    assert!(alive(restored.pid().expect("pid")));
    assert!(
        has_line(&lines, |_, s| s.starts_with("restored container ")),
        "{}",
        dump(&lines)
    );
    assert_eq!(c.ask("b"), "b 2");
}
