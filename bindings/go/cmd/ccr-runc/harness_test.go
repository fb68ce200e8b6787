// SPDX-License-Identifier: Apache-2.0

package main

// Test toolkit: the built ccr-runc, prerequisites, busybox bundles run with
// plain runc (made by tests/fixture/make_bundle.py, the recipe every harness
// shares), and cleanup of processes, cgroups (tests/fixture/clean_cgroups.py)
// and mounts.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
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
	for _, b := range append([]string{"runc", "python3"}, extra...) { // python3 runs tests/fixture
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

// runFixture runs tests/fixture/<script> (the tests run in
// bindings/go/cmd/ccr-runc) and returns its combined output.
func runFixture(script string, args ...string) (string, error) {
	path, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "tests", "fixture", script))
	if err != nil {
		return "", err
	}
	out, err := exec.Command("python3", append([]string{path}, args...)...).CombinedOutput()
	return string(out), err
}

func mustRunFixture(t *testing.T, script string, args ...string) {
	t.Helper()
	if out, err := runFixture(script, args...); err != nil {
		t.Fatalf("tests/fixture/%s %s: %v\n%s", script, strings.Join(args, " "), err, out)
	}
}

// cleanCgroup kills whatever runs in the cgroup rel (below each
// hierarchy's root) and removes it.
func cleanCgroup(t *testing.T, rel string) {
	if out, err := runFixture("clean_cgroups.py", "/"+rel); err != nil {
		t.Logf("clean-up of cgroup %s: %v: %s", rel, err, out)
	}
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
	must(t, os.Mkdir(c.bundle, 0o700))
	must(t, os.Mkdir(c.dataDir, 0o755))
	// The spec of this runc generation, so its own defaults are tested.
	mustRunFixture(t, "make_bundle.py", "bundle", c.bundle, "--runc", c.runc,
		"--cgroups-path", "/"+cgroupParent+"/"+c.id, "--bind", c.dataDir, "/data", "--", "sh", "-c", countingShell)
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
	// clean_cgroups.py leaves our own children (inits ccr restored) for us
	// to reap.
	for _, p := range c.adopted {
		syscall.Kill(p, syscall.SIGKILL)
	}
	if out, err := runFixture("clean_cgroups.py", "--runc", c.runc, "--runc-root", c.runcRoot, "--id", c.id,
		"/"+cgroupParent+"/"+c.id); err != nil {
		c.t.Logf("cleanup of %s: %v: %s", c.id, err, out)
	}
	for _, p := range c.adopted {
		var ws syscall.WaitStatus
		syscall.Wait4(p, &ws, 0, nil)
	}
	c.closeIO()
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
