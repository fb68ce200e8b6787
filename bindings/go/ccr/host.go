// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <ccr/ccr.h>
*/
import "C"

// CgroupLayout is how the host's cgroup hierarchies are mounted
// (ccr_cgroup_layout).
type CgroupLayout int

const (
	CgroupLayoutNone   CgroupLayout = C.CCR_CGROUP_LAYOUT_NONE   // no cgroup hierarchy is mounted
	CgroupLayoutV1     CgroupLayout = C.CCR_CGROUP_LAYOUT_V1     // v1 hierarchies only
	CgroupLayoutHybrid CgroupLayout = C.CCR_CGROUP_LAYOUT_HYBRID // v1 hierarchies and the v2 one beside them
	CgroupLayoutV2     CgroupLayout = C.CCR_CGROUP_LAYOUT_V2     // the v2 hierarchy alone (unified)
)

func (l CgroupLayout) String() string {
	switch l {
	case CgroupLayoutV1:
		return "v1"
	case CgroupLayoutHybrid:
		return "hybrid"
	case CgroupLayoutV2:
		return "v2"
	}
	return "none"
}

// FreezerKind is the freezer ccr gives CRIU for a container (ccr_freezer_kind).
type FreezerKind int

const (
	FreezerNone FreezerKind = C.CCR_FREEZER_NONE // CRIU stops the processes with ptrace alone
	FreezerV1   FreezerKind = C.CCR_FREEZER_V1   // the v1 freezer controller (freezer.state)
	FreezerV2   FreezerKind = C.CCR_FREEZER_V2   // the container's v2 cgroup (cgroup.freeze)
)

func (f FreezerKind) String() string {
	switch f {
	case FreezerV1:
		return "v1"
	case FreezerV2:
		return "v2"
	}
	return "none"
}

// HostCgroups reports the host's cgroup layout and the freezer ccr uses on
// it, as ccr sees them from this process's mount namespace. It starts no
// process.
func HostCgroups() (CgroupLayout, FreezerKind, error) {
	if err := checkLibraryVersion(); err != nil {
		return CgroupLayoutNone, FreezerNone, err
	}
	var layout C.ccr_cgroup_layout
	var freezer C.ccr_freezer_kind
	if cerr := C.ccr_host_cgroup_layout(&layout, &freezer); cerr != nil {
		return CgroupLayoutNone, FreezerNone, takeError(cerr)
	}
	return CgroupLayout(layout), FreezerKind(freezer), nil
}
