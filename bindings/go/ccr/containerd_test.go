// SPDX-License-Identifier: Apache-2.0

package ccr_test

import (
	"errors"
	"reflect"
	"syscall"
	"testing"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
)

func TestContainerdCheckpointMapping(t *testing.T) {
	in := ccr.ContainerdCheckpointOptions{
		Exit:                false,
		OpenTcp:             true,
		ExternalUnixSockets: true,
		Terminal:            true,
		FileLocks:           true,
		EmptyNamespaces:     []string{"network"},
		CgroupsMode:         "strict",
		ImagePath:           "/var/lib/ckpt/web1",
		WorkPath:            "/var/lib/ckpt/web1-work",
		ParentPath:          "../pre",
		CriuPath:            "/usr/local/sbin/criu",
	}
	got, err := in.CheckpointOptions()
	if err != nil {
		t.Fatal(err)
	}
	want := ccr.CheckpointOptions{
		Options: ccr.Options{
			ImagesDir:       "/var/lib/ckpt/web1",
			WorkDir:         "/var/lib/ckpt/web1-work",
			CriuPath:        "/usr/local/sbin/criu",
			TCPEstablished:  true,
			ExtUnixSockets:  true,
			ShellJob:        true, // Terminal → shell-job, as containerd maps it
			FileLocks:       true,
			EmptyNamespaces: syscall.CLONE_NEWNET,
			CgroupMode:      ccr.CgroupStrict, // forwarded, unlike containerd's shim
		},
		LeaveRunning: true, // Exit=false
		ParentPath:   "../pre",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mapping:\n got %+v\nwant %+v", got, want)
	}

	in = ccr.ContainerdCheckpointOptions{Exit: true, ImagePath: "/x"}
	got, err = in.CheckpointOptions()
	if err != nil {
		t.Fatal(err)
	}
	if got.LeaveRunning || got.ShellJob || got.EmptyNamespaces != 0 || got.CgroupMode != ccr.CgroupDefault {
		t.Errorf("Exit=true with nothing else: %+v", got)
	}
}

func TestContainerdRestoreMapping(t *testing.T) {
	got, err := ccr.ContainerdRestoreOptions{
		OpenTcp: true, Terminal: true, EmptyNamespaces: []string{"network"}, CgroupsMode: "soft",
		ImagePath: "/img", WorkPath: "/work", CriuPath: "/criu", ConsoleSocket: "/run/console.sock",
	}.RestoreOptions()
	if err != nil {
		t.Fatal(err)
	}
	want := ccr.RestoreOptions{
		Options: ccr.Options{ImagesDir: "/img", WorkDir: "/work", CriuPath: "/criu", TCPEstablished: true,
			ShellJob: true, EmptyNamespaces: ccr.CloneNewNet, CgroupMode: ccr.CgroupSoft},
		ConsoleSocket: "/run/console.sock",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mapping:\n got %+v\nwant %+v", got, want)
	}
}

func TestContainerdMappingRejects(t *testing.T) {
	if _, err := (ccr.ContainerdCheckpointOptions{CgroupsMode: "loose"}).CheckpointOptions(); !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("unknown cgroups mode: %v", err)
	}
	if _, err := (ccr.ContainerdRestoreOptions{EmptyNamespaces: []string{"bogus"}}).RestoreOptions(); !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("unknown namespace: %v", err)
	}
	for name, mode := range map[string]ccr.CgroupMode{"": ccr.CgroupDefault, "soft": ccr.CgroupSoft,
		"full": ccr.CgroupFull, "strict": ccr.CgroupStrict, "ignore": ccr.CgroupIgnore,
		"none": ccr.CgroupNone, "props": ccr.CgroupProps} {
		if got, err := ccr.ParseCgroupMode(name); err != nil || got != mode {
			t.Errorf("ParseCgroupMode(%q) = %v, %v; want %v", name, got, err, mode)
		}
	}
}
