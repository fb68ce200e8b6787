// SPDX-License-Identifier: Apache-2.0

package main

// The Kubernetes checkpoint path: containerd 2.4.2's CRI with a runtime
// handler whose binary is ccr-runc (in front of runc 1.5.3), a host-network
// pod whose sandbox image is built here, and `crictl checkpoint --export`,
// the CRI call (CheckpointContainer) the kubelet's checkpoint API makes. The
// archive is read by checkpointctl, unpacked by `ccr import`, and restored
// by ccr (ccr-runc restore), carrying on.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	criNamespace = "k8s.io"
	pauseRef     = "localhost/ccr-runc-test/pause:1"
	criHandler   = "ccr"
	// crictlPath is crictl 1.37.0 as scripts/bootstrap.sh builds it.
	crictlPath = "/usr/local/libexec/ccr-test/crictl-1.37.0/crictl"
)

// criConfig is the CRI part of containerd 2.x's config.toml: the README's
// runtime handler block as written (ccr-runc's path and a private runc
// root put in), then what a test machine adds: the locally built sandbox
// image and the native snapshotter.
func criConfig(t *testing.T, ccrRunc, runcRoot string) string {
	t.Helper()
	block := readmeTOML(t, "../../../../README.md", "version = 3")
	const bin = `BinaryName = "/usr/local/bin/ccr-runc"`
	if !strings.Contains(block, bin) || !strings.Contains(block, "containerd.runtimes."+criHandler+".options]") {
		t.Fatalf("the README's containerd 2.x block has no %s handler with %s:\n%s", criHandler, bin, block)
	}
	block = strings.Replace(block, "version = 3\n", "", 1) // the test's config has its own
	block = strings.Replace(block, bin, fmt.Sprintf("BinaryName = %q\n      Root = %q", ccrRunc, runcRoot), 1)
	return "\n" + block + fmt.Sprintf(`
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "native"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = %q
`, pauseRef)
}

// readmeTOML is the first ```toml block of the README at path that
// contains marker.
func readmeTOML(t *testing.T, path, marker string) string {
	t.Helper()
	readme, err := os.ReadFile(path)
	must(t, err)
	rest := string(readme)
	for {
		i := strings.Index(rest, "```toml\n")
		if i < 0 {
			t.Fatalf("%s has no ```toml block with %q", path, marker)
		}
		rest = rest[i+len("```toml\n"):]
		block := rest[:strings.Index(rest, "```")]
		if strings.Contains(block, marker) {
			return block
		}
	}
}

// crictl runs crictl against d's CRI socket.
func (d *containerd) crictl(args ...string) (string, error) {
	ep := "unix://" + d.sock
	full := append([]string{"--config", filepath.Join(d.dir, "crictl.yaml"), "--runtime-endpoint", ep,
		"--image-endpoint", ep, "--timeout", "60s"}, args...)
	return run(d.t, nil, crictlPath, full...)
}

func (d *containerd) mustCrictl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := d.crictl(args...)
	if err != nil {
		t.Fatalf("crictl %s: %v\n%s\ncontainerd's log:\n%s", strings.Join(args, " "), err, out, d.logTail())
	}
	return strings.TrimSpace(out)
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	must(t, err)
	must(t, os.WriteFile(path, b, 0o600))
}

// startCRI starts containerd 2.4.2 with the CRI plugin, imports the busybox
// and sandbox images into CRI's namespace, and runs a host-network pod
// (no CNI needed) under the tests' cgroup parent. It returns the pod's id
// and its config file.
func startCRI(t *testing.T) (*containerd, string, string) {
	t.Helper()
	require(t, filepath.Join(containerd2Dir, "containerd"), filepath.Join(containerd2Dir, "ctr"),
		filepath.Join(containerd2Dir, "containerd-shim-runc-v2"), newRuncPath(), crictlPath, "checkpointctl")
	setup := containerd2()
	dir := t.TempDir()
	setup.cri = criConfig(t, ccrRuncBinary(t), filepath.Join(dir, "runc"))
	d := startContainerdWith(t, setup)
	must(t, os.WriteFile(filepath.Join(d.dir, "crictl.yaml"), nil, 0o600))
	t.Cleanup(func() {
		// Before containerd stops (cleanups run last-registered first).
		d.crictl("rmp", "--force", "--all")
	})
	d.importImage(criNamespace, imageRef, nil, []string{"sh"})
	// A pause-like sandbox: busybox's shell sleeping, leaving on SIGTERM.
	d.importImage(criNamespace, pauseRef, []string{"/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 1 & wait $!; done"}, nil)

	podConfig := filepath.Join(d.dir, "pod.json")
	writeJSON(t, podConfig, map[string]any{
		"metadata": map[string]any{"name": "ccr-pod", "namespace": "default", "uid": "ccr-pod-uid", "attempt": 0},
		"linux": map[string]any{
			"cgroup_parent":    "/" + cgroupParent + "/cri",
			"security_context": map[string]any{"namespace_options": map[string]any{"network": 2}}, // NODE
		},
	})
	pod := d.mustCrictl(t, "runp", "--runtime", criHandler, podConfig)
	return d, pod, podConfig
}

