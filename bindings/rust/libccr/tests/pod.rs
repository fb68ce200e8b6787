// SPDX-License-Identifier: Apache-2.0
//! A pod of real runc containers checkpointed at one freeze and restored
//! together, through the safe API ([`libccr::Pod`]).

mod common;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{alive, counter_workload, ok, run_fixture, wait_gone, TestContainer};

/// Removes the pod's parent cgroup once its containers are gone (declared
/// before them, so dropped after).
struct PodCgroup(String);

impl Drop for PodCgroup {
    fn drop(&mut self) {
        if let Err(e) = run_fixture("clean_cgroups.py", &[OsString::from(&self.0)]) {
            common::print_uncaptured(&format!("cleanup of {}: {e}\n", self.0));
        }
    }
}

fn pod_of(id: &str, parent: &str, members: Vec<libccr::Container>) -> libccr::Pod {
    let mut pod = ok(libccr::Pod::new(id), "Pod::new").cgroup_parent(parent);
    for m in members {
        pod = pod.container(m);
    }
    pod
}

/// Two containers below one pod cgroup: a leave-running pod checkpoint
/// (both go on, the notifications name their container), one that stops the
/// pod, and a pod restore from it: both counters carry on.
#[test]
fn pod_checkpoint_and_restore() {
    require_e2e!();
    let parent = format!("/ccr-rs-pod-{}", std::process::id());
    let _cgroup = PodCgroup(parent.clone());
    let mut members = [
        TestContainer::with_args_in(&counter_workload(), Some(&parent)),
        TestContainer::with_args_in(&counter_workload(), Some(&parent)),
    ];
    for c in members.iter_mut() {
        c.start();
        assert_eq!(c.ask("a"), "a 1");
    }
    let ids: Vec<String> = members.iter().map(|c| c.id.clone()).collect();
    let dir = members[0].dir().to_path_buf();

    let heard = Arc::new(Mutex::new(BTreeSet::new()));
    let h = heard.clone();
    let running = ok(libccr::Options::new(), "Options::new")
        .leave_running(true)
        .notify(move |n: &libccr::Notify<'_>| {
            if let Some(c) = n.container() {
                h.lock().unwrap().insert(c.into_owned());
            }
            Ok::<(), std::io::Error>(())
        });
    let pod = pod_of("rs-pod", &parent, members.iter().map(|c| c.handle()).collect());
    let out = ok(
        libccr::pod_checkpoint(&pod, dir.join("running"), &running),
        "leave-running pod checkpoint",
    );
    let got: Vec<String> = out.containers.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(got, ids);
    assert!(out.frozen_time_us.unwrap_or(0) > 0, "{out:?}");
    assert_eq!(heard.lock().unwrap().iter().cloned().collect::<Vec<_>>(), {
        let mut v = ids.clone();
        v.sort();
        v
    });
    for c in members.iter_mut() {
        assert_eq!(c.ask("b"), "b 2", "{} after a leave-running pod checkpoint", c.id);
    }

    let olds: Vec<i32> = members.iter().map(|c| c.pid()).collect();
    let pod = pod_of("rs-pod", &parent, members.iter().map(|c| c.handle()).collect());
    ok(
        libccr::pod_checkpoint(&pod, dir.join("stopped"), &ok(libccr::Options::new(), "Options::new")),
        "pod checkpoint",
    );
    for pid in olds {
        assert!(wait_gone(pid, Duration::from_secs(10)), "{pid} runs after the pod checkpoint");
    }

    // The pod travels as one archive, and is restored from its import.
    let none = ok(libccr::Options::new(), "Options::new");
    ok(
        libccr::export_pod_archive(dir.join("pod.tar"), dir.join("stopped"), &none),
        "pod archive export",
    );
    ok(
        libccr::import_pod_archive(dir.join("pod.tar"), dir.join("imported"), &none),
        "pod archive import",
    );
    let (handles, ends): (Vec<_>, Vec<_>) = members.iter().map(|c| c.restore_handle()).unzip();
    let pod = pod_of("rs-pod", &parent, handles);
    let out = ok(
        libccr::pod_restore(&pod, dir.join("imported"), &ok(libccr::Options::new(), "Options::new")),
        "pod restore",
    );
    // The pod holds the containers' ends of the pipes: drop it, as a
    // runtime would once the restore is done.
    drop(pod);
    for (c, end) in members.iter_mut().zip(ends) {
        let (_, outcome) = out
            .containers
            .iter()
            .find(|(id, _)| *id == c.id)
            .unwrap_or_else(|| panic!("no outcome for {}: {out:?}", c.id));
        let pid = outcome.pid().expect("a restored init");
        assert!(alive(pid));
        c.adopt(pid, end);
    }
    for c in members.iter_mut() {
        assert_eq!(c.ask("c"), "c 3", "{} after the pod restore", c.id);
    }
}
