// SPDX-License-Identifier: Apache-2.0

package ccr_test

// The end-to-end harness: a busybox bundle in t.TempDir() (made by
// tests/fixture/make_bundle.py, the recipe every harness shares), started
// with `runc --root <dir> run -d` and pipe stdio, cleaned up after the test
// (tests/fixture/clean_cgroups.py).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
)

const cgroupParent = "ccr-go" // containers live in /sys/fs/cgroup/*/ccr-go/<id>

var idCounter atomic.Int64

// requirePrerequisites skips (or fails, with CI=true) unless the machine can
// run real containers: root, criu >= 4.1, runc, /bin/busybox and python3.
func requirePrerequisites(t *testing.T) {
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
		if m == nil {
			missing = append(missing, "criu >= 4.1 (cannot read `criu --version`)")
		} else if maj, _ := strconv.Atoi(string(m[1])); maj < 4 {
			missing = append(missing, "criu >= 4.1 (found "+string(m[1])+"."+string(m[2])+")")
		} else if min, _ := strconv.Atoi(string(m[2])); maj == 4 && min < 1 {
			missing = append(missing, "criu >= 4.1 (found "+string(m[1])+"."+string(m[2])+")")
		}
	}
	for _, bin := range []string{"runc", "python3"} { // python3 runs tests/fixture
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin+" in PATH")
		}
	}
	if st, err := os.Stat("/bin/busybox"); err != nil || st.Mode()&0o111 == 0 {
		missing = append(missing, "/bin/busybox")
	}
	if len(missing) == 0 {
		return
	}
	msg := "end-to-end test needs root, criu >= 4.1, runc, /bin/busybox and python3; missing: " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true)")
	}
	t.Skip(msg)
}

// pipes are a container's stdio: the test writes tIn and reads tOut/tErr;
// the container gets cIn/cOut/cErr.
type pipes struct {
	cIn, cOut, cErr *os.File
	tIn, tOut, tErr *os.File
	out             *bufio.Reader
}

func newPipes(t *testing.T) *pipes {
	t.Helper()
	p := &pipes{}
	var err error
	if p.cIn, p.tIn, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	if p.tOut, p.cOut, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	if p.tErr, p.cErr, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewReader(p.tOut)
	return p
}

func (p *pipes) closeContainerSide() {
	for _, f := range []*os.File{p.cIn, p.cOut, p.cErr} {
		if f != nil {
			f.Close()
		}
	}
	p.cIn, p.cOut, p.cErr = nil, nil, nil
}

func (p *pipes) close() {
	p.closeContainerSide()
	for _, f := range []*os.File{p.tIn, p.tOut, p.tErr} {
		f.Close()
	}
}