// createCRIContainer creates and starts a busybox container in the pod
// running args, with dataDir bind-mounted at /data.
func (d *containerd) createCRIContainer(t *testing.T, pod, podConfig, name, dataDir string, args []string) string {
	t.Helper()
	cfg := filepath.Join(d.dir, name+".json")
	writeJSON(t, cfg, map[string]any{
		"metadata": map[string]any{"name": name},
		"image":    map[string]any{"image": imageRef},
		"command":  args,
		"mounts":   []any{map[string]any{"container_path": "/data", "host_path": dataDir}},
		"linux":    map[string]any{},
	})
	id := d.mustCrictl(t, "create", pod, cfg, podConfig)
	d.mustCrictl(t, "start", id)
	return id
}

func (d *containerd) criState(id string) string {
	out, err := d.crictl("inspect", "-o", "json", id)
	if err != nil {
		return ""
	}
	var st struct {
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	json.Unmarshal([]byte(out), &st)
	return st.Status.State
}

func TestCRICheckpointExportAndRestore(t *testing.T) {
	d, pod, podConfig := startCRI(t)
	data := filepath.Join(d.dir, "data")
	must(t, os.Mkdir(data, 0o755))
	id := d.createCRIContainer(t, pod, podConfig, "counter", data, []string{"sh", "-c", counterScript})
	tok, at := countTo(t, data, 3)

	// The kubelet's checkpoint: CheckpointContainer with an export path.
	archive := filepath.Join(d.dir, "checkpoint-counter.tar")
	before := len(d.markers())
	d.mustCrictl(t, "checkpoint", "--export="+archive, id)
	m := d.markers()
	if len(m) != before+1 || !strings.Contains(m[len(m)-1], "checkpoint of "+id) || !strings.Contains(m[len(m)-1], "by ccr") {
		t.Fatalf("crictl checkpoint did not go through ccr-runc; CCR_RUNC_LOG: %q", m)
	}
	t.Logf("CCR_RUNC_LOG: %s", m[len(m)-1])
	if st := d.criState(id); st != "CONTAINER_RUNNING" {
		t.Fatalf("container is %s after the checkpoint, want CONTAINER_RUNNING", st)
	}

	// checkpointctl, as a CRI user would, reads the archive.
	out := mustRun(t, nil, "checkpointctl", "show", archive)
	t.Logf("checkpointctl show:\n%s", out)
	for _, want := range []string{"counter", imageRef, id[:12]} {
		if !strings.Contains(out, want) {
			t.Errorf("checkpointctl show does not name %q:\n%s", want, out)
		}
	}

	// Stop the original (it stays known to CRI, with the sandbox's files
	// its mounts name), then bring the checkpoint back with ccr: `ccr
	// import`, and ccr-runc restore with the archive's spec (its rootfs
	// replaced by a fresh busybox tree, its cgroup by the tests' own).
	d.mustCrictl(t, "stop", "--timeout", "1", id)
	dest := filepath.Join(d.dir, "imported")
	mustRun(t, nil, ccrTool(t), "import", archive, dest)
	bundle := restoredBundle(t, d, dest)
	must(t, os.Remove(filepath.Join(data, "count")))

	runcRoot := filepath.Join(d.dir, "runc-restored")
	marker := filepath.Join(d.dir, "restored.log")
	c := &runcContainer{t: t, runc: newRuncPath(), id: "cri-restored", dir: d.dir, bundle: bundle, runcRoot: runcRoot}
	t.Cleanup(func() {
		exec.Command(c.runc, "--root", runcRoot, "kill", c.id, "KILL").Run()
		waitFor(5*time.Second, func() bool { return c.runcStatus() != "running" })
		exec.Command(c.runc, "--root", runcRoot, "delete", "--force", c.id).Run()
		c.closeIO()
	})
	c.detachedWith(ccrRuncBinary(t), ccrRuncEnv(c.runc, marker), "restore", "--detach",
		"--image-path", filepath.Join(dest, "checkpoint"), "--bundle", bundle, c.id)
	if b, _ := os.ReadFile(marker); !strings.Contains(string(b), "restore of cri-restored") || !strings.Contains(string(b), "by ccr") {
		t.Fatalf("the restore did not go through ccr; CCR_RUNC_LOG: %q", b)
	}
	// The same process (its token), from the count it had, counting on.
	waitCount(t, data, tok, at)
	if tk, n := countTo(t, data, at+3); tk != tok || n <= at {
		t.Fatalf("restored container counts %s %d", tk, n)
	}
	c.wantStatus("running")
}

// ccrTool is the ccr command-line tool installed with libccr.
func ccrTool(t *testing.T) string {
	t.Helper()
	if out, err := exec.Command("pkg-config", "--variable=prefix", "ccr").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "ccr")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("ccr")
	if err != nil {
		t.Fatal("the ccr tool is neither next to libccr (pkg-config's prefix/bin) nor in PATH")
	}
	return p
}

