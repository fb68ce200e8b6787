// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <ccr/ccr.h>
*/
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"strings"
)

// Result is what an operation produced.
type Result struct {
	// Pid is the restored container's init as seen from this process
	// (Restore), or 0 (Checkpoint). The restored init is a child of this
	// process: reap it (syscall.Wait4) or be a subreaper, or it lingers as
	// a zombie once it exits.
	Pid int
	// Stats are the operation's statistics (ccr_result_stat): CRIU's own
	// and ccr's clock. Those not reported are absent from the map.
	Stats Stats
	// Warnings say what failed after CRIU had dumped or restored the
	// container (its statistics could not be read, say), one line each
	// (ccr_result_warning). The operation succeeded all the same.
	Warnings []string
}

// Checkpoint checkpoints the running container c into opts.ImagesDir with
// one CRIU process (ccr_checkpoint). Unless LeaveRunning is set the
// container's processes are gone afterwards; on failure the container is
// left running and thawed.
//
// When ctx ends during the call, libccr is told to cancel (ccr_options_cancel):
// CRIU is killed, the container thawed, and the error has CodeCanceled and
// wraps ctx.Err(), so errors.Is(err, context.Canceled) (or
// context.DeadlineExceeded) and errors.Is(err, ErrCanceled) both hold.
func Checkpoint(ctx context.Context, c *Container, opts *CheckpointOptions) (*Result, error) {
	if opts == nil {
		opts = &CheckpointOptions{}
	}
	return operate(ctx, c, &opts.Options, func(s *setter, o *C.ccr_options) { opts.apply(s, o) }, opts, false)
}

// Restore restores c from opts.ImagesDir into c's cgroups and rootfs with
// one CRIU process (ccr_restore). On failure nothing made for the restore is
// left behind. Cancellation through ctx works as for Checkpoint.
func Restore(ctx context.Context, c *Container, opts *RestoreOptions) (*Result, error) {
	if opts == nil {
		opts = &RestoreOptions{}
	}
	return operate(ctx, c, &opts.Options, func(s *setter, o *C.ccr_options) { opts.apply(s, o) }, opts, true)
}

// operate runs one checkpoint or restore. keep holds what the C call uses
// by descriptor (the option structs' files) alive until it returns.
func operate(ctx context.Context, c *Container, common *Options, apply func(*setter, *C.ccr_options),
	keep any, restore bool) (*Result, error) {
	ctx, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	cc, err := c.toC()
	if err != nil {
		return nil, err
	}
	defer C.ccr_container_free(cc)

	var out *Result
	err = callWithCallbacks(ctx, common, apply, func(o *C.ccr_options) *C.ccr_error {
		var res *C.ccr_result
		var cerr *C.ccr_error
		if restore {
			cerr = C.ccr_restore(&res, cc, o)
		} else {
			cerr = C.ccr_checkpoint(&res, cc, o)
		}
		runtime.KeepAlive(c)
		runtime.KeepAlive(keep)
		if res != nil {
			out = &Result{Pid: int(C.ccr_result_pid(res)), Stats: statsOf(res), Warnings: warningsOf(res)}
			C.ccr_result_free(res)
		}
		return cerr
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = &Result{}
	}
	return out, nil
}

// callWithCallbacks runs a libccr call that may call back into Go (notify,
// log): fresh options set by apply, the callbacks installed, the call on one
// locked OS thread (CRIU's notifications come back on the calling thread,
// and restored inits become children of this process) under watch. A
// callback's panic is raised again once call has returned; a callback's
// error or ctx's end becomes the returned error's cause.
func callWithCallbacks(ctx context.Context, common *Options, apply func(*setter, *C.ccr_options),
	call func(*C.ccr_options) *C.ccr_error) error {
	st := &callState{notify: common.Notify, log: common.Log, ctx: ctx}
	h := cgo.NewHandle(st)
	defer h.Delete() // deferred first, so it runs after the options are freed
	o, err := newOptions()
	if err != nil {
		return err
	}
	defer C.ccr_options_free(o)
	st.opts = o

	s := setter{}
	apply(&s, o)
	st.install(&s, h)
	if common.Log != nil {
		st.installLog(&s, common.LogMaxLevel, h)
	}
	if s.err != nil {
		return s.err
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cerr *C.ccr_error
	watch(ctx, o, func() { cerr = call(o) })
	if st.panicked {
		C.ccr_error_free(cerr)
		panic(st.panicValue) // the deferred frees still run
	}
	if cerr == nil {
		return nil
	}
	e := takeError(cerr).(*Error)
	switch {
	case e.Code == CodeCallback && st.err != nil:
		e.Err = st.err
	case e.Code == CodeCanceled && ctx.Err() != nil:
		e.Err = ctx.Err()
	}
	return e
}

// watch runs call, and cancels the options from another goroutine if ctx
// ends first. It returns once call has returned and any cancel has finished
// (so the options may be freed).
func watch(ctx context.Context, o *C.ccr_options, call func()) {
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		C.ccr_error_free(C.ccr_options_cancel(o))
	})
	call()
	if !stop() {
		<-done
	}
}

