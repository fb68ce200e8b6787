// SPDX-License-Identifier: Apache-2.0

package ccr_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
)

// recorder is a NotifyFunc that records scripts and pids, and may act on
// one script.
type recorder struct {
	scripts []string
	pids    []int
	on      func(script string) error
}

func (r *recorder) notify(n ccr.Notification) error {
	r.scripts = append(r.scripts, n.Script)
	r.pids = append(r.pids, n.Pid)
	if r.on != nil {
		return r.on(n.Script)
	}
	return nil
}

func (r *recorder) String() string { return strings.Join(r.scripts, ",") }

func images(c *testContainer, name string) string { return filepath.Join(c.dir, name) }

// A container checkpointed and restored with fresh pipes carries on
// counting, twice over.
func TestCheckpointRestoreCarriesOn(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("before the checkpoint: got %q, want %q", got, "a 1")
	}
	ctx := context.Background()
	for round, want := range []string{"b 2", "c 3"} {
		old := c.pid
		img := images(c, "images-"+strconv.Itoa(round))
		res, err := ccr.Checkpoint(ctx, c.description(), &ccr.CheckpointOptions{Options: ccr.Options{ImagesDir: img}})
		if err != nil {
			t.Fatalf("checkpoint %d: %s", round, describe(err))
		}
		if res == nil || res.Pid != 0 {
			t.Errorf("checkpoint result %+v, want pid 0", res)
		}
		if !waitGone(old, 5*time.Second) {
			t.Fatalf("init %d still runs after the checkpoint", old)
		}
		for _, f := range []string{"descriptors.json", "inventory.img"} {
			if _, err := os.Stat(filepath.Join(img, f)); err != nil {
				t.Errorf("images: %v", err)
			}
		}
		res, err = c.restore(&ccr.RestoreOptions{Options: ccr.Options{ImagesDir: img}})
		if err != nil {
			t.Fatalf("restore %d: %s", round, describe(err))
		}
		if res.Pid <= 0 || !alive(res.Pid) {
			t.Fatalf("restored pid %d is not alive", res.Pid)
		}
		if got := c.ask(want[:1]); got != want {
			t.Fatalf("after restore %d: got %q, want %q", round, got, want)
		}
	}
	if got := c.ask("d"); got != "d 4" {
		t.Fatalf("got %q, want %q", got, "d 4")
	}
}

// Every notify script reaches the callback, in CRIU 4.1.1's order.
func TestNotifyScripts(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
	img := images(c, "images")
	var dump recorder
	_, err := ccr.Checkpoint(context.Background(), c.description(),
		&ccr.CheckpointOptions{Options: ccr.Options{ImagesDir: img, Notify: dump.notify}})
	if err != nil {
		t.Fatalf("checkpoint: %s", describe(err))
	}
	if want := "pre-dump,network-lock,query-ext-files,post-dump"; dump.String() != want {
		t.Errorf("dump scripts %q, want %q", dump.String(), want)
	}

	var rst recorder
	res, err := c.restore(&ccr.RestoreOptions{Options: ccr.Options{ImagesDir: img, Notify: rst.notify}})
	if err != nil {
		t.Fatalf("restore: %s", describe(err))
	}
	want := "pre-restore,setup-namespaces,post-setup-namespaces,post-restore,network-unlock,pre-resume,post-resume"
	if rst.String() != want {
		t.Errorf("restore scripts %q, want %q", rst.String(), want)
	}
	for i, s := range rst.scripts {
		if (s == "setup-namespaces" || s == "post-restore") && rst.pids[i] != res.Pid {
			t.Errorf("%s carried pid %d, want the restored init %d", s, rst.pids[i], res.Pid)
		}
	}
	if got := c.ask("b"); got != "b 2" {
		t.Fatalf("after the restore: got %q, want %q", got, "b 2")
	}
}

