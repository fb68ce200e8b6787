// SPDX-License-Identifier: Apache-2.0

package main

import (
	"reflect"
	"strings"
	"testing"
)

// The command line containerd's runc shim (go-runc's RestoreOpts) builds
// for a restore, and every other flag of runc restore, parse.
func TestParseShimRestoreCommandLines(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want restoreFlags
	}{
		{
			// go-runc: checkpoint options, then --detach, --pid-file,
			// --console-socket, --no-pivot, -no-subreaper, --bundle, the id.
			args: []string{"--root", "/run/containerd/runc/k8s.io", "--log", "/b/log.json", "--log-format", "json",
				"restore", "--image-path", "/ck", "--work-path", "/b/work", "--parent-path", "../pre",
				"--tcp-established", "--ext-unix-sk", "--shell-job", "--file-locks", "--manage-cgroups-mode", "soft",
				"--empty-ns", "network", "--lazy-pages", "--detach", "--pid-file", "/b/init.pid",
				"--console-socket", "/tmp/pty.sock", "--no-pivot", "-no-subreaper", "--bundle", "/b", "web1"},
			want: restoreFlags{imagePath: "/ck", workPath: "/b/work", parentPath: "../pre", tcpEstablished: true,
				extUnixSk: true, shellJob: true, fileLocks: true, manageCgroupsMode: "soft", emptyNs: []string{"network"},
				lazyPages: true, detach: true, pidFile: "/b/init.pid", consoleSocket: "/tmp/pty.sock", noPivot: true,
				noSubreaper: true, bundle: "/b", id: "web1"},
		},
		{
			args: []string{"restore", "-d", "-b=/b", "--lsm-profile", "apparmor:p", "--lsm-mount-context=ctx",
				"--auto-dedup", "c1", "--detach=false"},
			want: restoreFlags{bundle: "/b", lsmProfile: "apparmor:p", lsmMountContext: "ctx", autoDedup: true, id: "c1"},
		},
	} {
		inv := parseInvocation(tc.args)
		if inv.command != "restore" || inv.globalErr != nil {
			t.Fatalf("%q: command %q, %v", tc.args, inv.command, inv.globalErr)
		}
		got, err := parseRestore(inv.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.args, got, tc.want)
		}
	}
}

func TestParseRestoreErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--leave-running", "c"}, "flag provided but not defined: -leave-running"},
		{[]string{"--page-server", "1.2.3.4:5", "c"}, "flag provided but not defined: -page-server"},
		{[]string{"--image-path"}, "flag needs an argument: -image-path"},
		{[]string{"-d=maybe", "c"}, `invalid boolean value "maybe" for -d`},
		{[]string{"a", "b"}, "requires exactly 1 argument"},
		{nil, "requires exactly 1 argument"},
	} {
		_, err := parseRestore(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
	}
}
