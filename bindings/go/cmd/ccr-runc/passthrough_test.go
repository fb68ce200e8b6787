// SPDX-License-Identifier: Apache-2.0

package main

// Every command but checkpoint reaches the real runc unchanged: same
// arguments, same descriptors, its exit status. No root needed: the "real
// runc" here is a script that records what it got.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRunc writes a script that records its arguments (one per line) and
// whether descriptor 3 is open, then exits with status 7.
func fakeRunc(t *testing.T, dir string) (script, record string) {
	t.Helper()
	script = filepath.Join(dir, "runc")
	record = filepath.Join(dir, "record")
	body := "#!/bin/sh\n" +
		": > " + record + "\n" +
		"for a in \"$@\"; do printf '%s\\n' \"$a\" >> " + record + "; done\n" +
		"if [ -e /proc/self/fd/3 ]; then echo fd3=open >> " + record + "; fi\n" +
		"exit 7\n"
	must(t, os.WriteFile(script, []byte(body), 0o755))
	return script, record
}

func runWith(t *testing.T, env []string, extra *os.File, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(ccrRuncBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	if extra != nil {
		cmd.ExtraFiles = []*os.File{extra}
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func TestPassThroughToRealRunc(t *testing.T) {
	dir := t.TempDir()
	script, record := fakeRunc(t, dir)
	env := []string{"CCR_RUNC_REAL=" + script}
	r, w, err := os.Pipe()
	must(t, err)
	defer r.Close()
	defer w.Close()
	for _, args := range [][]string{
		{"--root", "/run/containerd/runc/k8s.io", "--log", "/b/log.json", "--log-format", "json", "create",
			"--bundle", "/b", "--pid-file", "/b/init.pid", "--console-socket", "/tmp/pty.sock", "web 1"},
		{"--root", "/r", "restore", "--help"}, // restore itself is ccr's (restore_test.go)
		{"--root", "/r", "exec", "--process", "/tmp/p.json", "--detach", "--pid-file", "/p", "web1"},
		{"state", "web1"}, {"--version"}, {"--help"}, {},
		{"--root", "/r", "checkpoint", "--help"}, // runc's help text
		{"--bogus-global", "kill", "web1", "9"},  // runc judges flags of its own commands
	} {
		os.Remove(record)
		out, code := runWith(t, env, w, args...)
		if code != 7 {
			t.Errorf("%q: exit status %d, want the fake runc's 7: %s", args, code, out)
			continue
		}
		got, err := os.ReadFile(record)
		must(t, err)
		want := ""
		for _, a := range args {
			want += a + "\n"
		}
		want += "fd3=open\n"
		if string(got) != want {
			t.Errorf("%q: runc got\n%s\nwant\n%s", args, got, want)
		}
	}
}

// checkpoint's flags are checked before anything runs: unknown ones are
// errors, never dropped, and runc is not called.
func TestCheckpointRejectsUnknownFlags(t *testing.T) {
	dir := t.TempDir()
	script, record := fakeRunc(t, dir)
	env := []string{"CCR_RUNC_REAL=" + script}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--root", dir, "checkpoint", "--image-path", "/i", "--bogus", "web1"}, "flag provided but not defined: -bogus"},
		{[]string{"--root", dir, "--bogus-global", "checkpoint", "web1"}, "flag provided but not defined: -bogus-global"},
		{[]string{"--root", dir, "checkpoint", "--leave-running=perhaps", "web1"}, "invalid boolean value"},
		{[]string{"--root", dir, "checkpoint"}, "requires exactly 1 argument"},
		{[]string{"--root", dir, "--log-format", "yaml", "checkpoint", "web1"}, "invalid log-format"},
		{[]string{"--root", dir, "checkpoint", "web1"}, "container does not exist"},
		{[]string{"--root", dir, "checkpoint", "../web1"}, "invalid id format"},
	} {
		out, code := runWith(t, env, nil, tc.args...)
		if code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("%q: exit status %d, output %q; want 1 and %q", tc.args, code, out, tc.want)
		}
		if _, err := os.Stat(record); err == nil {
			t.Errorf("%q: runc was called", tc.args)
			os.Remove(record)
		}
	}
	// With --log and --log-format json the error is also a JSON entry there,
	// where containerd's shim looks for runc's last error.
	logFile := filepath.Join(dir, "log.json")
	out, code := runWith(t, env, nil, "--root", dir, "--log", logFile, "--log-format", "json", "checkpoint", "--nope", "web1")
	b, _ := os.ReadFile(logFile)
	if code != 1 || !strings.Contains(out, "-nope") || !strings.Contains(string(b), `"level":"error"`) || !strings.Contains(string(b), "-nope") {
		t.Errorf("exit %d, stderr %q, log %q", code, out, b)
	}
}

// The real runc is found in PATH even when ccr-runc is installed as runc
// ahead of it, and ccr-runc never execs itself.
func TestFindsRealRunc(t *testing.T) {
	shadow, realDir := t.TempDir(), t.TempDir()
	must(t, os.Symlink(ccrRuncBinary(t), filepath.Join(shadow, "runc")))
	_, record := fakeRunc(t, realDir)
	out, code := runWith(t, []string{"CCR_RUNC_REAL=", "PATH=" + shadow + ":" + realDir}, nil, "list")
	if b, _ := os.ReadFile(record); code != 7 || string(b) != "list\n" {
		t.Errorf("exit %d (%s), runc got %q", code, out, b)
	}
	out, code = runWith(t, []string{"CCR_RUNC_REAL=" + filepath.Join(shadow, "runc")}, nil, "list")
	if code != 1 || !strings.Contains(out, "ccr-runc itself") {
		t.Errorf("CCR_RUNC_REAL=ccr-runc: exit %d, %q", code, out)
	}
}