// A callback's error aborts the checkpoint, comes back as the call's error
// (errors.Is finds it and ErrCallback), and the container keeps running.
func TestCallbackErrorAbortsCheckpoint(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
	n := 1
	for _, stopAt := range []string{"pre-dump", "post-dump"} {
		t.Run(stopAt, func(t *testing.T) {
			errStop := errors.New("test says stop at " + stopAt)
			rec := recorder{on: func(s string) error {
				if s == stopAt {
					return errStop
				}
				return nil
			}}
			_, err := ccr.Checkpoint(context.Background(), c.description(), &ccr.CheckpointOptions{
				Options: ccr.Options{ImagesDir: images(c, "images-"+stopAt), Notify: rec.notify}})
			if err == nil {
				t.Fatal("checkpoint succeeded although the callback failed")
			}
			if !errors.Is(err, errStop) {
				t.Errorf("errors.Is(err, callback's error) is false: %s", describe(err))
			}
			if !errors.Is(err, ccr.ErrCallback) {
				t.Errorf("errors.Is(err, ErrCallback) is false: %s", describe(err))
			}
			if errors.Is(err, ccr.ErrCriuFailed) {
				t.Errorf("errors.Is(err, ErrCriuFailed) is true: %s", describe(err))
			}
			var e *ccr.Error
			if !errors.As(err, &e) || e.Code != ccr.CodeCallback || e.Err != errStop {
				t.Errorf("want *ccr.Error with CodeCallback and Err = the callback's error: %s", describe(err))
			}
			if !strings.Contains(err.Error(), errStop.Error()) {
				t.Errorf("message %q does not name the callback's error", err.Error())
			}
			if last := rec.scripts[len(rec.scripts)-1]; last != stopAt {
				t.Errorf("scripts %q go on after %s", rec.String(), stopAt)
			}
			if !alive(c.pid) {
				t.Fatalf("container init %d died", c.pid)
			}
			if st := c.freezerState(); st != "" && st != "THAWED" {
				t.Errorf("freezer state %q, want THAWED", st)
			}
			n++
			if got, want := c.ask("q"), "q "+strconv.Itoa(n); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

// A panic in a callback is raised again from Checkpoint with the same
// value, after the container was left running.
func TestCallbackPanicIsRaisedAgain(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
	type boom struct{ at string }
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		ccr.Checkpoint(context.Background(), c.description(), &ccr.CheckpointOptions{Options: ccr.Options{
			ImagesDir: images(c, "images"),
			Notify: func(n ccr.Notification) error {
				if n.Script == "network-lock" {
					panic(boom{n.Script})
				}
				return nil
			}}})
	}()
	if b, ok := recovered.(boom); !ok || b.at != "network-lock" {
		t.Fatalf("recovered %#v, want boom{network-lock}", recovered)
	}
	if st := c.freezerState(); st != "" && st != "THAWED" {
		t.Errorf("freezer state %q, want THAWED", st)
	}
	if got := c.ask("b"); got != "b 2" {
		t.Fatalf("got %q, want %q", got, "b 2")
	}
}

func wantCanceled(t *testing.T, err, ctxErr error) {
	t.Helper()
	if err == nil {
		t.Fatal("the operation succeeded although its context ended")
	}
	if !errors.Is(err, ctxErr) {
		t.Errorf("errors.Is(err, %v) is false: %s", ctxErr, describe(err))
	}
	if !errors.Is(err, ccr.ErrCanceled) {
		t.Errorf("errors.Is(err, ErrCanceled) is false: %s", describe(err))
	}
}

// Canceling the context during a checkpoint stops it with a canceled error;
// the container keeps running.
func TestContextCancelDuringCheckpoint(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
	n := 1
	next := func() string { n++; return strconv.Itoa(n) }

	t.Run("cancel-in-callback", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rec := recorder{on: func(s string) error {
			if s == "pre-dump" {
				cancel()
			}
			return nil
		}}
		_, err := ccr.Checkpoint(ctx, c.description(), &ccr.CheckpointOptions{
			Options: ccr.Options{ImagesDir: images(c, "images-cancel"), Notify: rec.notify}})
		wantCanceled(t, err, context.Canceled)
		if rec.String() != "pre-dump" {
			t.Errorf("scripts %q after canceling at pre-dump", rec.String())
		}
		if st := c.freezerState(); st != "" && st != "THAWED" {
			t.Errorf("freezer state %q, want THAWED", st)
		}
		if want := "x " + next(); c.ask("x") != want {
			t.Fatalf("container does not answer %q", want)
		}
	})

	// The deadline passes while a callback holds CRIU at network-lock (the
	// container frozen): the watcher goroutine cancels from another thread.
	t.Run("deadline-while-frozen", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		rec := recorder{on: func(s string) error {
			if s == "network-lock" {
				<-ctx.Done()
				time.Sleep(100 * time.Millisecond) // let the watcher's cancel land first
			}
			return nil
		}}
		_, err := ccr.Checkpoint(ctx, c.description(), &ccr.CheckpointOptions{
			Options: ccr.Options{ImagesDir: images(c, "images-deadline"), Notify: rec.notify}})
		wantCanceled(t, err, context.DeadlineExceeded)
		if st := c.freezerState(); st != "" && st != "THAWED" {
			t.Errorf("freezer state %q, want THAWED", st)
		}
		if want := "y " + next(); c.ask("y") != want {
			t.Fatalf("container does not answer %q", want)
		}
	})

	t.Run("already-canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := ccr.Checkpoint(ctx, c.description(), &ccr.CheckpointOptions{
			Options: ccr.Options{ImagesDir: images(c, "images-early")}})
		wantCanceled(t, err, context.Canceled)
		if want := "z " + next(); c.ask("z") != want {
			t.Fatalf("container does not answer %q", want)
		}
	})
}