func newOptions() (*C.ccr_options, error) {
	var o *C.ccr_options
	if err := takeError(C.ccr_options_new(&o)); err != nil {
		return nil, err
	}
	return o, nil
}

func canceledBeforeStart(ctxErr error) error {
	return &Error{Code: CodeCanceled, Message: "the operation was canceled before it started", Err: ctxErr}
}

// begin is what every call that takes a context checks first: the library's
// version, and a context that has not ended. A nil ctx is Background.
func begin(ctx context.Context) (context.Context, error) {
	if err := checkLibraryVersion(); err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, canceledBeforeStart(err)
	}
	return ctx, nil
}

// callWithOptions runs a libccr call that needs options but no callbacks
// (an archive export or import, a query to CRIU): fresh options set by
// configure, the call under watch, and a cancel's error wrapping ctx's.
func callWithOptions(ctx context.Context, configure func(*setter, *C.ccr_options),
	call func(*C.ccr_options) *C.ccr_error) error {
	o, err := newOptions()
	if err != nil {
		return err
	}
	defer C.ccr_options_free(o)
	s := setter{}
	configure(&s, o)
	if s.err != nil {
		return s.err
	}
	var cerr *C.ccr_error
	watch(ctx, o, func() { cerr = call(o) })
	if cerr == nil {
		return nil
	}
	e := takeError(cerr).(*Error)
	if e.Code == CodeCanceled && ctx.Err() != nil {
		e.Err = ctx.Err()
	}
	return e
}

// Feature is a set of CRIU features (ccr_feature bits).
type Feature uint

const (
	FeatureMemTrack   Feature = C.CCR_FEATURE_MEM_TRACK   // memory tracking, for pre-dumps
	FeatureLazyPages  Feature = C.CCR_FEATURE_LAZY_PAGES  // userfaultfd lazy restore
	FeaturePidfdStore Feature = C.CCR_FEATURE_PIDFD_STORE // pidfd store
)

// String lists the features: "mem-track|lazy-pages".
func (f Feature) String() string {
	var names []string
	for _, x := range []struct {
		f    Feature
		name string
	}{{FeatureMemTrack, "mem-track"}, {FeatureLazyPages, "lazy-pages"}, {FeaturePidfdStore, "pidfd-store"}} {
		if f&x.f != 0 {
			names = append(names, x.name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, "|")
}

// CriuVersion asks CRIU its version, as MAJOR*10000 + MINOR*100 + SUBLEVEL
// (4.1.1 is 40101). criuPath "" means "criu" from PATH. libccr caches the
// answer per binary.
func CriuVersion(ctx context.Context, criuPath string) (int, error) {
	var v C.unsigned
	err := query(ctx, criuPath, func(o *C.ccr_options) *C.ccr_error { return C.ccr_criu_version(&v, o) })
	return int(v), err
}

// CriuFeatures asks CRIU which features this kernel and CRIU support.
func CriuFeatures(ctx context.Context, criuPath string) (Feature, error) {
	var v C.unsigned
	err := query(ctx, criuPath, func(o *C.ccr_options) *C.ccr_error { return C.ccr_criu_features(&v, o) })
	return Feature(v), err
}

func query(ctx context.Context, criuPath string, call func(*C.ccr_options) *C.ccr_error) error {
	ctx, err := begin(ctx)
	if err != nil {
		return err
	}
	return callWithOptions(ctx, func(s *setter, o *C.ccr_options) {
		s.str(criuPath, func(v *C.char) *C.ccr_error { return C.ccr_options_set_criu_path(o, v) })
	}, call)
}

// warningsOf copies a result's warnings (ccr_result_warning_count,
// ccr_result_warning).
func warningsOf(res *C.ccr_result) []string {
	n := C.ccr_result_warning_count(res)
	var out []string
	for i := C.size_t(0); i < n; i++ {
		if w := C.ccr_result_warning(res, i); w != nil {
			out = append(out, C.GoString(w))
		}
	}
	return out
}
