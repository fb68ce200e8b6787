// SPDX-License-Identifier: Apache-2.0

package main

// Test toolkit: the built ccr-runc, prerequisites, busybox bundles run with
// plain runc, and cleanup of processes, cgroups and mounts.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cgroupParent holds every container this test process starts:
// /sys/fs/cgroup/*/ccr-runc-test-<pid>/<id>. Per process, so that the
// cleanups (which kill whatever is left in it) never reach the containers
// of another run of these tests on the same machine.
var cgroupParent = fmt.Sprintf("ccr-runc-test-%d", os.Getpid())

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
	idCounter atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// ccrRuncBinary builds ccr-runc once per test run, with libccr's directory
// as its run path so containerd's shim can start it without LD_LIBRARY_PATH.
func ccrRuncBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		if buildDir, buildErr = os.MkdirTemp("", "ccr-runc-build-"); buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "ccr-runc")
		args := []string{"build", "-o", buildPath}
		if out, err := exec.Command("pkg-config", "--variable=libdir", "ccr").Output(); err == nil {
			if dir := strings.TrimSpace(string(out)); dir != "" {
				args = append(args, "-ldflags", "-r "+dir)
			}
		}
		cmd := exec.Command(goBin, append(args, ".")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ccr-runc: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// require skips (or fails, with CI=true) unless the machine has what an
// end-to-end test needs: root, criu >= 4.1, runc, /bin/busybox, and the
// extra binaries named.
func require(t *testing.T, extra ...string) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	if criu, err := exec.LookPath("criu"); err != nil {
		missing = append(missing, "criu in PATH")
	} else {
		out, _ := exec.Command(criu, "--version").CombinedOutput()
		m := regexp.MustCompile(`Version: (\d+)\.(\d+)`).FindSubmatch(out)
		maj, _ := strconv.Atoi(string(m1(m, 1)))
		min, _ := strconv.Atoi(string(m1(m, 2)))
		if m == nil || maj < 4 || (maj == 4 && min < 1) {
			missing = append(missing, "criu >= 4.1")
		}
	}
	for _, b := range append([]string{"runc"}, extra...) {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b+" in PATH")
		}
	}
	if st, err := os.Stat("/bin/busybox"); err != nil || st.Mode()&0o111 == 0 {
		missing = append(missing, "/bin/busybox")
	}
	if len(missing) == 0 {
		return
	}
	msg := "end-to-end test needs " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: missing prerequisites fail)")
	}
	t.Skip(msg)
}

