// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
)

// checkpointCommand performs `runc [global flags] checkpoint [flags] <id>`
// with libccr.
func checkpointCommand(inv invocation, lg *logger) error {
	if inv.globalErr != nil {
		return inv.globalErr
	}
	f, err := parseCheckpoint(inv.args)
	if err != nil {
		return err
	}
	if f.help {
		return errPassThrough
	}
	if inv.global.rootless == "true" {
		return errors.New("ccr-runc: rootless containers cannot be checkpointed with ccr (--rootless=true)")
	}
	st, err := loadState(inv.global.root, f.id)
	if err != nil {
		return err
	}
	switch s := st.status(); s {
	case "created", "stopped":
		return fmt.Errorf("Container cannot be checkpointed in %s state", s)
	}
	bundle := st.bundle()
	if bundle == "" {
		return fmt.Errorf("%s/state.json names no bundle (no \"bundle=\" label)", st.dir)
	}

	plan, err := checkpointPlan(f, inv.global, bundle)
	if err != nil {
		return err
	}
	if plan.StatusFile != nil {
		defer plan.StatusFile.Close()
	}
	c := &ccr.Container{ID: f.id, Pid: st.InitProcessPid, Bundle: bundle, Rootfs: st.Config.Rootfs}

	// SIGINT/SIGTERM cancel the checkpoint: CRIU is killed and the
	// container thawed and left running.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	what := fmt.Sprintf("checkpoint of %s (pid %d) into %s", f.id, st.InitProcessPid, plan.ImagesDir)
	began := time.Now()
	if _, err := ccr.Checkpoint(ctx, c, plan); err != nil {
		marker(what + " failed: " + firstLine(err.Error()))
		return describeError(err)
	}
	if !plan.LeaveRunning && !plan.PreDump {
		// The init is gone (a zombie until its parent reaps it, which runc
		// counts as stopped). A container paused before the checkpoint
		// stays frozen with nothing in it: thaw it, or runc reads it as
		// paused and `runc delete` refuses.
		waitStopped(st, 10*time.Second)
		if err := st.thawIfEmpty(); err != nil {
			lg.entry("warning", "ccr-runc: could not thaw the empty freezer of "+f.id+": "+err.Error())
		}
	}
	msg := fmt.Sprintf("%s by ccr (libccr %s) in %v, leave-running=%v pre-dump=%v",
		what, ccr.LibraryVersionString(), time.Since(began).Round(time.Millisecond), plan.LeaveRunning, plan.PreDump)
	marker(msg)
	lg.info("ccr-runc: " + msg)
	return nil
}

// checkpointPlan turns runc checkpoint's flags into ccr's options, the way
// runc 1.1 turns them into CRIU's.
func checkpointPlan(f checkpointFlags, g globalOptions, bundle string) (*ccr.CheckpointOptions, error) {
	imagePath := f.imagePath
	if imagePath == "" {
		cwd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		imagePath = filepath.Join(cwd, "checkpoint") // runc's default
	}
	if abs, err := filepath.Abs(imagePath); err == nil {
		imagePath = abs
	}
	if err := os.MkdirAll(imagePath, 0o700); err != nil {
		return nil, err
	}
	if f.parentPath != "" {
		if filepath.IsAbs(f.parentPath) {
			return nil, errors.New("--parent-path must be relative")
		}
		parent := filepath.Join(imagePath, f.parentPath)
		fi, err := os.Stat(parent)
		if err == nil && !fi.IsDir() {
			err = &os.PathError{Op: "stat", Path: parent, Err: syscall.ENOTDIR}
		}
		if err != nil {
			return nil, fmt.Errorf("invalid --parent-path: %w", err)
		}
	}
	workPath := f.workPath
	if workPath != "" {
		if abs, err := filepath.Abs(workPath); err == nil {
			workPath = abs
		}
	}

	emptyNS, err := ccr.NamespaceFlags(f.emptyNs)
	if err != nil {
		return nil, err
	}
	// runc always adds the network namespace ("runc doesn't manage network
	// devices and their configuration"): CRIU dumps no links, addresses or
	// rules, and restores an empty namespace. A network namespace the
	// config names by path is recorded as external all the same (libccr
	// does so, as runc does), and the restore joins it.
	emptyNS |= ccr.CloneNewNet
	mode, err := ccr.ParseCgroupMode(f.manageCgroupsMode)
	if err != nil {
		return nil, fmt.Errorf("Invalid manage cgroups mode: %s", f.manageCgroupsMode)
	}

	opts := &ccr.CheckpointOptions{
		Options: ccr.Options{
			ImagesDir:       imagePath,
			WorkDir:         workPath,
			CriuPath:        g.criu,
			TCPEstablished:  f.tcpEstablished,
			ExtUnixSockets:  f.extUnixSk,
			ShellJob:        f.shellJob,
			FileLocks:       f.fileLocks,
			AutoDedup:       f.autoDedup,
			LazyPages:       f.lazyPages,
			EmptyNamespaces: emptyNS,
			CgroupMode:      mode,
		},
		LeaveRunning: f.leaveRunning,
		PreDump:      f.preDump,
		ParentPath:   f.parentPath,
	}
	if f.pageServer != "" {
		addr, port, err := parsePageServer(f.pageServer)
		if err != nil {
			return nil, err
		}
		opts.PageServer = &ccr.PageServer{Address: addr, Port: port}
	}
	if f.statusFd >= 0 {
		if _, err := fcntlGetfd(f.statusFd); err != nil {
			return nil, fmt.Errorf("invalid --status-fd %d: %w", f.statusFd, err)
		}
		opts.StatusFile = os.NewFile(uintptr(f.statusFd), "status-fd")
	}
	return opts, nil
}

func fcntlGetfd(fd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func waitStopped(st *runcState, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for st.initAlive() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

// describeError is ccr's error with where CRIU's log is and the lines
// around its errors (containerd's shim shows runc's message and copies
// <work>/dump.log next to the bundle as criu-dump.log).
func describeError(err error) error {
	var e *ccr.Error
	if !errors.As(err, &e) {
		return err
	}
	msg := "ccr: " + e.Error()
	if e.LogPath != "" && !strings.Contains(msg, e.LogPath) { // ccr's message may name it already
		msg += " (criu log: " + e.LogPath + ")"
	}
	if ex := strings.TrimSpace(e.LogExcerpt); ex != "" {
		msg += "\n" + ex
	}
	return errors.New(msg)
}
