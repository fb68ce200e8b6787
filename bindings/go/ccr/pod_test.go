// SPDX-License-Identifier: Apache-2.0

package ccr_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ccr-project/ccr/bindings/go/ccr"
)

// newPodContainer is newContainer with its cgroup below the pod's parent.
func newPodContainer(t *testing.T, parent string) *testContainer {
	c := newContainer(t)
	path := filepath.Join(c.bundle, "config.json")
	raw, err := os.ReadFile(path)
	must(t, err)
	var cfg map[string]any
	must(t, json.Unmarshal(raw, &cfg))
	c.cgroup = parent + "/" + c.id
	cfg["linux"].(map[string]any)["cgroupsPath"] = c.cgroup
	out, err := json.Marshal(cfg)
	must(t, err)
	must(t, os.WriteFile(path, out, 0o600))
	return c
}

// A pod of two containers through the Go binding: a leave-running pod
// checkpoint (one freeze, both go on), then one that stops the pod, and a
// pod restore from it; both counters carry on, and the notifications name
// their container.
func TestPodCheckpointAndRestore(t *testing.T) {
	requirePrerequisites(t)
	parent := fmt.Sprintf("/ccr-go-pod-%d", os.Getpid())
	t.Cleanup(func() {
		// After the containers' own clean-up (registered later, run first).
		if out, err := runFixture("clean_cgroups.py", parent); err != nil {
			t.Errorf("tests/fixture/clean_cgroups.py %s: %v: %s", parent, err, out)
		}
	})
	a, b := newPodContainer(t, parent), newPodContainer(t, parent)
	for _, c := range []*testContainer{a, b} {
		c.start()
		if got := c.ask("x"); got != "x 1" {
			t.Fatalf("%s: got %q, want %q", c.id, got, "x 1")
		}
	}
	pod := func() *ccr.Pod {
		return &ccr.Pod{ID: "go-pod", CgroupParent: parent, Containers: []*ccr.Container{a.description(), b.description()}}
	}
	ctx := context.Background()
	seen := map[string]bool{}
	opts := &ccr.CheckpointOptions{LeaveRunning: true}
	opts.Notify = func(n ccr.Notification) error {
		seen[n.Container] = true
		return nil
	}
	res, err := ccr.PodCheckpoint(ctx, pod(), filepath.Join(t.TempDir(), "running"), opts)
	if err != nil {
		t.Fatalf("leave-running pod checkpoint: %s", describe(err))
	}
	if len(res.Containers) != 2 || res.FrozenTime <= 0 {
		t.Errorf("result %+v: want 2 containers and a frozen time", res)
	}
	if !seen[a.id] || !seen[b.id] || seen[""] {
		t.Errorf("notifications came for %v, want %s and %s only", seen, a.id, b.id)
	}
	for _, c := range []*testContainer{a, b} {
		if got := c.ask("y"); got != "y 2" {
			t.Fatalf("%s after the leave-running checkpoint: got %q, want %q", c.id, got, "y 2")
		}
	}

	dir := filepath.Join(t.TempDir(), "stopped")
	olds := []int{a.pid, b.pid}
	if _, err := ccr.PodCheckpoint(ctx, pod(), dir, nil); err != nil {
		t.Fatalf("pod checkpoint: %s", describe(err))
	}
	for _, p := range olds {
		if !waitGone(p, 5*time.Second) {
			t.Fatalf("init %d still runs after the pod checkpoint", p)
		}
	}
	p := pod()
	pipesOf := map[string]*pipes{}
	for i, c := range []*testContainer{a, b} {
		io := newPipes(t)
		pipesOf[c.id] = io
		p.Containers[i].Pid = 0
		p.Containers[i].Stdin, p.Containers[i].Stdout, p.Containers[i].Stderr = io.cIn, io.cOut, io.cErr
	}
	// The pod travels as one archive, and is restored from its import.
	archive, imported := filepath.Join(t.TempDir(), "pod.tar"), filepath.Join(t.TempDir(), "imported")
	if err := ccr.ExportPodArchive(ctx, archive, dir); err != nil {
		t.Fatalf("pod archive export: %s", describe(err))
	}
	if err := ccr.ImportPodArchive(ctx, archive, imported, nil); err != nil {
		t.Fatalf("pod archive import: %s", describe(err))
	}
	res, err = ccr.PodRestore(ctx, p, imported, nil)
	if err != nil {
		t.Fatalf("pod restore: %s", describe(err))
	}
	for _, r := range res.Containers {
		for _, c := range []*testContainer{a, b} {
			if c.id != r.ID {
				continue
			}
			c.adopted = append(c.adopted, r.Pid)
			c.pid = r.Pid
			pipesOf[c.id].closeContainerSide()
			c.io.close()
			c.io = pipesOf[c.id]
		}
	}
	for _, c := range []*testContainer{a, b} {
		if got := c.ask("z"); got != "z 3" {
			t.Fatalf("%s after the pod restore: got %q, want %q", c.id, got, "z 3")
		}
	}
}