func m1(m [][]byte, i int) []byte {
	if m == nil {
		return nil
	}
	return m[i]
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// run runs a command with a time limit and returns its combined output.
func run(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	out, err := run(t, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// busyboxApplets lists the applets of /bin/busybox, at least the few the
// tests use.
func busyboxApplets() []string {
	set := map[string]bool{"sh": true, "cat": true, "echo": true, "sleep": true, "mv": true, "ls": true}
	if out, err := exec.Command("/bin/busybox", "--list").Output(); err == nil {
		for _, a := range strings.Fields(string(out)) {
			if a != "busybox" && !strings.Contains(a, "/") {
				set[a] = true
			}
		}
	}
	var list []string
	for a := range set {
		list = append(list, a)
	}
	sort.Strings(list)
	return list
}

// runcContainer is a busybox container run by plain runc with pipe stdio.
// Its init is a counting shell: each line read is answered "<line> <n>",
// and n is written to /data/count, a bind mount of dataDir.
type runcContainer struct {
	t        *testing.T
	runc     string // the runc that runs it ("runc" from PATH unless a test picks a generation)
	id       string
	dir      string
	bundle   string
	runcRoot string
	dataDir  string
	pid      int
	adopted  []int // inits restored by ccr: children of the test process

	tIn, tOut *os.File
	out       *bufio.Reader
}

const countingShell = `i=0; while read line; do i=$((i+1)); echo "$i" > /data/count; echo "$line $i"; done`

func newRuncContainer(t *testing.T) *runcContainer {
	t.Helper()
	return newRuncContainerWith(t, "runc")
}

// newRuncContainerWith is newRuncContainer run by the runc binary runc.
func newRuncContainerWith(t *testing.T, runc string) *runcContainer {
	t.Helper()
	c := &runcContainer{t: t, runc: runc, id: fmt.Sprintf("ccr-runc-%d-%d", os.Getpid(), idCounter.Add(1)), dir: t.TempDir()}
	c.bundle = filepath.Join(c.dir, "bundle")
	c.runcRoot = filepath.Join(c.dir, "runc")
	c.dataDir = filepath.Join(c.dir, "data")
	must(t, os.MkdirAll(filepath.Join(c.bundle, "rootfs"), 0o755))
	must(t, os.Mkdir(c.dataDir, 0o755))
	rootfs := filepath.Join(c.bundle, "rootfs")
	for _, d := range []string{"bin", "proc", "sys", "dev", "tmp", "etc", "data", "root"} {
		must(t, os.MkdirAll(filepath.Join(rootfs, d), 0o755))
	}
	bb, err := os.ReadFile("/bin/busybox")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(rootfs, "bin/busybox"), bb, 0o755))
	for _, a := range busyboxApplets() {
		must(t, os.Symlink("busybox", filepath.Join(rootfs, "bin", a)))
	}
	must(t, os.WriteFile(filepath.Join(rootfs, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644))

	// runc spec's defaults (mounts, masked paths, capabilities), edited.
	spec := t.TempDir()
	mustRun(t, nil, c.runc, "spec", "--bundle", spec)
	raw, err := os.ReadFile(filepath.Join(spec, "config.json"))
	must(t, err)
	var cfg map[string]any
	must(t, json.Unmarshal(raw, &cfg))
	proc := cfg["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = []string{"sh", "-c", countingShell}
	proc["env"] = []string{"PATH=/bin"}
	cfg["root"] = map[string]any{"path": "rootfs", "readonly": false}
	cfg["hostname"] = "ccr-runc"
	cfg["mounts"] = append(cfg["mounts"].([]any), map[string]any{
		"destination": "/data", "type": "bind", "source": c.dataDir, "options": []string{"rbind", "rw"}})
	linux := cfg["linux"].(map[string]any)
	linux["cgroupsPath"] = "/" + cgroupParent + "/" + c.id
	var ns []map[string]string
	for _, typ := range []string{"pid", "network", "ipc", "uts", "mount"} {
		ns = append(ns, map[string]string{"type": typ})
	}
	linux["namespaces"] = ns
	out, err := json.MarshalIndent(cfg, "", "  ")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(c.bundle, "config.json"), out, 0o600))
	t.Cleanup(c.cleanup)
	return c
}

// pipes makes fresh stdio pipes for the container: the container's ends
// are returned (to hand to runc or ccr, then close); the test keeps the
// others.
func (c *runcContainer) pipes() (cIn, cOut, cErr *os.File) {
	t := c.t
	t.Helper()
	var tIn, tOut, tErr *os.File
	var err error
	if cIn, tIn, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	if tOut, cOut, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	if tErr, cErr, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	tErr.Close() // stderr: nobody reads it; writes would fail with EPIPE, which the shell ignores
	c.closeIO()
	c.tIn, c.tOut, c.out = tIn, tOut, bufio.NewReader(tOut)
	return cIn, cOut, cErr
}

func (c *runcContainer) closeIO() {
	if c.tIn != nil {
		c.tIn.Close()
		c.tOut.Close()
		c.tIn, c.tOut, c.out = nil, nil, nil
	}
}

// runcDetached runs `runc <command> [flags] <id>` (run -d or restore -d)
// with fresh pipes as the container's stdio and reads the init pid from
// --pid-file. runc's own messages go to a log file, not to the container's
// stderr.
func (c *runcContainer) runcDetached(args ...string) {
	c.t.Helper()
	c.detachedWith(c.runc, nil, args...)
}

// detachedWith is runcDetached with another runc-compatible binary (ccr-runc)
// and extra environment.
func (c *runcContainer) detachedWith(bin string, env []string, args ...string) {
	t := c.t
	t.Helper()
	cIn, cOut, cErr := c.pipes()
	pidFile := filepath.Join(c.dir, "init.pid")
	logFile := filepath.Join(c.dir, "runc.log")
	os.Remove(pidFile)
	full := []string{"--root", c.runcRoot, "--log", logFile}
	full = append(full, args[:len(args)-1]...)
	full = append(full, "--pid-file", pidFile, args[len(args)-1])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, full...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = cIn, cOut, cErr
	err := cmd.Run()
	cIn.Close()
	cOut.Close()
	cErr.Close()
	if err != nil {
		logs, _ := os.ReadFile(logFile)
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(full, " "), err, logs)
	}
	raw, err := os.ReadFile(pidFile)
	must(t, err)
	c.pid, err = strconv.Atoi(strings.TrimSpace(string(raw)))
	must(t, err)
}

