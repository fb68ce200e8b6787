// SPDX-License-Identifier: Apache-2.0

package main

// Image interop with runc, both directions: images ccr-runc writes restore
// with `runc restore`, images `runc checkpoint` writes restore with ccr, and
// the two tools write the same descriptors.json, the same set of image
// files and the same mount table (external mount keys included) for the
// same container.

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
)

func (c *runcContainer) ccrRunc(t *testing.T, env []string, args ...string) string {
	t.Helper()
	full := append([]string{"--root", c.runcRoot}, args...)
	return mustRun(t, env, ccrRuncBinary(t), full...)
}

func (c *runcContainer) wantAnswer(question, want string) {
	c.t.Helper()
	if got := c.ask(question); got != want {
		c.t.Fatalf("container answered %q to %q, want %q", got, question, want)
	}
}

func (c *runcContainer) wantStatus(want string) {
	c.t.Helper()
	if got := c.runcStatus(); got != want {
		c.t.Fatalf("runc state %s: status %q, want %q", c.id, got, want)
	}
}

func (c *runcContainer) wantCount(want string) {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dataDir, "count"))
	if err != nil || strings.TrimSpace(string(b)) != want {
		c.t.Fatalf("/data/count is %q (%v), want %q", b, err, want)
	}
}

// Checkpoints by ccr-runc restore with runc (1.1.5 and 1.5.3): plain, after `runc pause`
// (containerd pauses before it checkpoints), and --leave-running keeps the
// container running (or paused). runc's view stays consistent throughout.
func TestCcrImagesRestoreWithRunc(t *testing.T) {
	require(t)
	for _, gen := range runcGenerations(t) {
		t.Run(gen.name, func(t *testing.T) { ccrImagesRestoreWithRunc(t, gen.path) })
	}
}

