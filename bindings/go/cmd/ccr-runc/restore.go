// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
	"golang.org/x/sys/unix"
)

// restoreCommand performs `runc [global flags] restore [flags] <id>` with
// libccr and registers the restored container with runc (runc_record.go),
// so that runc state/exec/kill/pause/resume/delete work on it as on a
// container runc restored.
//
// The restored init is a child of ccr-runc (CRIU's rst_sibling, as runc
// asks for too). With --detach ccr-runc exits at once and the init is
// reparented to the nearest subreaper: containerd's shim, which is one and
// so collects its exit status. Without --detach ccr-runc waits for it as
// runc does (a subreaper itself unless --no-subreaper), passes signals on,
// removes the container when it exits and exits with its status.
func restoreCommand(inv invocation, lg *logger) error {
	if inv.globalErr != nil {
		return inv.globalErr
	}
	f, err := parseRestore(inv.args)
	if err != nil {
		return err
	}
	if f.help {
		return errPassThrough
	}
	if inv.global.rootless == "true" || os.Geteuid() != 0 {
		return errors.New("ccr-runc: rootless containers cannot be restored with ccr")
	}
	if inv.global.systemdCgroup {
		return errors.New("ccr-runc: --systemd-cgroup is not supported by ccr's restore (use the cgroupfs driver)")
	}
	// Paths given relative are relative to where ccr-runc was started;
	// runc then works in the bundle.
	imagePath := f.imagePath
	if imagePath == "" {
		imagePath = "checkpoint" // runc's default
	}
	for _, p := range []*string{&imagePath, &f.workPath, &f.pidFile, &f.consoleSocket, &f.bundle} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return err
			}
			*p = abs
		}
	}
	if st, err := os.Stat(imagePath); err != nil || !st.IsDir() {
		return fmt.Errorf("ccr-runc: no checkpoint images at %s", imagePath)
	}
	// ccr refuses image and work directories reached through a symlink;
	// containerd 1.6's shim passes <state>/<id>/work, a symlink to its
	// own directory under containerd's root. Both are the caller's
	// directories, given by path on purpose: ccr works in what they name.
	if f.workPath != "" {
		if err := os.MkdirAll(f.workPath, 0o700); err != nil {
			return err
		}
	}
	for _, p := range []*string{&imagePath, &f.workPath} {
		if *p != "" {
			real, err := filepath.EvalSymlinks(*p)
			if err != nil {
				return err
			}
			*p = real
		}
	}
	if f.parentPath != "" {
		// CRIU finds the parent images through the images' own "parent"
		// link; the flag only has to name one that exists.
		parent := f.parentPath
		if !filepath.IsAbs(parent) {
			parent = filepath.Join(imagePath, parent)
		}
		if st, err := os.Stat(parent); err != nil || !st.IsDir() {
			return fmt.Errorf("invalid --parent-path %s: not a directory", f.parentPath)
		}
	}
	if f.bundle != "" {
		if err := os.Chdir(f.bundle); err != nil {
			return err
		}
	}
	bundle, err := os.Getwd()
	if err != nil {
		return err
	}
	rec, err := prepareRecord(inv.global, f.id, f.noPivot)
	if err != nil {
		return err
	}
	if systemdCgroupsPath(rec.config.Cgroups.Path) {
		return fmt.Errorf("ccr-runc: cgroupsPath %q is systemd's notation, which ccr's restore does not support", rec.config.Cgroups.Path)
	}
	opts, err := restorePlan(f, inv.global, imagePath)
	if err != nil {
		return err
	}
	if err := createMountpoints(rec.config); err != nil {
		return fmt.Errorf("ccr-runc: creating mount points in %s: %w", rec.config.Rootfs, err)
	}
	if err := rec.claim(); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	what := fmt.Sprintf("restore of %s from %s", f.id, imagePath)
	began := time.Now()
	res, err := ccr.Restore(ctx, &ccr.Container{ID: f.id, Bundle: bundle}, opts)
	if err != nil {
		rec.release()
		marker(what + " failed: " + firstLine(err.Error()))
		return describeError(err)
	}
	pid := res.Pid
	undo := func(cause error) error {
		syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
		rec.release()
		return cause
	}
	if err := rec.write(pid); err != nil {
		return undo(fmt.Errorf("ccr-runc: recording the restored container for runc: %w", err))
	}
	if f.pidFile != "" {
		if err := writePidFile(f.pidFile, pid); err != nil {
			return undo(err)
		}
	}
	msg := fmt.Sprintf("%s by ccr (libccr %s) in %v: init pid %d, detach=%v",
		what, ccr.LibraryVersionString(), time.Since(began).Round(time.Millisecond), pid, f.detach)
	marker(msg)
	lg.info("ccr-runc: " + msg)
	if f.detach {
		return nil
	}
	stop() // signals now go to the container
	os.Exit(foreground(pid, f.noSubreaper, rec))
	return nil
}

// restorePlan turns runc restore's flags into ccr's options, the way runc
// turns them into CRIU's.
func restorePlan(f restoreFlags, g globalOptions, imagePath string) (*ccr.RestoreOptions, error) {
	emptyNS, err := ccr.NamespaceFlags(f.emptyNs)
	if err != nil {
		return nil, err
	}
	// As for checkpoint: runc does not manage network devices, the network
	// namespace is restored empty (or joined, when config.json names it).
	emptyNS |= ccr.CloneNewNet
	mode, err := ccr.ParseCgroupMode(f.manageCgroupsMode)
	if err != nil {
		return nil, fmt.Errorf("Invalid manage cgroups mode: %s", f.manageCgroupsMode)
	}
	return &ccr.RestoreOptions{
		Options: ccr.Options{
			ImagesDir:       imagePath,
			WorkDir:         f.workPath,
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
		ConsoleSocket:   f.consoleSocket,
		LSMProfile:      f.lsmProfile,
		LSMMountContext: f.lsmMountContext,
	}, nil
}

// foreground waits for the restored init as `runc restore` without
// --detach does, and returns the exit status to exit with.
func foreground(pid int, noSubreaper bool, rec *runcRecord) int {
	if !noSubreaper {
		// The init's own children are reparented here when it exits.
		unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs)
	go func() {
		for s := range sigs {
			if s == syscall.SIGCHLD || s == syscall.SIGURG || s == syscall.SIGPIPE {
				continue
			}
			if n, ok := s.(syscall.Signal); ok {
				syscall.Kill(pid, n)
			}
		}
	}()
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	signal.Stop(sigs)
	rec.release()
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 255
}
