// SPDX-License-Identifier: Apache-2.0
//! Checkpoint and restore of real runc containers with real CRIU, through
//! the safe `ccr` API. Run them one at a time: `cargo test -- --test-threads=1`
//! (they are independent — own ids, dirs and cgroups — but each freezes a
//! container and runs CRIU, which is heavy to do in parallel).

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use libccr::{ErrorCode, Notify};
use common::{alive, ok, unused_pid, wait_gone, TestContainer};

/// Every notification a closure saw: (script, pid).
type Seen = Arc<Mutex<Vec<(String, Option<i32>)>>>;

fn recorder(seen: &Seen) -> impl FnMut(&Notify<'_>) -> Result<(), std::io::Error> + Send + 'static {
    let seen = Arc::clone(seen);
    move |ev: &Notify| {
        seen.lock()
            .unwrap()
            .push((ev.script().into_owned(), ev.pid()));
        Ok(())
    }
}

fn scripts(seen: &Seen) -> String {
    seen.lock()
        .unwrap()
        .iter()
        .map(|(s, _)| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The error a test's notify closure returns.
#[derive(Debug, PartialEq)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused at {}", self.0)
    }
}

impl std::error::Error for Refused {}

#[test]
fn checkpoint_and_restore_carries_the_counter_on() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");
    let pid1 = c.pid();

    let outcome = ok(c.checkpoint(&c.options("images-1")), "checkpoint");
    assert_eq!(outcome.pid(), None);
    assert!(
        wait_gone(pid1, Duration::from_secs(10)),
        "init {pid1} still runs after the checkpoint"
    );
    assert!(c.dir().join("images-1/inventory.img").exists());
    assert!(c.dir().join("images-1/descriptors.json").exists());

    let restored = ok(c.restore(&c.options("images-1")), "restore");
    let pid2 = restored.pid().expect("restore gives the new init's pid");
    assert!(alive(pid2));
    if let Some(cg) = TestContainer::cgroup_of(pid2, "freezer") {
        assert_eq!(cg, c.cgroup_path());
    }
    assert_eq!(
        c.ask("b"),
        "b 2",
        "the counter carries on after the restore"
    );

    // Again, from the restored container.
    ok(c.checkpoint(&c.options("images-2")), "second checkpoint");
    assert!(
        wait_gone(pid2, Duration::from_secs(10)),
        "restored init {pid2} still runs"
    );
    let pid3 = ok(c.restore(&c.options("images-2")), "second restore")
        .pid()
        .unwrap();
    assert!(alive(pid3));
    assert_eq!(c.ask("c"), "c 3");
    assert_eq!(c.ask("d"), "d 4");
}

#[test]
fn notify_closures_see_criu_scripts_in_order() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");

    let dump: Seen = Default::default();
    ok(
        c.checkpoint(&c.options("images").notify(recorder(&dump))),
        "checkpoint",
    );
    // CRIU 4.1.1 (swrk): query-ext-files is sent in RPC mode only; without
    // leave_running the network stays locked until the restore.
    assert_eq!(
        scripts(&dump),
        "pre-dump,network-lock,query-ext-files,post-dump"
    );

    let rst: Seen = Default::default();
    let pid = ok(
        c.restore(&c.options("images").notify(recorder(&rst))),
        "restore",
    )
    .pid()
    .unwrap();
    assert_eq!(
        scripts(&rst),
        "pre-restore,setup-namespaces,post-setup-namespaces,post-restore,\
         network-unlock,pre-resume,post-resume"
    );
    for (script, p) in rst.lock().unwrap().iter() {
        if script == "setup-namespaces" || script == "post-restore" {
            assert_eq!(*p, Some(pid), "{script} carries the restored init's pid");
        }
    }
    assert_eq!(c.ask("b"), "b 2");
}

#[test]
fn leave_running_keeps_the_container_answering() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");

    let seen: Seen = Default::default();
    let opts = c
        .options("images")
        .leave_running(true)
        .notify(recorder(&seen));
    ok(c.checkpoint(&opts), "checkpoint");
    assert_eq!(
        scripts(&seen),
        "pre-dump,network-lock,query-ext-files,post-dump,network-unlock"
    );
    assert!(alive(c.pid()));
    if let Some(state) = c.freezer_state() {
        assert_eq!(state, "THAWED");
    }
    assert_eq!(c.ask("b"), "b 2");
}