func ccrImagesRestoreWithRunc(t *testing.T, runc string) {
	c := newRuncContainerWith(t, runc)
	c.runcDetached("run", "-d", "--bundle", c.bundle, c.id)
	c.wantAnswer("a", "a 1")

	var state struct {
		External []string `json:"external_descriptors"`
	}
	raw, err := os.ReadFile(filepath.Join(c.runcRoot, c.id, "state.json"))
	must(t, err)
	must(t, json.Unmarshal(raw, &state))

	marker := filepath.Join(c.dir, "ccr-runc.log")
	env := []string{"CCR_RUNC_LOG=" + marker}
	img, work, logFile := filepath.Join(c.dir, "images-1"), filepath.Join(c.dir, "work-1"), filepath.Join(c.dir, "log.json")
	old := c.pid
	out := mustRun(t, env, ccrRuncBinary(t), "--root", c.runcRoot, "--log", logFile, "--log-format", "json",
		"checkpoint", "--image-path", img, "--work-path", work, c.id)
	if out != "" {
		t.Errorf("checkpoint printed %q; runc prints nothing", out)
	}
	if !waitFor(5*time.Second, func() bool { return !alive(old) }) {
		t.Fatalf("init %d still runs after the checkpoint", old)
	}
	c.wantStatus("stopped")

	// It went through ccr: ccr-runc's trace, an info entry in runc's JSON
	// log, CRIU's log and statistics in the work directory.
	if b, _ := os.ReadFile(marker); !strings.Contains(string(b), "checkpoint of "+c.id) || !strings.Contains(string(b), "by ccr") {
		t.Errorf("CCR_RUNC_LOG: %q", b)
	}
	logged, err := os.ReadFile(logFile)
	must(t, err)
	var entry struct{ Level, Msg, Time string }
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(logged))), &entry); err != nil ||
		entry.Level != "info" || !strings.Contains(entry.Msg, "by ccr") || entry.Time == "" {
		t.Errorf("runc log %q: %+v %v", logged, entry, err)
	}
	// ccr's default network lock, recorded for the restoring CRIU.
	if got, want := recordedNetworkLock(t, img), expectedDefaultLock(t); got != want {
		t.Errorf("inventory.img records network lock %d, want %d (ccr's default here)", got, want)
	}
	for _, f := range []string{"dump.log", "stats-dump"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Errorf("work directory: %v", err)
		}
	}
	// descriptors.json is what runc writes: the init's stdio as recorded
	// in runc's state.
	if got := readJSONStrings(t, filepath.Join(img, "descriptors.json")); strings.Join(got, " ") != strings.Join(state.External, " ") {
		t.Errorf("descriptors.json %q, runc's external_descriptors %q", got, state.External)
	}

	mustRun(t, nil, c.runc, "--root", c.runcRoot, "delete", c.id)
	c.wantStatus("")
	c.runcDetached("restore", "-d", "--image-path", img, "--work-path", filepath.Join(c.dir, "restore-1"),
		"--bundle", c.bundle, c.id)
	c.wantStatus("running")
	c.wantAnswer("b", "b 2")
	c.wantCount("2")

	t.Run("paused-then-checkpointed", func(t *testing.T) {
		mustRun(t, nil, c.runc, "--root", c.runcRoot, "pause", c.id)
		c.wantStatus("paused")
		img := filepath.Join(c.dir, "images-2")
		c.ccrRunc(t, env, "checkpoint", "--image-path", img, c.id)
		c.wantStatus("stopped") // not "paused": the empty freezer was thawed
		mustRun(t, nil, c.runc, "--root", c.runcRoot, "delete", c.id)
		c.runcDetached("restore", "-d", "--image-path", img, "--bundle", c.bundle, c.id)
		c.wantAnswer("c", "c 3")
	})

	t.Run("leave-running", func(t *testing.T) {
		c.ccrRunc(t, env, "checkpoint", "--leave-running", "--image-path", filepath.Join(c.dir, "images-3"), c.id)
		c.wantStatus("running")
		c.wantAnswer("d", "d 4")
		// A paused container stays paused.
		mustRun(t, nil, c.runc, "--root", c.runcRoot, "pause", c.id)
		c.ccrRunc(t, env, "checkpoint", "--leave-running", "--image-path", filepath.Join(c.dir, "images-4"), c.id)
		c.wantStatus("paused")
		mustRun(t, nil, c.runc, "--root", c.runcRoot, "resume", c.id)
		c.wantAnswer("e", "e 5")
		c.wantCount("5")
	})

	t.Run("refusals", func(t *testing.T) {
		// Unknown flags are errors and leave the container alone.
		out, err := run(t, env, ccrRuncBinary(t), "--root", c.runcRoot, "checkpoint", "--image-path",
			filepath.Join(c.dir, "images-x"), "--no-such-flag", c.id)
		if err == nil || !strings.Contains(out, "no-such-flag") {
			t.Errorf("unknown flag: %v: %s", err, out)
		}
		out, err = run(t, env, ccrRuncBinary(t), "--root", c.runcRoot, "checkpoint", "no-such-container")
		if err == nil || !strings.Contains(out, "does not exist") {
			t.Errorf("unknown container: %v: %s", err, out)
		}
		c.wantStatus("running")
		c.wantAnswer("f", "f 6")
	})
}

// Images written by `runc checkpoint` (1.1.5 and 1.5.3) restore with ccr (pipes handed back
// through descriptors.json, the bind mount through runc's mount keys).
func TestRuncImagesRestoreWithCcr(t *testing.T) {
	require(t)
	for _, gen := range runcGenerations(t) {
		t.Run(gen.name, func(t *testing.T) { runcImagesRestoreWithCcr(t, gen.path) })
	}
}

