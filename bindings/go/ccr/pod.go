// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <stdlib.h>
#include <ccr/ccr.h>
*/
import "C"

import (
	"context"
	"runtime"
	"time"
	"unsafe"
)

// Pod describes a pod for PodCheckpoint and PodRestore (ccr_pod_*): its
// containers share a parent cgroup and, optionally, a network namespace
// (docs/pod.md).
type Pod struct {
	// ID names the pod in messages (letters, digits, '.', '_', '-').
	ID string
	// CgroupParent is the pod's parent cgroup, relative to each
	// hierarchy's root ("/kubepods/pod1234"). Required.
	CgroupParent string
	// NetworkNamespace is the path of the network namespace the
	// containers share, or "" when none. Each container's config names
	// the same path.
	NetworkNamespace string
	// Containers: each one's description (Pid for a checkpoint).
	Containers []*Container
}

// PodContainerResult is one container's part of a pod operation.
type PodContainerResult struct {
	ID string
	Result
}

// PodResult is what a pod operation produced.
type PodResult struct {
	// Containers in the checkpoint's order.
	Containers []PodContainerResult
	// FrozenTime is the pod's downtime on checkpoint, from its one freeze
	// to its thaw (or the end of its kill); 0 on restore.
	FrozenTime time.Duration
	// WallTime is the whole call's.
	WallTime time.Duration
	// Warnings about the pod as a whole.
	Warnings []string
}

// PodCheckpoint checkpoints every container of pod into dir, which must not
// exist, at one freeze of the pod's cgroup (ccr_pod_checkpoint). opts apply
// to every container; on failure every container is left as it was and dir
// is removed. Notifications come from libccr's threads, one at a time, with
// Notification.Container naming the container. Cancellation through ctx
// works as for Checkpoint.
func PodCheckpoint(ctx context.Context, pod *Pod, dir string, opts *CheckpointOptions) (*PodResult, error) {
	if opts == nil {
		opts = &CheckpointOptions{}
	}
	return operatePod(ctx, pod, dir, &opts.Options, func(s *setter, o *C.ccr_options) { opts.apply(s, o) }, opts, false)
}

// PodRestore restores the pod checkpointed in dir (ccr_pod_restore),
// matching pod's containers to the checkpoint's by ID. On failure nothing of
// the pod is left.
func PodRestore(ctx context.Context, pod *Pod, dir string, opts *RestoreOptions) (*PodResult, error) {
	if opts == nil {
		opts = &RestoreOptions{}
	}
	return operatePod(ctx, pod, dir, &opts.Options, func(s *setter, o *C.ccr_options) { opts.apply(s, o) }, opts, true)
}

// podToC builds the C pod. The caller frees it with ccr_pod_free.
func podToC(pod *Pod) (*C.ccr_pod, error) {
	if pod == nil {
		return nil, &Error{Code: CodeInvalidArgument, Message: "the pod description is nil"}
	}
	var cp *C.ccr_pod
	id := C.CString(pod.ID)
	err := takeError(C.ccr_pod_new(&cp, id))
	C.free(unsafe.Pointer(id))
	if err != nil {
		return nil, err
	}
	s := setter{}
	s.str(pod.CgroupParent, func(v *C.char) *C.ccr_error { return C.ccr_pod_set_cgroup_parent(cp, v) })
	s.str(pod.NetworkNamespace, func(v *C.char) *C.ccr_error { return C.ccr_pod_set_network_ns(cp, v) })
	for _, c := range pod.Containers {
		if s.err != nil {
			break
		}
		cc, err := c.toC()
		if err != nil {
			s.err = err
			break
		}
		s.call(func() *C.ccr_error { return C.ccr_pod_add_container(cp, cc, nil) })
		C.ccr_container_free(cc)
	}
	if s.err != nil {
		C.ccr_pod_free(cp)
		return nil, s.err
	}
	return cp, nil
}

func operatePod(ctx context.Context, pod *Pod, dir string, common *Options, apply func(*setter, *C.ccr_options),
	keep any, restore bool) (*PodResult, error) {
	ctx, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	cp, err := podToC(pod)
	if err != nil {
		return nil, err
	}
	defer C.ccr_pod_free(cp)
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))

	var out *PodResult
	err = callWithCallbacks(ctx, common, apply, func(o *C.ccr_options) *C.ccr_error {
		var res *C.ccr_pod_result
		var cerr *C.ccr_error
		if restore {
			cerr = C.ccr_pod_restore(&res, cp, cdir, o)
		} else {
			cerr = C.ccr_pod_checkpoint(&res, cp, cdir, o)
		}
		runtime.KeepAlive(pod)
		runtime.KeepAlive(keep)
		if res != nil {
			out = podResultOf(res)
			C.ccr_pod_result_free(res)
		}
		return cerr
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func podResultOf(res *C.ccr_pod_result) *PodResult {
	out := &PodResult{}
	for i := C.size_t(0); i < C.ccr_pod_result_count(res); i++ {
		r := C.ccr_pod_result_container(res, i)
		out.Containers = append(out.Containers, PodContainerResult{
			ID: goString(C.ccr_pod_result_container_id(res, i)),
			Result: Result{
				Pid:      int(C.ccr_result_pid(r)),
				Stats:    statsOf(r),
				Warnings: warningsOf(r),
			},
		})
	}
	var v C.uint64_t
	if C.ccr_pod_stat_of(&v, res, C.CCR_POD_STAT_FROZEN_TIME_US) == 1 {
		out.FrozenTime = time.Duration(v) * time.Microsecond
	}
	if C.ccr_pod_stat_of(&v, res, C.CCR_POD_STAT_WALL_TIME_US) == 1 {
		out.WallTime = time.Duration(v) * time.Microsecond
	}
	for i := C.size_t(0); i < C.ccr_pod_result_warning_count(res); i++ {
		out.Warnings = append(out.Warnings, goString(C.ccr_pod_result_warning(res, i)))
	}
	return out
}

// ExportPodArchive writes the pod checkpoint in dir (what PodCheckpoint
// wrote) as one tar at path, 0600, complete or not at all
// (ccr_pod_archive_export). When ctx ends the export stops between files
// with CodeCanceled wrapping ctx.Err().
func ExportPodArchive(ctx context.Context, path, dir string) error {
	ctx, err := begin(ctx)
	if err != nil {
		return err
	}
	cpath, cdir := C.CString(path), C.CString(dir)
	defer freeCString(cpath)
	defer freeCString(cdir)
	return callWithOptions(ctx, func(*setter, *C.ccr_options) {}, func(o *C.ccr_options) *C.ccr_error {
		return C.ccr_pod_archive_export(cpath, cdir, o)
	})
}

// ImportPodArchive unpacks a pod archive into destDir, which must not exist,
// under ImportArchive's rules and limits (nil: the defaults)
// (ccr_pod_archive_import). Restore it with PodRestore, whose cgroup parent
// and network namespace are the caller's, never the archive's.
func ImportPodArchive(ctx context.Context, path, destDir string, limits *ImportLimits) error {
	ctx, err := begin(ctx)
	if err != nil {
		return err
	}
	cpath, cdest := C.CString(path), C.CString(destDir)
	defer freeCString(cpath)
	defer freeCString(cdest)
	return callWithOptions(ctx, limits.apply, func(o *C.ccr_options) *C.ccr_error {
		return C.ccr_pod_archive_import(cpath, cdest, o)
	})
}
