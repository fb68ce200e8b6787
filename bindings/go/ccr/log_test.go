// SPDX-License-Identifier: Apache-2.0

package ccr_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
)

// logLine is one line a LogFunc received, with the OS thread it ran on.
type logLine struct {
	level ccr.LogLevel
	msg   string
	tid   int
}

// logRecorder is a LogFunc that records every line, and may act on one.
type logRecorder struct {
	lines []logLine
	on    func(ccr.LogLevel, string)
}

func (r *logRecorder) log(level ccr.LogLevel, msg string) {
	r.lines = append(r.lines, logLine{level, msg, syscall.Gettid()})
	if r.on != nil {
		r.on(level, msg)
	}
}

// find is the first line containing s, or nil.
func (r *logRecorder) find(s string) *logLine {
	for i := range r.lines {
		if strings.Contains(r.lines[i].msg, s) {
			return &r.lines[i]
		}
	}
	return nil
}

func (r *logRecorder) String() string {
	var b strings.Builder
	for _, l := range r.lines {
		fmt.Fprintf(&b, "\n  [%s] %s", l.level, l.msg)
	}
	return b.String()
}

func TestLogLevelNames(t *testing.T) {
	for _, c := range []struct {
		l    ccr.LogLevel
		n    int
		name string
		slog slog.Level
	}{
		{ccr.LogError, 1, "error", slog.LevelError},
		{ccr.LogWarning, 2, "warning", slog.LevelWarn},
		{ccr.LogInfo, 3, "info", slog.LevelInfo},
		{ccr.LogDebug, 4, "debug", slog.LevelDebug},
	} {
		if int(c.l) != c.n || c.l.String() != c.name || c.l.SlogLevel() != c.slog {
			t.Errorf("%d: %d %q %v, want %d %q %v", c.n, int(c.l), c.l, c.l.SlogLevel(), c.n, c.name, c.slog)
		}
	}
	if s := ccr.LogLevel(7).String(); s != "LogLevel(7)" {
		t.Errorf("LogLevel(7).String() = %q", s)
	}
}

func TestLogToSlog(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}})
	f := ccr.LogToSlog(slog.New(h))
	f(ccr.LogError, "e")
	f(ccr.LogWarning, "w")
	f(ccr.LogInfo, "i")
	f(ccr.LogDebug, "d") // below the handler's level
	want := "level=ERROR msg=e\nlevel=WARN msg=w\nlevel=INFO msg=i\n"
	if buf.String() != want {
		t.Errorf("slog got %q, want %q", buf.String(), want)
	}
	if ccr.LogToSlog(nil) == nil {
		t.Error("LogToSlog(nil) is nil")
	}
}

// A LogMaxLevel outside LogError..LogDebug is refused with
// CodeInvalidArgument before anything runs, with or without Log; 0 and the
// four levels are accepted (the checkpoint of a pid that does not exist
// then fails with not-found, after its first info line). No root needed.
func TestLogInvalidLevelRefused(t *testing.T) {
	dir := t.TempDir()
	desc := &ccr.Container{ID: "log-level", Pid: unusedPid(t), Bundle: dir}
	huge := int64(1<<32 + 1) // would be LogError (1) if cut to 32 bits
	for _, level := range []ccr.LogLevel{-1, 5, 9, ccr.LogLevel(huge)} {
		for _, withLog := range []bool{true, false} {
			calls := 0
			opts := ccr.Options{ImagesDir: filepath.Join(dir, "images"), LogMaxLevel: level}
			if withLog {
				opts.Log = func(ccr.LogLevel, string) { calls++ }
			}
			_, err := ccr.Checkpoint(context.Background(), desc, &ccr.CheckpointOptions{Options: opts})
			var e *ccr.Error
			if !errors.Is(err, ccr.ErrInvalidArgument) || !errors.As(err, &e) || e.Code != ccr.CodeInvalidArgument {
				t.Errorf("checkpoint, LogMaxLevel %d, Log set %v: want invalid-argument, got %s", level, withLog, describe(err))
			} else if !strings.Contains(err.Error(), "LogMaxLevel") {
				t.Errorf("message %q does not name LogMaxLevel", err.Error())
			}
			_, err = ccr.Restore(context.Background(), desc, &ccr.RestoreOptions{Options: opts})
			if !errors.Is(err, ccr.ErrInvalidArgument) {
				t.Errorf("restore, LogMaxLevel %d, Log set %v: want invalid-argument, got %s", level, withLog, describe(err))
			}
			if calls != 0 {
				t.Errorf("LogMaxLevel %d: the log callback was called %d times", level, calls)
			}
		}
	}

	for _, level := range []ccr.LogLevel{0, ccr.LogError, ccr.LogWarning, ccr.LogInfo, ccr.LogDebug} {
		var rec logRecorder
		_, err := ccr.Checkpoint(context.Background(), desc, &ccr.CheckpointOptions{Options: ccr.Options{
			ImagesDir: filepath.Join(dir, "images"), Log: rec.log, LogMaxLevel: level}})
		if !errors.Is(err, ccr.ErrNotFound) {
			t.Errorf("LogMaxLevel %d: want not-found for pid %d, got %s", level, desc.Pid, describe(err))
		}
		first := fmt.Sprintf("checkpoint of container %s (pid %d)", desc.ID, desc.Pid)
		wantLine := level == 0 || level >= ccr.LogInfo
		if got := rec.find(first) != nil; got != wantLine {
			t.Errorf("LogMaxLevel %d: line %q received: %v, want %v; lines:%s", level, first, got, wantLine, &rec)
		}
		for _, l := range rec.lines {
			if l.level > ccr.LogInfo && level != ccr.LogDebug {
				t.Errorf("LogMaxLevel %d: got a %s line: %q", level, l.level, l.msg)
			}
		}
	}
}

