// SPDX-License-Identifier: Apache-2.0

package main

// ccr-runc restore, against both runc generations: Debian's runc 1.1.5 (on
// PATH) and runc 1.5.3 (built pinned by scripts/bootstrap.sh). The restored
// container is runc's afterwards: state, exec, pause/resume, kill with its
// exit status reaching the reaper, delete, and a checkpoint by runc itself.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newRuncPath is runc 1.5.3 as scripts/bootstrap.sh installs it
// (CCR_TEST_RUNC_NEW overrides).
func newRuncPath() string {
	if p := os.Getenv("CCR_TEST_RUNC_NEW"); p != "" {
		return p
	}
	return "/usr/local/libexec/ccr-test/runc-1.5.3/runc"
}

type runcGeneration struct{ name, path string }

// runcGenerations are the runc binaries ccr-runc is tested in front of.
func runcGenerations(t *testing.T) []runcGeneration {
	t.Helper()
	require(t, newRuncPath())
	return []runcGeneration{{"runc-1.1", "runc"}, {"runc-1.5", newRuncPath()}}
}

// ccrRuncEnv makes ccr-runc delegate to runc and trace to marker.
func ccrRuncEnv(runc, marker string) []string {
	return []string{"CCR_RUNC_REAL=" + runc, "CCR_RUNC_LOG=" + marker}
}

