// SPDX-License-Identifier: Apache-2.0

package ccr_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
)

// Every field set to a sane value reaches its setter and is accepted: the
// operations then fail for the reason the test sets up (no such pid, no
// images), not with CodeInvalidArgument. No root needed.
func TestEverySetterAccepted(t *testing.T) {
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	common := ccr.Options{
		ImagesDir: filepath.Join(dir, "images"), WorkDir: filepath.Join(dir, "work"),
		CriuPath: "/usr/local/sbin/criu", CriuConfigFile: filepath.Join(dir, "criu.conf"),
		Notify:  func(ccr.Notification) error { return nil },
		Timeout: 30 * time.Second, CriuTimeout: 10 * time.Second,
		LogLevel: ccr.Ptr(2), LogFile: "op.log", LogToStderr: true, DisplayStats: true,
		TCPEstablished: true, ExtUnixSockets: true, ShellJob: true, FileLocks: true, AutoDedup: true,
		LazyPages: true, Unprivileged: true,
		EmptyNamespaces: ccr.CloneNewNet, CgroupMode: ccr.CgroupSoft,
		GhostLimit: 2 << 20, CPUCap: ccr.Ptr(uint32(1)),
		TLS:           &ccr.TLSOptions{CACert: "/etc/ca.pem", Cert: "/etc/cert.pem", Key: "/etc/key.pem"},
		ExtMounts:     []ccr.KeyValue{{Key: "/etc/hosts", Value: "hosts"}},
		AutoExtMounts: true, ExtSharing: true, ExtMasters: true,
		EnableFS: []string{"fuse"}, External: []string{"mnt[/data]:data"},
	}
	cp := &ccr.CheckpointOptions{
		Options: common, LeaveRunning: true, PreDump: true, PreDumpMode: ccr.PreDumpRead,
		ParentPath: "../pre", TrackMem: true,
		PageServer: &ccr.PageServer{Address: "127.0.0.1", Port: 27000}, PageServerFile: w,
		StatusFile: w, PidfdStoreFile: w,
		TCPSkipInFlight: true, NetworkLock: ccr.NetworkLockNftables, LinkRemap: true, ForceIrmap: true, IrmapScanPaths: []string{"/etc"},
		SkipMounts: []string{"/mnt"}, UnixSocketInodes: []uint32{1234},
		CgroupDumpControllers: []string{"memory"}, FreezeCgroup: ccr.Ptr(""),
		CgroupProps: "", CgroupPropsFile: filepath.Join(dir, "props.yaml"),
	}
	_, err = ccr.Checkpoint(context.Background(), &ccr.Container{ID: "setters", Pid: 0x3ffffe,
		Bundle: dir, Rootfs: "/", StateDir: filepath.Join(dir, "state"), CgroupPath: "/ccr-go/setters",
		CgroupPaths: map[string]string{"memory": "/ccr-go/setters-mem"}}, cp)
	if err == nil || errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("checkpoint: want a failure other than invalid-argument, got %s", describe(err))
	}
	t.Logf("checkpoint failed as expected: %s", describe(err))
	if _, err := w.Write([]byte{0}); err != nil {
		t.Errorf("the status file was closed under us: %v", err)
	}

	rs := &ccr.RestoreOptions{
		Options: common, LeaveStopped: true, LSMProfile: "unconfined", LSMMountContext: "system_u:object_r:container_file_t:s0",
		ConsoleSocket: filepath.Join(dir, "console.sock"), TCPClose: true,
		VethPairs: []ccr.VethPair{{Inside: "eth0", Outside: "veth0"}}, SkipFileRWXCheck: true,
		EvasiveDevices: ccr.Ptr(false), MntnsCompatMode: true,
		InheritFiles:   []ccr.InheritFile{{Key: "pipe:[1234]", File: r}},
		JoinNamespaces: []ccr.JoinNamespace{{NS: "ipc", File: "/proc/self/ns/ipc"}}, WeakSysctls: true,
		CgroupRoots: []ccr.CgroupRoot{{Path: "/ccr-go/x"}, {Controller: "memory", Path: "/ccr-go/y"}},
		CgroupYard:  filepath.Join(dir, "yard"),
		ExecCmd:     []string{"/bin/echo", "restored"},
	}
	_, err = ccr.Restore(context.Background(), &ccr.Container{ID: "setters", Bundle: dir,
		Stdin: r, Stdout: w, Stderr: w}, rs)
	if err == nil || errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("restore: want a failure other than invalid-argument, got %s", describe(err))
	}
	t.Logf("restore failed as expected: %s", describe(err))
}