// A panic in the log callback comes back out of Checkpoint with the same
// value, and the callback is not called again. No root needed: the first
// line comes before the missing pid is noticed.
func TestLogPanicIsRaisedAgain(t *testing.T) {
	type boom struct{ msg string }
	desc := &ccr.Container{ID: "log-panic", Pid: unusedPid(t), Bundle: t.TempDir()}
	calls := 0
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		ccr.Checkpoint(context.Background(), desc, &ccr.CheckpointOptions{Options: ccr.Options{
			ImagesDir: filepath.Join(t.TempDir(), "images"), LogMaxLevel: ccr.LogDebug,
			Log: func(_ ccr.LogLevel, msg string) {
				calls++
				panic(boom{msg})
			}}})
	}()
	b, ok := recovered.(boom)
	if !ok || !strings.HasPrefix(b.msg, "checkpoint of container log-panic") {
		t.Fatalf("recovered %#v, want boom{checkpoint of container log-panic ...}", recovered)
	}
	if calls != 1 {
		t.Errorf("the log callback was called %d times, want once", calls)
	}
}

// A real checkpoint at LogDebug gets the notifications and the outcome, on
// the thread that also runs the notify callback; a restore at LogInfo gets
// only error, warning and info lines, with the restored pid.
func TestLogCheckpointAndRestore(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
	img := images(c, "images")
	var cp logRecorder
	var notifyTids []int
	_, err := ccr.Checkpoint(context.Background(), c.description(), &ccr.CheckpointOptions{Options: ccr.Options{
		ImagesDir: img, Log: cp.log, LogMaxLevel: ccr.LogDebug,
		Notify: func(ccr.Notification) error {
			notifyTids = append(notifyTids, syscall.Gettid())
			return nil
		}}})
	if err != nil {
		t.Fatalf("checkpoint: %s", describe(err))
	}
	t.Logf("checkpoint log:%s", &cp)
	if l := cp.find(fmt.Sprintf("checkpoint of container %s (pid %d)", c.id, c.pid)); l == nil || l.level != ccr.LogInfo {
		t.Errorf("no info line announcing the checkpoint")
	}
	if l := cp.find("notification pre-dump"); l == nil || l.level != ccr.LogDebug {
		t.Errorf("no debug line %q", "notification pre-dump")
	}
	if l := cp.find("criu dump done in"); l == nil || l.level != ccr.LogInfo {
		t.Errorf("no info line %q", "criu dump done in")
	}
	if len(cp.lines) == 0 {
		t.Fatal("no log line")
	}
	levels := map[ccr.LogLevel]int{}
	tid := cp.lines[0].tid
	for _, nt := range notifyTids {
		if nt != tid {
			t.Errorf("a notification came on thread %d, the log on %d", nt, tid)
		}
	}
	for _, l := range cp.lines {
		levels[l.level]++
		if l.level < ccr.LogError || l.level > ccr.LogDebug {
			t.Errorf("line %q has level %d", l.msg, int(l.level))
		}
		if l.msg == "" || strings.ContainsAny(l.msg, "\n\x00") {
			t.Errorf("malformed line %q", l.msg)
		}
		if l.tid != tid {
			t.Errorf("line %q came on thread %d, the first line on %d", l.msg, l.tid, tid)
		}
	}
	if levels[ccr.LogError] != 0 || levels[ccr.LogWarning] != 0 {
		t.Errorf("a successful checkpoint logged errors or warnings:%s", &cp)
	}
	if len(notifyTids) == 0 {
		t.Error("no notification")
	}
	waitGone(c.pid, 5*time.Second)

	var rs logRecorder
	res, err := c.restore(&ccr.RestoreOptions{Options: ccr.Options{ImagesDir: img, Log: rs.log, LogMaxLevel: ccr.LogInfo}})
	if err != nil {
		t.Fatalf("restore: %s", describe(err))
	}
	t.Logf("restore log:%s", &rs)
	for _, l := range rs.lines {
		if l.level > ccr.LogInfo || l.level < ccr.LogError {
			t.Errorf("restore at LogInfo got a %s line: %q", l.level, l.msg)
		}
	}
	want := fmt.Sprintf("restored container %s as pid %d", c.id, res.Pid)
	if l := rs.find(want); l == nil || l.level != ccr.LogInfo {
		t.Errorf("no info line %q", want)
	}
	if got := c.ask("b"); got != "b 2" {
		t.Fatalf("after the restore: got %q, want %q", got, "b 2")
	}
}