// ask sends a line and returns the answer, "" after 10 seconds.
func (c *runcContainer) ask(line string) string {
	if c.tIn == nil {
		return ""
	}
	if _, err := c.tIn.Write([]byte(line + "\n")); err != nil {
		return ""
	}
	c.tOut.SetReadDeadline(time.Now().Add(10 * time.Second))
	s, err := c.out.ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(s, "\n")
}

// runcStatus is `runc state`'s status, or "" when runc does not know the
// container.
func (c *runcContainer) runcStatus() string {
	out, err := exec.Command(c.runc, "--root", c.runcRoot, "state", c.id).Output()
	if err != nil {
		return ""
	}
	var st struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(out, &st) != nil {
		return ""
	}
	return st.Status
}

func (c *runcContainer) cleanup() {
	for _, h := range cgroupHierarchies() {
		thawTree(filepath.Join(h, cgroupParent, c.id))
	}
	exec.Command(c.runc, "--root", c.runcRoot, "kill", "-a", c.id, "KILL").Run()
	for _, p := range c.adopted {
		syscall.Kill(p, syscall.SIGKILL)
	}
	killCgroup(filepath.Join(cgroupParent, c.id))
	for _, p := range c.adopted {
		var ws syscall.WaitStatus
		syscall.Wait4(p, &ws, 0, nil)
	}
	if out, err := exec.Command(c.runc, "--root", c.runcRoot, "delete", "-f", c.id).CombinedOutput(); err != nil &&
		!strings.Contains(string(out), "does not exist") {
		c.t.Logf("runc delete %s: %v: %s", c.id, err, out)
	}
	removeCgroup(filepath.Join(cgroupParent, c.id))
	c.closeIO()
}

// cgroupHierarchies lists the cgroup mounts under /sys/fs/cgroup.
func cgroupHierarchies() []string {
	var out []string
	for _, m := range mounts() {
		if (m.fstype == "cgroup" || m.fstype == "cgroup2") && strings.HasPrefix(m.point, "/sys/fs/cgroup") {
			out = append(out, m.point)
		}
	}
	return out
}

type mount struct{ point, fstype string }

func mounts() []mount {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []mount
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		for i, x := range f {
			if x == "-" && len(f) > 4 && i+1 < len(f) {
				out = append(out, mount{point: unescapeMount(f[4]), fstype: f[i+1]})
				break
			}
		}
	}
	return out
}

func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// dirsPostOrder lists dir and the directories below it, deepest first.
func dirsPostOrder(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func thawTree(dir string) {
	for _, d := range dirsPostOrder(dir) {
		os.WriteFile(filepath.Join(d, "freezer.state"), []byte("THAWED"), 0)
		os.WriteFile(filepath.Join(d, "cgroup.freeze"), []byte("0"), 0)
	}
}

// killCgroup kills every process in the cgroup rel (relative to each
// hierarchy's root) until none is left, or 5 seconds pass.
func killCgroup(rel string) {
	for round := 0; round < 100; round++ {
		found := false
		for _, h := range cgroupHierarchies() {
			thawTree(filepath.Join(h, rel))
			for _, d := range dirsPostOrder(filepath.Join(h, rel)) {
				b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
				for _, f := range strings.Fields(string(b)) {
					if p, err := strconv.Atoi(f); err == nil {
						found = true
						syscall.Kill(p, syscall.SIGKILL)
					}
				}
			}
		}
		if !found {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func removeCgroup(rel string) {
	for _, h := range cgroupHierarchies() {
		for _, d := range dirsPostOrder(filepath.Join(h, rel)) {
			for i := 0; i < 50; i++ {
				if err := syscall.Rmdir(d); !errors.Is(err, syscall.EBUSY) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		syscall.Rmdir(filepath.Join(h, cgroupParent)) // fails while another test uses it
	}
}

func alive(pid int) bool {
	_, state, err := procStat(pid)
	return err == nil && state != 'Z' && state != 'X'
}

func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func readJSONStrings(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	must(t, err)
	var v []string
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v: %s", path, err, raw)
	}
	return v
}