// drainStderr reads what the container side wrote to stderr so far.
func (p *pipes) drainStderr() string {
	p.tErr.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := p.tErr.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// testContainer is one runc container of a test.
type testContainer struct {
	t        *testing.T
	id       string
	dir      string
	bundle   string
	runcRoot string
	pid      int
	io       *pipes
	adopted  []int // restored inits: children of the test process
	started  bool
	cgroup   string // its cgroup path when not below cgroupParent (a pod's)
}

// newContainer builds a busybox bundle whose init runs args (default: the
// counting shell) in t.TempDir(); cleanup is registered with t.Cleanup.
func newContainer(t *testing.T, args ...string) *testContainer {
	t.Helper()
	if len(args) == 0 {
		args = []string{"sh", "-c", `i=0; while read line; do i=$((i+1)); echo "$line $i"; done`}
	}
	c := &testContainer{
		t:   t,
		id:  fmt.Sprintf("go-%d-%d", os.Getpid(), idCounter.Add(1)),
		dir: t.TempDir(),
	}
	c.bundle = filepath.Join(c.dir, "bundle")
	c.runcRoot = filepath.Join(c.dir, "runc")
	must(t, os.Mkdir(c.bundle, 0o700))
	fixtureArgs := append([]string{"bundle", c.bundle, "--cgroups-path", c.cgroupPath(), "--"}, args...)
	if out, err := runFixture("make_bundle.py", fixtureArgs...); err != nil {
		t.Fatalf("tests/fixture/make_bundle.py: %v: %s", err, out)
	}
	t.Cleanup(c.cleanup)
	return c
}

// runFixture runs tests/fixture/<script> (the package's tests run in
// bindings/go/ccr) and returns its combined output.
func runFixture(script string, args ...string) (string, error) {
	path, err := filepath.Abs(filepath.Join("..", "..", "..", "tests", "fixture", script))
	if err != nil {
		return "", err
	}
	out, err := exec.Command("python3", append([]string{path}, args...)...).CombinedOutput()
	return string(out), err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (c *testContainer) cgroupPath() string {
	if c.cgroup != "" {
		return c.cgroup
	}
	return "/" + cgroupParent + "/" + c.id
}

// start runs `runc --root <dir> run -d` with fresh pipes as the container's
// stdio and reads the init's pid from the pid file.
func (c *testContainer) start() {
	t := c.t
	t.Helper()
	p := newPipes(t)
	pidFile := filepath.Join(c.dir, "container.pid")
	cmd := exec.Command("runc", "--root", c.runcRoot, "run", "-d", "--pid-file", pidFile,
		"--bundle", c.bundle, c.id)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.cIn, p.cOut, p.cErr
	c.started = true // from here on cleanup runs runc delete
	must(t, cmd.Start())
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		err = errors.Join(errors.New("timed out"), <-waited)
	}
	p.closeContainerSide()
	if err != nil {
		msg := p.drainStderr()
		p.close()
		t.Fatalf("runc run %s: %v: %s", c.id, err, msg)
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		p.close()
		t.Fatalf("runc run %s: no pid file: %v", c.id, err)
	}
	c.pid, err = strconv.Atoi(strings.TrimSpace(string(raw)))
	must(t, err)
	c.io = p
}

// ask sends a line to the container and returns the line it answers, or ""
// after 10 seconds.
func (c *testContainer) ask(line string) string {
	if c.io == nil {
		return ""
	}
	if _, err := c.io.tIn.Write([]byte(line + "\n")); err != nil {
		return ""
	}
	c.io.tOut.SetReadDeadline(time.Now().Add(10 * time.Second))
	s, err := c.io.out.ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(s, "\n")
}

// description is the ccr.Container of this test container.
func (c *testContainer) description() *ccr.Container {
	return &ccr.Container{ID: c.id, Pid: c.pid, Bundle: c.bundle}
}

// restore restores images into this container with fresh pipes; on
// success it adopts the restored init and talks to it through them.
func (c *testContainer) restore(opts *ccr.RestoreOptions) (*ccr.Result, error) {
	c.t.Helper()
	p := newPipes(c.t)
	desc := c.description()
	desc.Stdin, desc.Stdout, desc.Stderr = p.cIn, p.cOut, p.cErr
	res, err := ccr.Restore(context.Background(), desc, opts)
	if err != nil {
		p.close()
		return nil, err
	}
	if res.Pid > 0 {
		c.adopted = append(c.adopted, res.Pid)
		c.pid = res.Pid
	}
	p.closeContainerSide()
	if c.io != nil {
		c.io.close()
	}
	c.io = p
	return res, nil
}

// cgroupV2Host: /sys/fs/cgroup is a cgroup2 mount (a v2-only host, or the
// v2 view tests/cgroup2/view.sh makes of a hybrid one).
func cgroupV2Host() bool {
	var st syscall.Statfs_t
	return syscall.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == cgroup2SuperMagic
}

func (c *testContainer) freezerDir() string {
	if cgroupV2Host() {
		return filepath.Join("/sys/fs/cgroup", c.cgroupPath())
	}
	return filepath.Join("/sys/fs/cgroup/freezer", c.cgroupPath())
}

// freezerState is the state of the container's freezer in v1's words
// (THAWED, FREEZING, FROZEN; on v2 from cgroup.freeze and cgroup.events),
// or "" when its cgroup is gone.
func (c *testContainer) freezerState() string {
	if !cgroupV2Host() {
		b, err := os.ReadFile(filepath.Join(c.freezerDir(), "freezer.state"))
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	freeze, err := os.ReadFile(filepath.Join(c.freezerDir(), "cgroup.freeze"))
	if err != nil {
		return ""
	}
	if strings.TrimSpace(string(freeze)) != "1" {
		return "THAWED"
	}
	events, err := os.ReadFile(filepath.Join(c.freezerDir(), "cgroup.events"))
	if err == nil && strings.Contains(string(events), "frozen 1") {
		return "FROZEN"
	}
	return "FREEZING"
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// waitGone waits until pid has exited (reaping it if it is our child; a
// zombie of someone else counts as gone).
func waitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		var ws syscall.WaitStatus
		r, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if r == pid {
			return true
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			return true
		}
		if err == syscall.ECHILD && isZombie(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// cleanup kills and reaps everything the container ran, deletes it from
// runc and removes its cgroups.
func (c *testContainer) cleanup() {
	// clean_cgroups.py leaves our own children (restored inits) for us to
	// reap.
	for _, p := range c.adopted {
		syscall.Kill(p, syscall.SIGKILL)
	}
	args := []string{}
	if c.started {
		args = append(args, "--runc-root", c.runcRoot, "--id", c.id)
	}
	if out, err := runFixture("clean_cgroups.py", append(args, c.cgroupPath())...); err != nil {
		c.t.Logf("cleanup of %s: %v: %s", c.id, err, out)
	}
	c.started = false
	for _, p := range c.adopted {
		if !waitGone(p, 5*time.Second) {
			c.t.Errorf("restored init %d still runs after cleanup", p)
		}
	}
	c.adopted = nil
	if c.io != nil {
		c.io.close()
		c.io = nil
	}
}

// unusedPid is a pid no process has.
func unusedPid(t *testing.T) int {
	pidMax := 32768
	if b, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pidMax = n
		}
	}
	for p := pidMax - 1; p > 1000; p-- {
		if syscall.Kill(p, 0) == syscall.ESRCH {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", p)); os.IsNotExist(err) {
				return p
			}
		}
	}
	t.Fatal("no unused pid")
	return 0
}

// describe prints every field of a ccr error, for failure messages.
func describe(err error) string {
	var e *ccr.Error
	if !errors.As(err, &e) {
		return fmt.Sprintf("%v (not a *ccr.Error)", err)
	}
	s := fmt.Sprintf("%s [code %s", e.Error(), e.Code)
	if e.Errno != 0 {
		s += fmt.Sprintf(", errno %d (%v)", int(e.Errno), e.Errno)
	}
	if e.CriuErrno != 0 {
		s += fmt.Sprintf(", criu errno %d (%v)", int(e.CriuErrno), e.CriuErrno)
	}
	if e.CriuMessage != "" {
		s += fmt.Sprintf(", criu message %q", e.CriuMessage)
	}
	if e.LogPath != "" {
		s += ", log " + e.LogPath
	}
	s += "]"
	if e.LogExcerpt != "" {
		s += "\n" + e.LogExcerpt
	}
	return s
}
