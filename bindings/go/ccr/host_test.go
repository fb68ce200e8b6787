// SPDX-License-Identifier: Apache-2.0

package ccr_test

import (
	"os"
	"syscall"
	"testing"

	"github.com/ccr-project/ccr/bindings/go/ccr"
)

const cgroup2SuperMagic = 0x63677270 // linux/magic.h

// The layout libccr reports agrees with the file system types at
// /sys/fs/cgroup (the v2 pass runs in tests/cgroup2/view.sh).
func TestHostCgroupsMatchesTheFileSystems(t *testing.T) {
	layout, freezer, err := ccr.HostCgroups()
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs("/sys/fs/cgroup", &st); err != nil {
		t.Fatal(err)
	}
	if st.Type == cgroup2SuperMagic {
		if layout != ccr.CgroupLayoutV2 || freezer != ccr.FreezerV2 {
			t.Fatalf("v2 host: got %v, %v", layout, freezer)
		}
		return
	}
	if layout != ccr.CgroupLayoutV1 && layout != ccr.CgroupLayoutHybrid {
		t.Fatalf("v1 or hybrid host: got layout %v", layout)
	}
	want := ccr.FreezerNone
	if _, err := os.Stat("/sys/fs/cgroup/freezer"); err == nil {
		want = ccr.FreezerV1
	}
	if freezer != want {
		t.Fatalf("freezer: got %v, want %v", freezer, want)
	}
}