#[test]
fn closure_error_aborts_the_checkpoint_with_code_callback() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");

    let mut n = 1;
    for stop_at in ["pre-dump", "network-lock", "post-dump"] {
        let seen: Seen = Default::default();
        let mut record = recorder(&seen);
        let opts = c
            .options(&format!("images-{stop_at}"))
            .notify(move |ev: &Notify| {
                record(ev).unwrap();
                if ev.script() == stop_at {
                    return Err(Refused(stop_at.to_string()));
                }
                Ok(())
            });
        let mut err = c
            .checkpoint(&opts)
            .expect_err("checkpoint succeeded although the closure failed");
        assert_eq!(err.code(), ErrorCode::Callback, "{err:#}");
        let source = std::error::Error::source(&err).expect("the closure's error is the source");
        assert_eq!(
            source.downcast_ref::<Refused>(),
            Some(&Refused(stop_at.to_string()))
        );
        let owned = err.take_callback_error().unwrap();
        assert_eq!(owned.to_string(), format!("refused at {stop_at}"));
        assert_eq!(scripts(&seen).rsplit(',').next(), Some(stop_at));

        assert!(
            alive(c.pid()),
            "container died after an aborted checkpoint at {stop_at}"
        );
        if let Some(state) = c.freezer_state() {
            assert_eq!(state, "THAWED", "after aborting at {stop_at}");
        }
        n += 1;
        assert_eq!(c.ask("q"), format!("q {n}"), "after aborting at {stop_at}");
    }
}

#[test]
fn closure_panic_resumes_in_the_caller_after_cleanup() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");

    let seen: Seen = Default::default();
    let mut record = recorder(&seen);
    // network-lock: the container is frozen then; the C side must thaw it
    // before the panic goes on.
    let opts = c
        .options("images")
        .notify(move |ev: &Notify| -> Result<(), Refused> {
            record(ev).unwrap();
            if ev.script() == "network-lock" {
                panic!("boom at {}", ev.script());
            }
            Ok(())
        });
    let caught = catch_unwind(AssertUnwindSafe(|| c.checkpoint(&opts)));
    let panic = match caught {
        Err(p) => p,
        Ok(r) => {
            panic!("the closure's panic did not reach the caller; the checkpoint returned {r:?}")
        }
    };
    let msg = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert_eq!(msg, "boom at network-lock");
    assert_eq!(
        scripts(&seen),
        "pre-dump,network-lock",
        "nothing ran after the panic"
    );

    assert!(alive(c.pid()), "container died after a panicking closure");
    if let Some(state) = c.freezer_state() {
        assert_eq!(state, "THAWED");
    }
    assert_eq!(c.ask("b"), "b 2");

    // The options and the closure stay usable: the next checkpoint runs the
    // closure from the start again (the panic slot was emptied), and its new
    // panic is resumed in turn.
    let again = catch_unwind(AssertUnwindSafe(|| c.checkpoint(&opts)));
    assert!(again.is_err());
    assert_eq!(
        scripts(&seen),
        "pre-dump,network-lock,pre-dump,network-lock"
    );
    assert_eq!(c.ask("c"), "c 3");
}

#[test]
fn checkpoint_of_a_missing_pid_is_not_found() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");

    let ghost = unused_pid();
    let handle = c.handle().pid(ghost);
    let err =
        libccr::checkpoint(&handle, &c.options("images")).expect_err("checkpoint of a missing pid");
    assert_eq!(err.code(), ErrorCode::NotFound, "{err:#}");
    assert!(err.message().contains(&ghost.to_string()), "{err:#}");
    assert!(alive(c.pid()));
    assert_eq!(c.ask("b"), "b 2");
}

#[test]
fn canceller_stops_a_checkpoint_from_another_thread() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");

    let canceller: Arc<OnceLock<libccr::Canceller>> = Default::default();
    let seen: Seen = Default::default();
    let mut record = recorder(&seen);
    let from_closure = Arc::clone(&canceller);
    let opts = c
        .options("images")
        .notify(move |ev: &Notify| -> Result<(), Refused> {
            record(ev).unwrap();
            if ev.script() == "network-lock" {
                // The container is frozen now; cancel from another thread.
                let cancel = from_closure.get().expect("canceller").clone();
                std::thread::spawn(move || cancel.cancel())
                    .join()
                    .unwrap()
                    .unwrap();
            }
            Ok(())
        });
    canceller.set(opts.canceller()).unwrap();

    let err = c
        .checkpoint(&opts)
        .expect_err("a cancelled checkpoint succeeded");
    assert_eq!(err.code(), ErrorCode::Canceled, "{err:#}");
    assert!(!scripts(&seen).contains("post-dump"), "{}", scripts(&seen));
    assert!(
        alive(c.pid()),
        "container died after a cancelled checkpoint"
    );
    if let Some(state) = c.freezer_state() {
        assert_eq!(state, "THAWED");
    }
    assert_eq!(c.ask("b"), "b 2");

    // Cancellation sticks: later operations fail at once.
    let err = c
        .checkpoint(&opts)
        .expect_err("checkpoint with cancelled options");
    assert_eq!(err.code(), ErrorCode::Canceled, "{err:#}");
    assert_eq!(c.ask("c"), "c 3");
}