// becomeSubreaper makes the test process the reaper of the inits restored
// with --detach (as containerd's shim is) until the test ends.
func becomeSubreaper(t *testing.T) {
	t.Helper()
	must(t, unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
}

// isChild says whether pid's parent is this process.
func isChild(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 1 && f[1] == strconv.Itoa(os.Getpid())
}

func (c *runcContainer) runcState() (status string, pid int) {
	out, err := run(c.t, nil, c.runc, "--root", c.runcRoot, "state", c.id)
	if err != nil {
		return "", 0
	}
	var st struct {
		Status string `json:"status"`
		Pid    int    `json:"pid"`
	}
	json.Unmarshal([]byte(out), &st)
	return st.Status, st.Pid
}

func TestCcrRuncRestore(t *testing.T) {
	require(t)
	for _, gen := range runcGenerations(t) {
		t.Run(gen.name, func(t *testing.T) {
			becomeSubreaper(t)
			c := newRuncContainerWith(t, gen.path)
			marker := filepath.Join(c.dir, "ccr-runc.log")
			env := ccrRuncEnv(gen.path, marker)
			c.runcDetached("run", "-d", "--bundle", c.bundle, c.id)
			c.adopted = append(c.adopted, c.pid) // reparented here once runc run -d exits
			c.wantAnswer("a", "a 1")

			// runc's images, restored by ccr (interop runc -> ccr).
			img := filepath.Join(c.dir, "images-runc")
			mustRun(t, nil, gen.path, "--root", c.runcRoot, "checkpoint", "--image-path", img, c.id)
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(c.pid, &ws, 0, nil); err != nil {
				t.Fatalf("reaping the checkpointed init %d: %v", c.pid, err)
			}
			c.wantStatus("") // runc destroys a checkpointed container
			work := filepath.Join(c.dir, "restore-work")
			c.detachedWith(ccrRuncBinary(t), env, "restore", "-d", "--image-path", img, "--work-path", work,
				"-no-subreaper", "--bundle", c.bundle, c.id)
			c.adopted = append(c.adopted, c.pid)
			if b, _ := os.ReadFile(marker); !strings.Contains(string(b), "restore of "+c.id) || !strings.Contains(string(b), "by ccr") {
				t.Fatalf("the restore did not go through ccr; CCR_RUNC_LOG: %q", b)
			}
			if _, err := os.Stat(filepath.Join(work, "restore.log")); err != nil {
				t.Errorf("CRIU's restore log: %v", err)
			}
			// ccr-runc exited: the restored init was reparented to the
			// subreaper, as it is to containerd's shim.
			if !waitFor(5*time.Second, func() bool { return isChild(c.pid) }) {
				t.Errorf("restored init %d is not a child of the subreaper", c.pid)
			}
			if st, pid := c.runcState(); st != "running" || pid != c.pid {
				t.Fatalf("runc state after ccr's restore: %q pid %d, want running pid %d", st, pid, c.pid)
			}
			c.wantAnswer("b", "b 2")
			if out := mustRun(t, nil, gen.path, "--root", c.runcRoot, "exec", c.id, "cat", "/data/count"); strings.TrimSpace(out) != "2" {
				t.Errorf("runc exec cat /data/count: %q", out)
			}
			if out := mustRun(t, nil, gen.path, "--root", c.runcRoot, "exec", c.id, "cat", "/proc/1/cmdline"); !strings.Contains(out, "while read line") {
				t.Errorf("runc exec ran outside the restored pid namespace: /proc/1/cmdline %q", out)
			}
			mustRun(t, nil, gen.path, "--root", c.runcRoot, "pause", c.id)
			c.wantStatus("paused")
			mustRun(t, nil, gen.path, "--root", c.runcRoot, "resume", c.id)
			c.wantStatus("running")
			c.wantAnswer("c", "c 3")

			// runc checkpoints the container ccr restored, and ccr restores
			// that again (interop both ways on one container).
			img2 := filepath.Join(c.dir, "images-runc-2")
			mustRun(t, nil, gen.path, "--root", c.runcRoot, "checkpoint", "--image-path", img2, c.id)
			if _, err := syscall.Wait4(c.pid, &ws, 0, nil); err != nil {
				t.Fatalf("reaping the checkpointed init %d: %v", c.pid, err)
			}
			c.wantStatus("")
			c.detachedWith(ccrRuncBinary(t), env, "restore", "--detach", "--image-path", img2, "--bundle", c.bundle, c.id)
			c.adopted = append(c.adopted, c.pid)
			c.wantStatus("running")
			c.wantAnswer("d", "d 4")

			// runc kill: the exit status reaches the reaper; runc reads the
			// container as stopped and deletes it.
			mustRun(t, nil, gen.path, "--root", c.runcRoot, "kill", c.id, "KILL")
			if _, err := syscall.Wait4(c.pid, &ws, 0, nil); err != nil {
				t.Fatalf("wait for the restored init %d: %v", c.pid, err)
			}
			if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Errorf("the restored init's status: %v, want killed by SIGKILL", ws)
			}
			c.wantStatus("stopped")
			mustRun(t, nil, gen.path, "--root", c.runcRoot, "delete", c.id)
			c.wantStatus("")
			if _, err := os.Stat(filepath.Join(c.runcRoot, c.id)); !os.IsNotExist(err) {
				t.Errorf("runc delete left %s: %v", filepath.Join(c.runcRoot, c.id), err)
			}
		})
	}
}

// A failed restore leaves nothing behind: no state directory (runc does not
// know the id), no process; and the message is ccr's.
func TestCcrRuncRestoreFailure(t *testing.T) {
	require(t)
	c := newRuncContainer(t)
	empty := filepath.Join(c.dir, "no-images")
	must(t, os.Mkdir(empty, 0o700))
	logFile := filepath.Join(c.dir, "log.json")
	out, err := run(t, nil, ccrRuncBinary(t), "--root", c.runcRoot, "--log", logFile, "--log-format", "json",
		"restore", "-d", "--image-path", empty, "--bundle", c.bundle, c.id)
	if err == nil {
		t.Fatalf("restore from an empty directory succeeded: %s", out)
	}
	logged, _ := os.ReadFile(logFile)
	var entry struct{ Level, Msg string }
	if json.Unmarshal([]byte(strings.TrimSpace(string(logged))), &entry) != nil || entry.Level != "error" ||
		!strings.HasPrefix(entry.Msg, "ccr: ") {
		t.Errorf("runc log %q: want one error entry with ccr's message", logged)
	}
	t.Logf("ccr-runc restore: %s", entry.Msg)
	if _, err := os.Stat(filepath.Join(c.runcRoot, c.id)); !os.IsNotExist(err) {
		t.Errorf("a failed restore left %s", filepath.Join(c.runcRoot, c.id))
	}
	c.wantStatus("")

	// A flag runc restore does not have is refused by name.
	out, err = run(t, nil, ccrRuncBinary(t), "--root", c.runcRoot, "restore", "--leave-running", "--bundle", c.bundle, c.id)
	if err == nil || !strings.Contains(out, "flag provided but not defined: -leave-running") {
		t.Errorf("restore --leave-running: %v %q", err, out)
	}
}