// A restore canceled half-way leaves nothing behind: a second restore from
// the same images works and the counter carries on.
func TestContextCancelDuringRestore(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
	img := images(c, "images")
	if _, err := ccr.Checkpoint(context.Background(), c.description(),
		&ccr.CheckpointOptions{Options: ccr.Options{ImagesDir: img}}); err != nil {
		t.Fatalf("checkpoint: %s", describe(err))
	}
	waitGone(c.pid, 5*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var restoredPid int
	rec := recorder{on: func(s string) error {
		if s == "post-restore" {
			cancel()
		}
		return nil
	}}
	p := newPipes(t)
	desc := c.description()
	desc.Stdin, desc.Stdout, desc.Stderr = p.cIn, p.cOut, p.cErr
	res, err := ccr.Restore(ctx, desc, &ccr.RestoreOptions{Options: ccr.Options{ImagesDir: img, Notify: func(n ccr.Notification) error {
		if n.Script == "post-restore" {
			restoredPid = n.Pid
		}
		return rec.notify(n)
	}}})
	p.close()
	if res != nil {
		c.adopted = append(c.adopted, res.Pid)
	}
	wantCanceled(t, err, context.Canceled)
	if restoredPid > 0 {
		c.adopted = append(c.adopted, restoredPid) // reaped by cleanup if ccr did not
		if !waitGone(restoredPid, 5*time.Second) {
			t.Errorf("the canceled restore's init %d still runs", restoredPid)
		}
	}

	if _, err := c.restore(&ccr.RestoreOptions{Options: ccr.Options{ImagesDir: img}}); err != nil {
		t.Fatalf("second restore: %s", describe(err))
	}
	if got := c.ask("b"); got != "b 2" {
		t.Fatalf("got %q, want %q", got, "b 2")
	}
}

// A pid that does not exist is ErrNotFound, and the message names it.
func TestCheckpointOfMissingPid(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	ghost := unusedPid(t)
	desc := c.description()
	desc.Pid = ghost
	_, err := ccr.Checkpoint(context.Background(), desc, &ccr.CheckpointOptions{Options: ccr.Options{ImagesDir: images(c, "images")}})
	if !errors.Is(err, ccr.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %s", describe(err))
	}
	if !strings.Contains(err.Error(), strconv.Itoa(ghost)) {
		t.Errorf("message %q does not name pid %d", err.Error(), ghost)
	}
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
}

// A CRIU binary that does not exist, and a bad option, are errors with
// their codes, before anything runs.
func TestSetupErrors(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	_, err := ccr.Checkpoint(context.Background(), c.description(), &ccr.CheckpointOptions{Options: ccr.Options{
		ImagesDir: images(c, "images"), CriuPath: "/nonexistent/criu"}})
	if !errors.Is(err, ccr.ErrCriuStart) && !errors.Is(err, ccr.ErrNotFound) {
		t.Errorf("missing criu: want ErrCriuStart or ErrNotFound, got %s", describe(err))
	}
	_, err = ccr.Checkpoint(context.Background(), &ccr.Container{ID: "bad id/"}, &ccr.CheckpointOptions{})
	if !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("bad id: want ErrInvalidArgument, got %s", describe(err))
	}
	_, err = ccr.Checkpoint(context.Background(), c.description(), &ccr.CheckpointOptions{Options: ccr.Options{
		ImagesDir: images(c, "images"), LogFile: "a/b"}})
	if !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("log file with a slash: want ErrInvalidArgument, got %s", describe(err))
	}
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
}