func runcImagesRestoreWithCcr(t *testing.T, runc string) {
	c := newRuncContainerWith(t, runc)
	c.runcDetached("run", "-d", "--bundle", c.bundle, c.id)
	c.wantAnswer("a", "a 1")
	img := filepath.Join(c.dir, "images")
	old := c.pid
	mustRun(t, nil, c.runc, "--root", c.runcRoot, "checkpoint", "--image-path", img, c.id)
	if !waitFor(5*time.Second, func() bool { return !alive(old) }) {
		t.Fatalf("init %d still runs after runc checkpoint", old)
	}
	c.wantStatus("") // runc destroys a checkpointed container

	cIn, cOut, cErr := c.pipes()
	res, err := ccr.Restore(context.Background(), &ccr.Container{
		ID: c.id, Bundle: c.bundle, Stdin: cIn, Stdout: cOut, Stderr: cErr,
	}, &ccr.RestoreOptions{Options: ccr.Options{ImagesDir: img, WorkDir: filepath.Join(c.dir, "restore-work")}})
	cIn.Close()
	cOut.Close()
	cErr.Close()
	if err != nil {
		t.Fatalf("ccr restore of runc's images: %v", describe(err))
	}
	c.adopted = append(c.adopted, res.Pid)
	c.pid = res.Pid
	c.wantAnswer("b", "b 2")
	c.wantCount("2")
}

// For the same running container, runc (1.1.5 and 1.5.3) and ccr-runc write the same image
// files, the same descriptors.json and the same mount table: the strings
// of CRIU's mountpoints image (mountpoints, roots, sources, external keys)
// are identical.
func TestSameImagesAsRunc(t *testing.T) {
	require(t)
	for _, gen := range runcGenerations(t) {
		t.Run(gen.name, func(t *testing.T) { sameImagesAsRunc(t, gen.path) })
	}
}

func sameImagesAsRunc(t *testing.T, runc string) {
	c := newRuncContainerWith(t, runc)
	c.runcDetached("run", "-d", "--bundle", c.bundle, c.id)
	c.wantAnswer("a", "a 1")
	byRunc, byCcr := filepath.Join(c.dir, "runc-images"), filepath.Join(c.dir, "ccr-images")
	mustRun(t, nil, c.runc, "--root", c.runcRoot, "checkpoint", "--leave-running", "--image-path", byRunc, c.id)
	c.ccrRunc(t, nil, "checkpoint", "--leave-running", "--image-path", byCcr, c.id)
	c.wantAnswer("b", "b 2")

	if r, g := readJSONStrings(t, filepath.Join(byRunc, "descriptors.json")),
		readJSONStrings(t, filepath.Join(byCcr, "descriptors.json")); strings.Join(r, " ") != strings.Join(g, " ") {
		t.Errorf("descriptors.json: runc %q, ccr %q", r, g)
	}
	if r, g := imageFiles(t, byRunc), imageFiles(t, byCcr); strings.Join(r, " ") != strings.Join(g, " ") {
		t.Errorf("image files differ:\nrunc %q\n ccr %q", r, g)
	}
	r, g := mountStrings(t, byRunc), mountStrings(t, byCcr)
	if strings.Join(r, "\n") != strings.Join(g, "\n") {
		t.Errorf("mountpoints images differ:\nrunc %q\n ccr %q", r, g)
	}
	t.Logf("%d image files and %d mountpoints strings alike", len(imageFiles(t, byCcr)), len(g))
	if !contains(r, "/data") {
		t.Errorf("the bind mount /data is not in the mountpoints image: %q", r)
	}
}

// imageFiles lists an images directory's *.img files and descriptors.json.
func imageFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	must(t, err)
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".img") || e.Name() == "descriptors.json" {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

var pathString = regexp.MustCompile(`/[[:graph:]]*`)

// mountStrings is the sorted set of path-like strings (mountpoints, roots,
// sources, external keys) in the mountpoints images of dir.
func mountStrings(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "mountpoints-*.img"))
	if len(files) == 0 {
		t.Fatalf("no mountpoints image in %s", dir)
	}
	set := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		for _, s := range pathString.FindAll(b, -1) {
			set[string(s)] = true
		}
	}
	var out []string
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

func describe(err error) string {
	if e, ok := err.(*ccr.Error); ok {
		return e.Error() + "\n" + e.LogExcerpt
	}
	return err.Error()
}
