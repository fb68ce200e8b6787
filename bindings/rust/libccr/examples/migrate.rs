// SPDX-License-Identifier: Apache-2.0
//! Checkpoint a runc container into a directory, or restore it from one.
//!
//! ```text
//! migrate checkpoint <id> <bundle> <pid> <images-dir> [--leave-running]
//! migrate restore    <id> <bundle> <images-dir>
//! ```
//!
//! Run as root, with criu in PATH. The restored container's stdio, if it
//! was pipes, become this program's own stdin/stdout/stderr; its init is
//! this program's child, so the program waits for it before exiting.

use std::process::ExitCode;

use libccr::{Container, Notify, Options};

fn usage() -> ExitCode {
    eprintln!(
        "usage: migrate checkpoint <id> <bundle> <pid> <images-dir> [--leave-running]\n       \
         migrate restore <id> <bundle> <images-dir>"
    );
    ExitCode::from(2)
}

fn options(images: &str) -> Options {
    Options::new()
        .expect("ccr_options_new")
        .images_dir(images)
        .notify(|ev: &Notify| -> Result<(), std::io::Error> {
            eprintln!("migrate: criu {}", ev.script());
            Ok(())
        })
}

fn run(args: &[String]) -> libccr::Result<Option<ExitCode>> {
    match args {
        [cmd, id, bundle, pid, images, rest @ ..] if cmd == "checkpoint" => {
            let Ok(pid) = pid.parse() else {
                return Ok(Some(usage()));
            };
            let leave_running = rest.iter().any(|a| a == "--leave-running");
            let container = Container::new(id)?.bundle(bundle).pid(pid);
            libccr::checkpoint(&container, &options(images).leave_running(leave_running))?;
            eprintln!("migrate: {id} checkpointed into {images}");
            Ok(None)
        }
        [cmd, id, bundle, images] if cmd == "restore" => {
            let container = Container::new(id)?.bundle(bundle);
            let outcome = libccr::restore(&container, &options(images))?;
            let pid = outcome.pid().unwrap_or(0);
            eprintln!("migrate: {id} restored, init pid {pid}");
            // The restored init is our child: reap it.
            let mut status = 0;
            unsafe { libc::waitpid(pid, &mut status, 0) };
            Ok(None)
        }
        _ => Ok(Some(usage())),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    eprintln!(
        "migrate: libccr {} (bindings for ccr.h {})",
        libccr::version_string(),
        libccr::HEADER_VERSION
    );
    match run(&args) {
        Ok(Some(code)) => code,
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` adds errno, CRIU's message and the log excerpt.
            eprintln!("migrate: {e:#}");
            ExitCode::FAILURE
        }
    }
}