func TestCriuQueries(t *testing.T) {
	requirePrerequisites(t)
	v, err := ccr.CriuVersion(context.Background(), "")
	if err != nil {
		t.Fatalf("CriuVersion: %s", describe(err))
	}
	if v < 40100 {
		t.Errorf("criu version %d < 40100", v)
	}
	f, err := ccr.CriuFeatures(context.Background(), "")
	if err != nil {
		t.Fatalf("CriuFeatures: %s", describe(err))
	}
	t.Logf("criu %d, features %v; libccr %s (header %d)", v, f, ccr.LibraryVersionString(), ccr.HeaderVersion)
	if _, err := ccr.CriuVersion(context.Background(), "/nonexistent/criu"); err == nil {
		t.Error("CriuVersion of a missing binary succeeded")
	}
}

// A checkpoint's and a restore's statistics, and ReadStats on the images
// directory afterwards.
func TestStats(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
	img := images(c, "images")
	res, err := ccr.Checkpoint(context.Background(), c.description(),
		&ccr.CheckpointOptions{Options: ccr.Options{ImagesDir: img}})
	if err != nil {
		t.Fatalf("checkpoint: %s", describe(err))
	}
	dump := res.Stats
	t.Logf("checkpoint stats: %v", dump)
	if dump[ccr.StatPagesWritten] == 0 || dump[ccr.StatFrozenTimeUs] == 0 {
		t.Errorf("checkpoint: want pages_written and frozen_time_us > 0, got %v", dump)
	}
	wall, okWall := dump[ccr.StatWallTimeUs]
	criu, okCriu := dump[ccr.StatCriuTimeUs]
	if !okWall || !okCriu || criu == 0 || wall < criu {
		t.Errorf("checkpoint: want wall >= criu > 0, got %v", dump)
	}
	if out := dump[ccr.StatOutsideCriuTimeUs]; out != wall-criu {
		t.Errorf("outside_criu_time_us %d, want %d", out, wall-criu)
	}
	if _, ok := dump[ccr.StatRestoreTimeUs]; ok {
		t.Errorf("a checkpoint reports restore_time_us: %v", dump)
	}

	onDisk, err := ccr.ReadStats(img)
	if err != nil {
		t.Fatalf("ReadStats: %s", describe(err))
	}
	for _, s := range ccr.AllStats {
		v, ok := dump[s]
		if s == ccr.StatWallTimeUs || s == ccr.StatCriuTimeUs || s == ccr.StatOutsideCriuTimeUs {
			v, ok = 0, false // ccr's clock is not stored
		}
		if w, has := onDisk[s]; has != ok || w != v {
			t.Errorf("ReadStats %s = %d (%v), the checkpoint said %d (%v)", s, w, has, v, ok)
		}
	}

	res, err = c.restore(&ccr.RestoreOptions{Options: ccr.Options{ImagesDir: img}})
	if err != nil {
		t.Fatalf("restore: %s", describe(err))
	}
	t.Logf("restore stats: %v", res.Stats)
	if res.Stats[ccr.StatRestoreTimeUs] == 0 {
		t.Errorf("restore: want restore_time_us > 0, got %v", res.Stats)
	}
	if res.Stats[ccr.StatWallTimeUs] < res.Stats[ccr.StatCriuTimeUs] || res.Stats[ccr.StatCriuTimeUs] == 0 {
		t.Errorf("restore: want wall >= criu > 0, got %v", res.Stats)
	}
	if got := c.ask("b"); got != "b 2" {
		t.Fatalf("after the restore: got %q, want %q", got, "b 2")
	}
	both, err := ccr.ReadStats(img)
	if err != nil {
		t.Fatalf("ReadStats after the restore: %s", describe(err))
	}
	if both[ccr.StatPagesWritten] != dump[ccr.StatPagesWritten] ||
		both[ccr.StatRestoreTimeUs] != res.Stats[ccr.StatRestoreTimeUs] {
		t.Errorf("ReadStats after the restore: %v", both)
	}
}

