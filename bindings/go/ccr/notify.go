// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <stdint.h>
#include <ccr/ccr.h>

extern ccr_error *ccr_go_set_notify(ccr_options *options, uintptr_t handle);
*/
import "C"

import (
	"context"
	"runtime/cgo"
)

// Notification is one message from CRIU.
type Notification struct {
	// Script is the script name CRIU sent: "pre-dump", "network-lock",
	// "post-dump", "pre-restore", "setup-namespaces", "post-restore",
	// "network-unlock", "pre-resume", "post-resume", "query-ext-files",
	// "orphan-pts-master", "status-ready", ...
	Script string
	// Pid is the pid CRIU attached (the restored init for
	// "setup-namespaces" and "post-restore"), or 0.
	Pid int
	// Fd is the descriptor CRIU sent (the terminal master for
	// "orphan-pts-master"), or -1. It belongs to libccr and is valid only
	// during the callback: dup it to keep it.
	Fd int
	// Container is the id of the container the notification is about in
	// a pod operation (ccr_notify_container), "" otherwise.
	Container string
}

// NotifyFunc receives CRIU's notifications, in CRIU's order, on the
// goroutine (and locked OS thread) that called Checkpoint or Restore, while
// CRIU waits for the answer.
//
// Returning nil lets CRIU go on. Returning an error aborts the operation:
// the call returns an *Error with CodeCallback whose Err is that error, so
// both errors.Is(err, yourErr) and errors.Is(err, ErrCallback) hold.
//
// A panic in the callback never reaches C: it is recovered, the operation is
// aborted as for an error, every C resource is released, and then the
// panic is raised again with the same value from Checkpoint or Restore
// (so recover() in your code sees what your callback panicked with).
type NotifyFunc func(Notification) error

// callState is what the C payload (a cgo.Handle) points at during one
// operation, for both the notify and the log trampoline. Only the operation's goroutine touches it: libccr calls back on
// the calling thread, which is locked to that goroutine.
type callState struct {
	notify NotifyFunc
	log    LogFunc
	ctx    context.Context
	opts   *C.ccr_options

	err        error // the first error Notify returned
	panicked   bool  // a callback (Notify or Log) panicked: call neither again
	panicValue any   // what the first one panicked with
}

// install makes libccr call ccrGoNotify with h for every notification. h
// must outlive the options.
func (st *callState) install(s *setter, h cgo.Handle) {
	s.call(func() *C.ccr_error { return C.ccr_go_set_notify(st.opts, C.uintptr_t(h)) })
}

//export ccrGoNotify
func ccrGoNotify(n *C.ccr_notify, payload C.uintptr_t) (rc C.int) {
	var st *callState
	// Nothing may unwind into C: a panic becomes "abort" here and is
	// raised again once the C call has returned.
	defer func() {
		if r := recover(); r != nil {
			if st != nil && !st.panicked {
				st.panicked, st.panicValue = true, r
			}
			rc = 1
		}
	}()
	st = cgo.Handle(payload).Value().(*callState)
	if st.err != nil || st.panicked {
		return 1
	}
	if st.notify != nil {
		note := Notification{
			Script: goString(C.ccr_notify_script(n)),
			Pid:    int(C.ccr_notify_pid(n)),
			Fd:     int(C.ccr_notify_fd(n)),

			Container: goString(C.ccr_notify_container(n)),
		}
		if err := st.notify(note); err != nil {
			st.err = err
			return 1
		}
	}
	if st.ctx.Err() != nil {
		// The context ended while we held the thread (perhaps the callback
		// itself canceled it): tell libccr now, so it stops at CRIU's next
		// message, not whenever the watcher goroutine gets to run.
		// ccr_options_cancel may be called from any thread.
		C.ccr_error_free(C.ccr_options_cancel(st.opts))
	}
	return 0
}