// restoredBundle makes a bundle from an imported CRI archive: spec.dump is
// containerd's OCI spec of the container; its rootfs (containerd's, gone
// with the stopped container's snapshot mount) becomes a fresh busybox tree
// (tests/fixture/make_bundle.py's) and its cgroup one under the tests'
// parent.
func restoredBundle(t *testing.T, d *containerd, dest string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dest, "spec.dump"))
	must(t, err)
	var spec map[string]any
	must(t, json.Unmarshal(raw, &spec))
	bundle := filepath.Join(d.dir, "restored-bundle")
	must(t, os.MkdirAll(bundle, 0o755))
	mustRunFixture(t, "make_bundle.py", "rootfs", filepath.Join(bundle, "rootfs"))
	spec["root"] = map[string]any{"path": "rootfs", "readonly": false}
	linux := spec["linux"].(map[string]any)
	linux["cgroupsPath"] = "/" + cgroupParent + "/cri-restored"
	delete(spec, "hooks")
	writeJSON(t, filepath.Join(bundle, "config.json"), spec)
	return bundle
}

// A ccr failure reaches crictl's output as ccr's one line: a checkpoint of
// a container with an established TCP connection, which CRIU refuses
// without --tcp-established (CRI never asks for it). The container keeps
// running.
func TestCRICheckpointFailureReachesCrictl(t *testing.T) {
	d, pod, podConfig := startCRI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if conn, err := ln.Accept(); err == nil {
			accepted <- conn
		}
	}()
	data := filepath.Join(d.dir, "data")
	must(t, os.Mkdir(data, 0o755))
	port := ln.Addr().(*net.TCPAddr).Port
	id := d.createCRIContainer(t, pod, podConfig, "talker", data,
		[]string{"sh", "-c", fmt.Sprintf("sleep 3600 | nc 127.0.0.1 %d", port)})
	var conn net.Conn
	select {
	case conn = <-accepted:
		defer conn.Close()
	case <-time.After(20 * time.Second):
		t.Fatal("the container did not connect")
	}

	if st := d.criState(id); st != "CONTAINER_RUNNING" {
		t.Fatalf("container is %s before the checkpoint, want CONTAINER_RUNNING", st)
	}
	out, err := d.crictl("checkpoint", "--export="+filepath.Join(d.dir, "never.tar"), id)
	if err == nil {
		t.Fatalf("crictl checkpoint of a container with an established connection succeeded: %s", out)
	}
	t.Logf("crictl checkpoint: %s", out)
	// CRIU's errors, for whoever reads a failure of this test (containerd
	// copies CRIU's log next to the bundle).
	logs, _ := filepath.Glob(filepath.Join(d.dir, "state/io.containerd.runtime.v2.task/k8s.io", id, "criu-dump.log"))
	if len(logs) > 0 {
		b, _ := os.ReadFile(logs[0])
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, ") Error (") {
				t.Logf("CRIU: %s", line)
			}
		}
	}
	if !strings.Contains(out, "ccr: checkpoint of container "+id) || !strings.Contains(out, "Connected TCP socket, consider using --tcp-established") {
		t.Errorf("crictl's message is not ccr's one line naming the cause: %q", out)
	}
	if st := d.criState(id); st != "CONTAINER_RUNNING" {
		t.Errorf("container is %s after the failed checkpoint, want CONTAINER_RUNNING", st)
	}
	// The connection is still the container's.
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := bufio.NewReader(conn).ReadByte(); err != nil && !isTimeout(err) {
		t.Errorf("the container's connection broke: %v", err)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