// An archive exported after a checkpoint imports into a fresh directory,
// and the container restored from it with its own bundle carries on.
func TestArchiveExportImportRestore(t *testing.T) {
	requirePrerequisites(t)
	c := newContainer(t)
	c.start()
	if got := c.ask("a"); got != "a 1" {
		t.Fatalf("got %q", got)
	}
	ctx := context.Background()
	cp := &ccr.CheckpointOptions{Options: ccr.Options{ImagesDir: images(c, "images")}}
	if _, err := ccr.Checkpoint(ctx, c.description(), cp); err != nil {
		t.Fatalf("checkpoint: %s", describe(err))
	}
	archive := filepath.Join(c.dir, "checkpoint.tar")
	created := time.Date(2026, 1, 2, 3, 4, 5, 500, time.UTC)
	meta := &ccr.ArchiveMetadata{ContainerName: "web", ImageName: "docker.io/library/busybox:1.36",
		ImageRef: "docker.io/library/busybox@sha256:0123", Created: created}
	if err := ccr.ExportArchiveWithMetadata(ctx, archive, c.description(), cp, "", meta); err != nil {
		t.Fatalf("export: %s", describe(err))
	}
	if fi, err := os.Stat(archive); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("archive: %v %v, want mode 0600", fi, err)
	}
	dest := filepath.Join(c.dir, "imported")
	if err := ccr.ImportArchive(archive, dest); err != nil {
		t.Fatalf("import: %s", describe(err))
	}
	for _, f := range []string{"checkpoint/inventory.img", "checkpoint/descriptors.json", "config.dump", "spec.dump",
		"status.dump", "status", "stats-dump"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("imported: %v", err)
		}
	}
	var config struct {
		Name            string    `json:"name"`
		RootfsImageName string    `json:"rootfsImageName"`
		RootfsImageRef  string    `json:"rootfsImageRef"`
		CreatedTime     time.Time `json:"createdTime"`
	}
	if data, err := os.ReadFile(filepath.Join(dest, "config.dump")); err != nil || json.Unmarshal(data, &config) != nil {
		t.Errorf("config.dump: %v %s", err, data)
	} else if config.Name != "web" || config.RootfsImageName != meta.ImageName || config.RootfsImageRef != meta.ImageRef ||
		!config.CreatedTime.Equal(created) {
		t.Errorf("config.dump %+v does not hold %+v", config, meta)
	}
	bad := &ccr.ArchiveMetadata{Engine: "podman"}
	if err := ccr.ExportArchiveWithMetadata(ctx, archive, c.description(), cp, "", bad); !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("export for engine podman: %s, want invalid-argument", describe(err))
	}
	if err := ccr.ImportArchive(archive, dest); !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("import into an existing dir: %s, want invalid-argument", describe(err))
	}
	if st, err := ccr.ReadStats(dest); err != nil || st[ccr.StatPagesWritten] == 0 {
		t.Errorf("ReadStats of the imported archive: %v %s", st, describe(err))
	}
	res, err := c.restore(&ccr.RestoreOptions{Options: ccr.Options{ImagesDir: filepath.Join(dest, "checkpoint")}})
	if err != nil {
		t.Fatalf("restore from the archive: %s", describe(err))
	}
	if !alive(res.Pid) {
		t.Fatalf("restored pid %d is not alive", res.Pid)
	}
	if got := c.ask("b"); got != "b 2" {
		t.Fatalf("after the restore: got %q, want %q", got, "b 2")
	}
}
