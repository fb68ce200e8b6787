// SPDX-License-Identifier: Apache-2.0

// Command example checkpoints a running runc container with ccr and restores
// it from the images it wrote.
//
//	go run ./example -id web1 -pid 4242 -bundle /run/bundles/web1 -images /var/lib/ckpt/web1
//
// The restored container gets this program's stdin, stdout and stderr where
// its own were pipes. Its init is this program's child until the program
// exits; then init (or the nearest subreaper) adopts and reaps it, so the
// container keeps running. Ctrl-C cancels a checkpoint or restore in
// progress.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
)

func main() {
	id := flag.String("id", "", "container id")
	pid := flag.Int("pid", 0, "the container's init pid")
	bundle := flag.String("bundle", "", "the OCI bundle directory")
	images := flag.String("images", "", "the images directory")
	timeout := flag.Duration("timeout", 2*time.Minute, "limit for each operation")
	flag.Parse()
	if *id == "" || *pid <= 0 || *bundle == "" || *images == "" {
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	container := &ccr.Container{ID: *id, Pid: *pid, Bundle: *bundle}
	common := ccr.Options{
		ImagesDir: *images,
		Timeout:   *timeout,
		Notify: func(n ccr.Notification) error {
			fmt.Fprintf(os.Stderr, "criu: %s (pid %d)\n", n.Script, n.Pid)
			return nil
		},
	}

	if _, err := ccr.Checkpoint(ctx, container, &ccr.CheckpointOptions{Options: common}); err != nil {
		fail("checkpoint", err)
	}
	fmt.Printf("checkpointed %s into %s\n", *id, *images)

	res, err := ccr.Restore(ctx, container, &ccr.RestoreOptions{Options: common})
	if err != nil {
		fail("restore", err)
	}
	fmt.Printf("restored %s: init pid %d\n", *id, res.Pid)
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s failed: %v\n", what, err)
	var e *ccr.Error
	if errors.As(err, &e) {
		if e.LogPath != "" {
			fmt.Fprintf(os.Stderr, "criu log: %s\n", e.LogPath)
		}
		if e.LogExcerpt != "" {
			fmt.Fprintln(os.Stderr, e.LogExcerpt)
		}
	}
	switch {
	case errors.Is(err, ccr.ErrCanceled):
		os.Exit(130)
	case errors.Is(err, ccr.ErrNotFound):
		os.Exit(3)
	}
	os.Exit(1)
}