// Without --detach ccr-runc stays, as runc does: it waits for the restored
// init, exits with its status (128+9 after runc kill KILL) and removes the
// container from runc's state.
func TestCcrRuncRestoreForeground(t *testing.T) {
	require(t)
	for _, gen := range runcGenerations(t) {
		t.Run(gen.name, func(t *testing.T) {
			c := newRuncContainerWith(t, gen.path)
			c.runcDetached("run", "-d", "--bundle", c.bundle, c.id)
			c.wantAnswer("a", "a 1")
			img := filepath.Join(c.dir, "images")
			c.ccrRunc(t, []string{"CCR_RUNC_REAL=" + gen.path}, "checkpoint", "--image-path", img, c.id)
			mustRun(t, nil, gen.path, "--root", c.runcRoot, "delete", c.id)

			cIn, cOut, cErr := c.pipes()
			logFile := filepath.Join(c.dir, "ccr-runc-restore.log")
			cmd := exec.Command(ccrRuncBinary(t), "--root", c.runcRoot, "--log", logFile, "restore", "--image-path", img,
				"--bundle", c.bundle, c.id)
			cmd.Env = append(os.Environ(), "CCR_RUNC_REAL="+gen.path)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = cIn, cOut, cErr
			must(t, cmd.Start())
			cIn.Close()
			cOut.Close()
			cErr.Close()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			t.Cleanup(func() {
				// Ending the container ends ccr-runc; killing ccr-runc
				// during the restore would leave ccr's mounts behind.
				exec.Command(gen.path, "--root", c.runcRoot, "kill", c.id, "KILL").Run()
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					cmd.Process.Kill()
					<-done
				}
			})
			if got := c.ask("b"); got != "b 2" {
				// Say why: ccr-runc's outcome and log, and the end of CRIU's.
				outcome := "still running"
				select {
				case err := <-done:
					outcome = fmt.Sprintf("exited: %v", err)
					done <- err // for the cleanup
				case <-time.After(10 * time.Second):
				}
				logged, _ := os.ReadFile(logFile)
				criuLog, _ := os.ReadFile(filepath.Join(img, "restore.log"))
				if len(criuLog) > 3000 {
					criuLog = criuLog[len(criuLog)-3000:]
				}
				t.Fatalf("container answered %q to \"b\", want \"b 2\"; ccr-runc %s; its log: %s\nCRIU's restore log ends:\n%s",
					got, outcome, logged, criuLog)
			}
			// The container runs as soon as CRIU resumes it; ccr-runc
			// records it for runc when ccr's restore has returned.
			if !waitFor(20*time.Second, func() bool { st, pid := c.runcState(); return st == "running" && pid > 0 }) {
				st, pid := c.runcState()
				t.Fatalf("runc state during a foreground restore: %q pid %d", st, pid)
			}
			mustRun(t, nil, gen.path, "--root", c.runcRoot, "kill", c.id, "KILL")
			select {
			case err := <-done:
				close(done) // for the cleanup
				ee, ok := err.(*exec.ExitError)
				if !ok || ee.ExitCode() != 128+9 {
					t.Errorf("ccr-runc restore exited with %v, want status 137", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("ccr-runc restore did not exit after the container was killed")
			}
			c.wantStatus("")
		})
	}
}