#[test]
fn criu_queries() {
    require_e2e!();
    let v = ok(libccr::criu_version(), "criu_version");
    assert!(v.number() >= 40100, "criu {v}");
    let f = ok(libccr::criu_features(), "criu_features");
    eprintln!("criu {v}, features {f:?}");

    let missing = libccr::Options::new().unwrap().criu_path("/nonexistent/criu");
    let err = missing
        .criu_version()
        .expect_err("a missing criu has no version");
    assert!(
        matches!(err.code(), ErrorCode::NotFound | ErrorCode::CriuStart),
        "{err:#}"
    );
}

/// A checkpoint's and a restore's statistics, and `read_stats` on the
/// images directory afterwards.
#[test]
fn statistics_of_checkpoint_restore_and_read_back() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");
    let dump = ok(c.checkpoint(&c.options("images")), "checkpoint");
    eprintln!("checkpoint stats: {dump:?}");
    use libccr::Stat;
    assert!(dump.stat(Stat::PagesWritten).unwrap_or(0) > 0, "{dump:?}");
    assert!(dump.stat(Stat::FrozenTimeUs).unwrap_or(0) > 0, "{dump:?}");
    let wall = dump.stat(Stat::WallTimeUs).expect("wall time");
    let criu = dump.stat(Stat::CriuTimeUs).expect("criu time");
    assert!(criu > 0 && wall >= criu, "{dump:?}");
    assert_eq!(dump.stat(Stat::OutsideCriuTimeUs), Some(wall - criu));
    assert_eq!(dump.stat(Stat::RestoreTimeUs), None);

    let images = c.dir().join("images");
    let on_disk = ok(libccr::read_stats(&images), "read_stats");
    assert_eq!(on_disk.pid(), None);
    let clock = [Stat::WallTimeUs, Stat::CriuTimeUs, Stat::OutsideCriuTimeUs];
    let want: Vec<_> = dump.stats().filter(|(s, _)| !clock.contains(s)).collect();
    assert_eq!(on_disk.stats().collect::<Vec<_>>(), want);

    let restored = ok(c.restore(&c.options("images")), "restore");
    eprintln!("restore stats: {restored:?}");
    assert!(
        restored.stat(Stat::RestoreTimeUs).unwrap_or(0) > 0,
        "{restored:?}"
    );
    assert!(
        restored.stat(Stat::WallTimeUs) >= restored.stat(Stat::CriuTimeUs),
        "{restored:?}"
    );
    assert_eq!(restored.stat(Stat::PagesWritten), None);
    assert_eq!(c.ask("b"), "b 2");
    let both = ok(libccr::read_stats(&images), "read_stats after the restore");
    assert_eq!(both.stat(Stat::PagesWritten), dump.stat(Stat::PagesWritten));
    assert_eq!(
        both.stat(Stat::RestoreTimeUs),
        restored.stat(Stat::RestoreTimeUs)
    );
}

/// An archive exported after a checkpoint imports into a fresh directory,
/// and the container restored from it with its own bundle carries on.
#[test]
fn archive_export_import_and_restore() {
    require_e2e!();
    let mut c = TestContainer::new();
    c.start();
    assert_eq!(c.ask("a"), "a 1");
    let options = c.options("images");
    ok(c.checkpoint(&options), "checkpoint");
    let archive = c.dir().join("checkpoint.tar");
    let created = std::time::UNIX_EPOCH + std::time::Duration::new(1_767_323_045, 250_000_000);
    let options = options
        .archive_container_name("web")
        .archive_image(
            "docker.io/library/busybox:1.36",
            "docker.io/library/busybox@sha256:0123",
        )
        .archive_times(Some(created), None);
    ok(
        libccr::export_archive(&archive, &c.handle(), &options, None),
        "export_archive",
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&archive).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let dest = c.dir().join("imported");
    ok(libccr::import_archive(&archive, &dest), "import_archive");
    for f in [
        "checkpoint/inventory.img",
        "checkpoint/descriptors.json",
        "config.dump",
        "spec.dump",
        "status.dump",
        "status",
        "stats-dump",
    ] {
        assert!(dest.join(f).is_file(), "{f} not imported");
    }
    let config = std::fs::read_to_string(dest.join("config.dump")).unwrap();
    for field in [
        r#""name":"web""#,
        r#""rootfsImageName":"docker.io/library/busybox:1.36""#,
        r#""rootfsImageRef":"docker.io/library/busybox@sha256:0123""#,
        r#""createdTime":"2026-01-02T03:04:05.25Z""#,
    ] {
        assert!(
            config.contains(field),
            "{field} not in config.dump: {config}"
        );
    }
    let e = libccr::import_archive(&archive, &dest).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument, "{e:#}");
    let st = ok(libccr::read_stats(&dest), "read_stats of the import");
    assert!(st.stat(libccr::Stat::PagesWritten).unwrap_or(0) > 0);

    let restore_opts = ok(libccr::Options::new(), "Options::new").images_dir(dest.join("checkpoint"));
    let restored = ok(c.restore(&restore_opts), "restore from the archive");
    assert!(alive(restored.pid().expect("pid")));
    assert_eq!(c.ask("b"), "b 2", "the counter carries on");
}
