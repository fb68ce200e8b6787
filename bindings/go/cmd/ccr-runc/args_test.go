// SPDX-License-Identifier: Apache-2.0

package main

import (
	"reflect"
	"strings"
	"testing"
)

// The command lines containerd 1.6's runc shim (go-runc) builds for a
// checkpoint, and runc's own spellings, all parse.
func TestParseShimCheckpointCommandLines(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want checkpointFlags
		root string
	}{
		{
			// go-runc: global flags, then checkpoint's, the id last.
			args: []string{"--root", "/run/containerd/runc/default", "--log", "/b/log.json", "--log-format", "json",
				"--systemd-cgroup", "checkpoint", "--image-path", "/tmp/ctd-checkpoint1", "--work-path", "/b/criu-work",
				"--tcp-established", "--ext-unix-sk", "--shell-job", "--file-locks", "--empty-ns", "network",
				"--leave-running", "web1"},
			want: checkpointFlags{imagePath: "/tmp/ctd-checkpoint1", workPath: "/b/criu-work", tcpEstablished: true,
				extUnixSk: true, shellJob: true, fileLocks: true, emptyNs: []string{"network"}, leaveRunning: true,
				statusFd: -1, id: "web1"},
			root: "/run/containerd/runc/default",
		},
		{
			args: []string{"--root=/r", "--criu=/usr/local/sbin/criu", "--rootless=false", "--debug", "checkpoint",
				"--parent-path=../pre", "--pre-dump", "--lazy-pages", "--status-fd", "3", "--page-server", "10.0.0.1:27",
				"--manage-cgroups-mode", "full", "--auto-dedup", "--image-path=/i", "c-1"},
			want: checkpointFlags{parentPath: "../pre", preDump: true, lazyPages: true, statusFd: 3,
				pageServer: "10.0.0.1:27", manageCgroupsMode: "full", autoDedup: true, imagePath: "/i", id: "c-1"},
			root: "/r",
		},
		{
			// Single dashes, flags after the id (urfave/cli reorders),
			// booleans with values, --empty-ns joined with commas or repeated.
			args: []string{"-root", "/r", "checkpoint", "c2", "-leave-running=false", "-file-locks=true",
				"-empty-ns", "network,pid", "--empty-ns=ipc"},
			want: checkpointFlags{fileLocks: true, emptyNs: []string{"network", "pid", "ipc"}, statusFd: -1, id: "c2"},
			root: "/r",
		},
		{
			args: []string{"checkpoint", "--", "c3"},
			want: checkpointFlags{statusFd: -1, id: "c3"},
			root: defaultRuncRoot,
		},
	} {
		inv := parseInvocation(tc.args)
		if inv.globalErr != nil || inv.command != "checkpoint" {
			t.Fatalf("%q: command %q, error %v", tc.args, inv.command, inv.globalErr)
		}
		if inv.global.root != tc.root {
			t.Errorf("%q: root %q, want %q", tc.args, inv.global.root, tc.root)
		}
		got, err := parseCheckpoint(inv.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.args, got, tc.want)
		}
	}
}

func TestParseGlobalFlags(t *testing.T) {
	inv := parseInvocation([]string{"--root", "/r", "--log", "/l", "--log-format", "json", "--criu", "/c",
		"--systemd-cgroup", "--rootless", "auto", "--debug", "state", "x", "--foo"})
	want := globalOptions{root: "/r", log: "/l", logFormat: "json", criu: "/c", rootless: "auto", debug: true, systemdCgroup: true}
	if inv.global != want || inv.command != "state" || !reflect.DeepEqual(inv.args, []string{"x", "--foo"}) || inv.globalErr != nil {
		t.Errorf("got %+v %q %q %v", inv.global, inv.command, inv.args, inv.globalErr)
	}
	for _, args := range [][]string{{"--version"}, {"-v"}, {"--help"}, {"-h"}, {}} {
		inv := parseInvocation(args)
		if inv.command != "" || inv.globalErr != nil {
			t.Errorf("%q: command %q, error %v", args, inv.command, inv.globalErr)
		}
	}
	// An unknown global flag does not hide the command, but is an error
	// for the command ccr-runc runs itself.
	inv = parseInvocation([]string{"--bogus", "checkpoint", "x"})
	if inv.command != "checkpoint" || inv.globalErr == nil || !strings.Contains(inv.globalErr.Error(), "bogus") {
		t.Errorf("unknown global flag: command %q, error %v", inv.command, inv.globalErr)
	}
	for _, args := range [][]string{{"--log-format", "xml", "checkpoint", "x"}, {"--rootless", "maybe", "checkpoint", "x"}, {"--root"}} {
		if inv := parseInvocation(args); inv.globalErr == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// Unknown flags, missing values and a missing or extra id are errors.
func TestParseCheckpointErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus", "x"},
		{"--image-path"},
		{"--status-fd", "three", "x"},
		{"--leave-running=maybe", "x"},
		{},
		{"x", "y"},
		{"--tcp-skip-in-flight", "x"}, // runc 1.2's; runc 1.1 has no such flag
	} {
		if f, err := parseCheckpoint(args); err == nil {
			t.Errorf("%q: parsed as %+v, want an error", args, f)
		}
	}
	if f, err := parseCheckpoint([]string{"--help"}); err != nil || !f.help {
		t.Errorf("--help: %+v, %v", f, err)
	}
}

func TestParsePageServer(t *testing.T) {
	if a, p, err := parsePageServer("192.168.0.2:1234"); err != nil || a != "192.168.0.2" || p != 1234 {
		t.Errorf("got %q %d %v", a, p, err)
	}
	for _, s := range []string{"host", "host:port", "a:1:2", "h:0"} {
		if _, _, err := parsePageServer(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}

func TestJSONString(t *testing.T) {
	if got := jsonString("a \"b\"\n\\c\x01"); got != `"a \"b\"\n\\c\u0001"` {
		t.Errorf("got %s", got)
	}
}