// A panic in the log callback stops the operation as a notify callback's
// panic does: it is raised again from Checkpoint/Restore with the same
// value, the checkpointed container keeps running (thawed), the half-done
// restore is removed, and the same images restore afterwards.
func TestLogCallbackPanicAborts(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
	type boom struct{ at string }

	// Checkpoint: panic while CRIU holds the container frozen.
	var rec recorder
	afterPanic := 0
	panicked := false
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		ccr.Checkpoint(context.Background(), c.description(), &ccr.CheckpointOptions{Options: ccr.Options{
			ImagesDir: images(c, "images-panic"), Notify: rec.notify, LogMaxLevel: ccr.LogDebug,
			Log: func(_ ccr.LogLevel, msg string) {
				if panicked {
					afterPanic++
				}
				if strings.HasPrefix(msg, "notification network-lock") {
					panicked = true
					panic(boom{"network-lock"})
				}
			}}})
	}()
	if b, ok := recovered.(boom); !ok || b.at != "network-lock" {
		t.Fatalf("checkpoint: recovered %#v, want boom{network-lock}", recovered)
	}
	if afterPanic != 0 {
		t.Errorf("the log callback was called %d times after it panicked", afterPanic)
	}
	if rec.String() != "pre-dump" {
		t.Errorf("notify scripts %q, want only pre-dump (network-lock comes after the panic)", rec.String())
	}
	if !alive(c.pid) {
		t.Fatalf("container init %d died", c.pid)
	}
	if st := c.freezerState(); st != "" && st != "THAWED" {
		t.Errorf("freezer state %q, want THAWED", st)
	}
	if got := c.ask("b"); got != "b 2" {
		t.Fatalf("after the aborted checkpoint: got %q, want %q", got, "b 2")
	}

	// Restore: panic once CRIU has made the restored init.
	img := images(c, "images")
	if _, err := ccr.Checkpoint(context.Background(), c.description(),
		&ccr.CheckpointOptions{Options: ccr.Options{ImagesDir: img}}); err != nil {
		t.Fatalf("checkpoint: %s", describe(err))
	}
	waitGone(c.pid, 5*time.Second)
	pidOf := regexp.MustCompile(`^notification post-restore \(pid (\d+)\)`)
	restoredPid := 0
	recovered = nil
	p := newPipes(t)
	desc := c.description()
	desc.Stdin, desc.Stdout, desc.Stderr = p.cIn, p.cOut, p.cErr
	func() {
		defer func() { recovered = recover() }()
		res, _ := ccr.Restore(context.Background(), desc, &ccr.RestoreOptions{Options: ccr.Options{
			ImagesDir: img, LogMaxLevel: ccr.LogDebug,
			Log: func(_ ccr.LogLevel, msg string) {
				if m := pidOf.FindStringSubmatch(msg); m != nil {
					restoredPid, _ = strconv.Atoi(m[1])
					panic(boom{"post-restore"})
				}
			}}})
		if res != nil {
			c.adopted = append(c.adopted, res.Pid)
		}
	}()
	p.close()
	if b, ok := recovered.(boom); !ok || b.at != "post-restore" {
		t.Fatalf("restore: recovered %#v, want boom{post-restore}", recovered)
	}
	if restoredPid <= 0 {
		t.Fatal("no restored pid in the post-restore line")
	}
	c.adopted = append(c.adopted, restoredPid) // reaped by cleanup if ccr did not
	if !waitGone(restoredPid, 5*time.Second) {
		t.Errorf("the aborted restore's init %d still runs", restoredPid)
	}

	if _, err := c.restore(&ccr.RestoreOptions{Options: ccr.Options{ImagesDir: img}}); err != nil {
		t.Fatalf("restore after the aborted one: %s", describe(err))
	}
	if got := c.ask("c"); got != "c 3" {
		t.Fatalf("after the restore: got %q, want %q", got, "c 3")
	}
}
