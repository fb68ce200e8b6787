// SPDX-License-Identifier: Apache-2.0
//! What ccr sees of the host without starting a process: its cgroup layout
//! and the freezer ccr uses on it.

use crate::error::{check, Result};
use crate::sys;

/// How the host's cgroup hierarchies are mounted (`ccr_cgroup_layout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CgroupLayout {
    /// No cgroup hierarchy is mounted.
    None,
    /// v1 hierarchies only.
    V1,
    /// v1 hierarchies and the v2 one beside them.
    Hybrid,
    /// The v2 hierarchy alone (unified).
    V2,
}

/// The freezer ccr gives CRIU for a container (`ccr_freezer_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FreezerKind {
    /// None: CRIU stops the processes with ptrace alone.
    None,
    /// The v1 freezer controller (`freezer.state`).
    V1,
    /// The container's v2 cgroup (`cgroup.freeze`).
    V2,
}

/// The host's cgroup layout and the freezer ccr uses on it, as ccr sees them
/// from this process's mount namespace (`ccr_host_cgroup_layout`).
pub fn host_cgroups() -> Result<(CgroupLayout, FreezerKind)> {
    let mut layout: sys::ccr_cgroup_layout = sys::CCR_CGROUP_LAYOUT_NONE;
    let mut freezer: sys::ccr_freezer_kind = sys::CCR_FREEZER_NONE;
    // SAFETY: both pointers are to live locals of the C enum types.
    unsafe { check(sys::ccr_host_cgroup_layout(&mut layout, &mut freezer))? };
    let layout = match layout {
        sys::CCR_CGROUP_LAYOUT_V1 => CgroupLayout::V1,
        sys::CCR_CGROUP_LAYOUT_HYBRID => CgroupLayout::Hybrid,
        sys::CCR_CGROUP_LAYOUT_V2 => CgroupLayout::V2,
        _ => CgroupLayout::None,
    };
    let freezer = match freezer {
        sys::CCR_FREEZER_V1 => FreezerKind::V1,
        sys::CCR_FREEZER_V2 => FreezerKind::V2,
        _ => FreezerKind::None,
    };
    Ok((layout, freezer))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Agrees with the file system type at /sys/fs/cgroup (the v2 pass runs
    // in tests/cgroup2/view.sh, where it is cgroup2 itself).
    #[test]
    fn host_cgroups_matches_the_file_systems() {
        let (layout, freezer) = host_cgroups().expect("ccr_host_cgroup_layout");
        let fstype = std::process::Command::new("stat")
            .args(["-f", "-c", "%T", "/sys/fs/cgroup"])
            .output()
            .expect("stat");
        let fstype = String::from_utf8_lossy(&fstype.stdout).trim().to_string();
        if fstype == "cgroup2fs" {
            assert_eq!((layout, freezer), (CgroupLayout::V2, FreezerKind::V2));
        } else {
            assert!(matches!(layout, CgroupLayout::V1 | CgroupLayout::Hybrid), "{layout:?}");
            let want = if std::path::Path::new("/sys/fs/cgroup/freezer").is_dir() {
                FreezerKind::V1
            } else {
                FreezerKind::None
            };
            assert_eq!(freezer, want);
        }
    }
}
