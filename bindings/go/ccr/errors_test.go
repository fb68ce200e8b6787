// SPDX-License-Identifier: Apache-2.0

package ccr_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
)

func TestErrorMatching(t *testing.T) {
	cause := errors.New("mine")
	var err error = &ccr.Error{Code: ccr.CodeCallback, Message: "the notify callback failed", Err: cause}
	wrapped := fmt.Errorf("checkpointing web1: %w", err)
	for _, e := range []error{err, wrapped} {
		if !errors.Is(e, ccr.ErrCallback) || !errors.Is(e, cause) {
			t.Errorf("%v: want ErrCallback and the cause", e)
		}
		if errors.Is(e, ccr.ErrCanceled) || errors.Is(e, ccr.ErrCriuFailed) {
			t.Errorf("%v matches another code", e)
		}
	}
	if got := err.Error(); got != "the notify callback failed: mine" {
		t.Errorf("Error() = %q", got)
	}

	err = &ccr.Error{Code: ccr.CodeNotFound, Errno: syscall.ENOENT, Message: "pid 1 is gone"}
	if !errors.Is(err, ccr.ErrNotFound) || !errors.Is(err, os.ErrNotExist) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("%v: want ErrNotFound, os.ErrNotExist and ENOENT", err)
	}

	err = &ccr.Error{Code: ccr.CodeCanceled, Message: "canceled", Err: context.DeadlineExceeded}
	if !errors.Is(err, ccr.ErrCanceled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v: want ErrCanceled and DeadlineExceeded", err)
	}
	if ccr.CodeCriuFailed.String() != "criu-failed" || ccr.ErrCriuFailed.Error() != "ccr: criu-failed" {
		t.Errorf("names: %q %q", ccr.CodeCriuFailed, ccr.ErrCriuFailed)
	}
	// A sentinel is not a real error of another code.
	if errors.Is(ccr.ErrNotFound, ccr.ErrCanceled) {
		t.Error("sentinels match each other")
	}
}

func TestVersion(t *testing.T) {
	if ccr.LibraryVersion() < ccr.HeaderVersion {
		t.Errorf("libccr %d older than header %d", ccr.LibraryVersion(), ccr.HeaderVersion)
	}
	if ccr.LibraryVersionString() == "" {
		t.Error("empty version string")
	}
}

func TestOptionValidation(t *testing.T) {
	// Rejected by the binding or by libccr before anything runs; no root needed.
	_, err := ccr.Checkpoint(context.Background(), &ccr.Container{ID: "x", Pid: 1},
		&ccr.CheckpointOptions{Options: ccr.Options{ImagesDir: "/tmp/x", Timeout: -1}})
	if !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("negative timeout: %v", err)
	}
	_, err = ccr.Checkpoint(context.Background(), nil, nil)
	if !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("nil container: %v", err)
	}
	_, err = ccr.Restore(context.Background(), &ccr.Container{ID: "x"},
		&ccr.RestoreOptions{Options: ccr.Options{ImagesDir: "/tmp/x"}, InheritFiles: []ccr.InheritFile{{Key: "k"}}})
	if !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("inherit file without a file: %v", err)
	}
	if got := (ccr.FeatureMemTrack | ccr.FeaturePidfdStore).String(); got != "mem-track|pidfd-store" {
		t.Errorf("Feature.String() = %q", got)
	}
}
