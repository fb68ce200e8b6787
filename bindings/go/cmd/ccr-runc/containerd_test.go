// SPDX-License-Identifier: Apache-2.0

package main

// End to end with a real containerd (Debian's 1.6, and 2.4.2 built by
// scripts/bootstrap.sh): a private daemon (root, state and sockets in a
// temporary directory), a busybox OCI image built and imported here, tasks
// whose runc binary is ccr-runc, checkpointed through containerd (which
// runs `ccr-runc checkpoint`, that is ccr) and restored through containerd
// (which runs `ccr-runc restore`, ccr again; or plain runc, on ccr's
// images).

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	ctrNamespace = "ccr-runc-test"
	imageRef     = "localhost/ccr-runc-test/busybox:1"
)

// The task's init: keeps "<token> <n>" in /data/count, looking every 50 ms; n goes
// up only while /data/go exists, so the test decides when it counts. The
// token is drawn once at start: a restored task has the checkpointed one.
//
// SIGUSR1 makes it exit with status 7 (once the current sleep ends): an
// exit status only this process produces, for the tests that follow it to
// containerd.
//
// It writes /data/count only when the count changed or the file is gone, so
// that a checkpoint taken while it does not count never catches it with
// /data/count.tmp open (a file the restore would have to reopen).
const counterScript = `tok=$(cat /proc/sys/kernel/random/uuid); i=0; w=
trap 'exit 7' USR1
while :; do
  if [ -e /data/go ]; then i=$((i+1)); fi
  if [ "$i" != "$w" ] || [ ! -e /data/count ]; then
    echo "$tok $i" > /data/count.tmp && mv /data/count.tmp /data/count && w=$i
  fi
  sleep 0.05
done`

type containerd struct {
	t        *testing.T
	setup    containerdSetup
	dir      string
	sock     string
	runcRoot string // the runtime's runc root; runc's state is under <runcRoot>/<namespace>
	marker   string // CCR_RUNC_LOG
	cmd      *exec.Cmd
	exited   chan struct{}
	log      string
	// runDirExisted: /run/containerd was there before the test (containerd
	// 1.6 puts shim sockets in /run/containerd/s and ctr its FIFOs in
	// /run/containerd/fifo whatever the configuration says).
	runDirExisted bool
}

// containerdSetup names a containerd generation's binaries and how it is
// configured.
type containerdSetup struct {
	containerd, ctr string // binaries (a bare name is looked up in PATH)
	binDir          string // put first in the daemon's PATH (for its shim), "" for none
	configVersion   int    // 2: containerd 1.x, 3: containerd 2.x
	snapshotter     string // "" for containerd's default
	realRunc        string // the runc ccr-runc delegates to (CCR_RUNC_REAL), "" for PATH's
	cri             string // the CRI plugins' configuration (containerd 2.x), "" to disable CRI
}

// debianContainerd is Debian's containerd 1.6 on PATH.
var debianContainerd = containerdSetup{containerd: "containerd", ctr: "ctr", configVersion: 2}

// containerd2Dir is where scripts/bootstrap.sh builds containerd 2.4.2.
const containerd2Dir = "/usr/local/libexec/ccr-test/containerd-2.4.2/bin"

// containerd2 is containerd 2.4.2 with the native snapshotter, its shim
// running ccr-runc in front of runc 1.5.3.
func containerd2() containerdSetup {
	return containerdSetup{
		containerd: filepath.Join(containerd2Dir, "containerd"), ctr: filepath.Join(containerd2Dir, "ctr"),
		binDir: containerd2Dir, configVersion: 3, snapshotter: "native", realRunc: newRuncPath(),
	}
}

// transferConfig is containerd 2.x's unpack configuration for
// `ctr images import` (with CRI's image plugin disabled nothing else sets
// it, and the import fails with "no unpack platforms defined").
func transferConfig(setup containerdSetup) string {
	if setup.configVersion < 3 {
		return ""
	}
	sn := setup.snapshotter
	if sn == "" {
		sn = "overlayfs"
	}
	return fmt.Sprintf(`
[plugins."io.containerd.transfer.v1.local"]
  [[plugins."io.containerd.transfer.v1.local".unpack_config]]
    platform = "linux/amd64"
    snapshotter = %q
`, sn)
}

func startContainerd(t *testing.T) *containerd {
	t.Helper()
	return startContainerdWith(t, debianContainerd)
}

// startContainerdWith starts the containerd of setup on a private root,
// state directory and socket.
func startContainerdWith(t *testing.T, setup containerdSetup) *containerd {
	t.Helper()
	d := &containerd{t: t, setup: setup, dir: t.TempDir()}
	d.sock = filepath.Join(d.dir, "containerd.sock")
	d.runcRoot = filepath.Join(d.dir, "runc")
	d.marker = filepath.Join(d.dir, "ccr-runc.log")
	d.log = filepath.Join(d.dir, "containerd.log")
	_, err := os.Stat("/run/containerd")
	d.runDirExisted = err == nil
	xdg := filepath.Join(d.dir, "xdg") // containerd's checkpoint temporary directories
	must(t, os.Mkdir(xdg, 0o700))
	cfg := filepath.Join(d.dir, "config.toml")
	// Plugins that would reach outside the private directories (the NRI
	// socket under /var/run/nri) or need what this machine lacks.
	disabled := `"io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"`
	switch {
	case setup.configVersion == 2:
		disabled += `, "io.containerd.grpc.v1.cri"`
	case setup.cri == "":
		disabled += `, "io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images",
  "io.containerd.podsandbox.controller.v1.podsandbox", "io.containerd.sandbox.controller.v1.shim",
  "io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.erofs"`
	default:
		disabled += `, "io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.erofs"`
	}
	must(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`version = %d
root = %q
state = %q
disabled_plugins = [%s]

[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = ""
[metrics]
  address = ""
`, setup.configVersion, filepath.Join(d.dir, "root"), filepath.Join(d.dir, "state"), disabled,
		d.sock, d.sock+".ttrpc")+transferConfig(setup)+setup.cri), 0o600))
	logf, err := os.Create(d.log)
	must(t, err)
	d.cmd = exec.Command(setup.containerd, "--config", cfg)
	// The shims containerd starts, and the runc binaries they run, inherit
	// this environment.
	d.cmd.Env = append(os.Environ(), "CCR_RUNC_LOG="+d.marker, "XDG_RUNTIME_DIR="+xdg)
	if setup.binDir != "" {
		d.cmd.Env = append(d.cmd.Env, "PATH="+setup.binDir+":"+os.Getenv("PATH"))
	}
	if setup.realRunc != "" {
		d.cmd.Env = append(d.cmd.Env, "CCR_RUNC_REAL="+setup.realRunc)
	}
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	must(t, d.cmd.Start())
	logf.Close()
	d.exited = make(chan struct{})
	go func() { d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(d.stop)
	if !waitFor(30*time.Second, func() bool {
		select {
		case <-d.exited:
			return true
		default:
		}
		_, err := d.ctr("version")
		return err == nil
	}) {
		t.Fatalf("containerd did not answer within 30s:\n%s", d.logTail())
	}
	select {
	case <-d.exited:
		t.Fatalf("containerd exited:\n%s", d.logTail())
	default:
	}
	return d
}

func (d *containerd) logTail() string {
	b, _ := os.ReadFile(d.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (d *containerd) ctr(args ...string) (string, error) {
	return d.ctrIn(ctrNamespace, args...)
}

// ctrIn runs ctr in the containerd namespace ns ("k8s.io" for CRI's).
func (d *containerd) ctrIn(ns string, args ...string) (string, error) {
	full := append([]string{"--address", d.sock, "--namespace", ns}, args...)
	var env []string
	if d.setup.snapshotter != "" {
		env = []string{"CONTAINERD_SNAPSHOTTER=" + d.setup.snapshotter}
	}
	return run(d.t, env, d.setup.ctr, full...)
}

func (d *containerd) mustCtr(args ...string) string {
	d.t.Helper()
	out, err := d.ctr(args...)
	if err != nil {
		d.t.Fatalf("ctr %s: %v\n%s\ncontainerd's log:\n%s", strings.Join(args, " "), err, out, d.logTail())
	}
	return out
}

// taskStatus is the task's status in `ctr tasks ls`, "" without a task.
func (d *containerd) taskStatus(id string) string {
	out, _ := d.ctr("tasks", "ls")
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == id {
			return f[2]
		}
	}
	return ""
}

// markers are the lines ccr-runc wrote to CCR_RUNC_LOG, one per checkpoint
// or restore.
func (d *containerd) markers() []string {
	b, _ := os.ReadFile(d.marker)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// removeContainer kills and deletes the task, then the container.
func (d *containerd) removeContainer(id string) {
	d.t.Helper()
	if st := d.taskStatus(id); st != "" {
		if st != "STOPPED" {
			d.mustCtr("tasks", "kill", "--signal", "SIGKILL", id)
			if !waitFor(10*time.Second, func() bool { return d.taskStatus(id) == "STOPPED" }) {
				d.t.Fatalf("task %s did not stop", id)
			}
		}
		d.mustCtr("tasks", "delete", id)
	}
	d.mustCtr("containers", "delete", id)
}

// stop deletes what is left in the namespace, stops containerd and its
// shims, and checks that nothing of it is mounted or running.
func (d *containerd) stop() {
	t := d.t
	out, _ := d.ctr("containers", "ls", "-q")
	for _, id := range strings.Fields(out) {
		d.ctr("tasks", "kill", "--signal", "SIGKILL", id)
		waitFor(5*time.Second, func() bool { s := d.taskStatus(id); return s == "" || s == "STOPPED" })
		d.ctr("tasks", "delete", "--force", id)
		d.ctr("containers", "delete", id)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(15 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
	}
	// Shims outlive containerd by design: end the ones it started for us.
	for _, pid := range processesMentioning(d.dir) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	waitFor(5*time.Second, func() bool { return len(processesMentioning(d.dir)) == 0 })
	cleanCgroup(t, cgroupParent)
	for i := 0; i < 3; i++ { // overlay mounts of rootfs, deepest first
		ms := mountsUnder(d.dir)
		for j := len(ms) - 1; j >= 0; j-- {
			syscall.Unmount(ms[j], syscall.MNT_DETACH)
		}
	}
	if !d.runDirExisted { // only empty directories go
		os.Remove("/run/containerd/s")
		os.Remove("/run/containerd/fifo")
		os.Remove("/run/containerd")
	}
	if ms := mountsUnder(d.dir); len(ms) > 0 {
		t.Errorf("still mounted after containerd stopped: %q", ms)
	}
	if ps := processesMentioning(d.dir); len(ps) > 0 {
		t.Errorf("still running after containerd stopped: pids %v", ps)
	}
}

func mountsUnder(dir string) []string {
	var out []string
	for _, m := range mounts() {
		if m.point == dir || strings.HasPrefix(m.point, dir+"/") {
			out = append(out, m.point)
		}
	}
	return out
}

// processesMentioning lists the processes whose command line names dir
// (containerd, its shims: -address <dir>/containerd.sock).
func processesMentioning(dir string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(b, []byte(dir)) && alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// importBusybox writes an OCI image layout (one uncompressed layer, the
// busybox rootfs of tests/fixture/make_bundle.py, the config, the manifest,
// the index) as a tar and imports it with `ctr images import`.
func (d *containerd) importBusybox() {
	d.t.Helper()
	d.importImage(ctrNamespace, imageRef, nil, []string{"sh"})
}

// importImage imports a busybox image named ref into the containerd
// namespace ns, with the entrypoint and command given.
func (d *containerd) importImage(ns, ref string, entrypoint, cmd []string) {
	t := d.t
	t.Helper()
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	mustRunFixture(t, "make_bundle.py", "rootfs", rootfs)
	layer := tarTree(t, rootfs)

	blobs := map[string][]byte{}
	add := func(data []byte) (string, int) {
		sum := sha256.Sum256(data)
		digest := "sha256:" + hex.EncodeToString(sum[:])
		blobs[digest] = data
		return digest, len(data)
	}
	layerDigest, layerSize := add(layer)
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Env": []string{"PATH=/bin"}, "Entrypoint": entrypoint, "Cmd": cmd},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDigest}},
	})
	configDigest, configSize := add(config)
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": configDigest, "size": configSize},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layerDigest, "size": layerSize}},
	})
	manifestDigest, manifestSize := add(manifest)
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": []any{map[string]any{
			"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifestDigest, "size": manifestSize,
			"platform":    map[string]string{"architecture": "amd64", "os": "linux"},
			"annotations": map[string]string{"org.opencontainers.image.ref.name": ref},
		}},
	})
	tarball := filepath.Join(d.dir, fmt.Sprintf("image-%d-oci.tar", idCounter.Add(1)))
	writeOCILayout(t, tarball, index, blobs)
	if out, err := d.ctrIn(ns, "images", "import", tarball); err != nil {
		t.Fatalf("ctr images import %s: %v\n%s", tarball, err, out)
	}
	if out, _ := d.ctrIn(ns, "images", "ls", "-q"); !strings.Contains(out, ref) {
		t.Fatalf("imported image %s not listed: %q", ref, out)
	}
}

// tarTree is the directory tree dir as an uncompressed tar layer: its
// directories, regular files and symlinks, owned by root, time zero.
func tarTree(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if d.Type()&os.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		hdr.Name, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = rel, 0, 0, "", ""
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = time.Unix(0, 0), time.Time{}, time.Time{}
		if d.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		}
		return nil
	})
	must(t, err)
	must(t, tw.Close())
	return buf.Bytes()
}

func writeOCILayout(t *testing.T, path string, index []byte, blobs map[string][]byte) {
	t.Helper()
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	tw := tar.NewWriter(f)
	put := func(name string, data []byte) {
		must(t, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0)}))
		_, err := tw.Write(data)
		must(t, err)
	}
	put("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	put("index.json", index)
	for digest, data := range blobs {
		put("blobs/sha256/"+strings.TrimPrefix(digest, "sha256:"), data)
	}
	must(t, tw.Close())
}

// runCounter starts a task whose runc binary is ccr-runc, with a bind
// mount of a fresh host directory at /data; it returns that directory.
func (d *containerd) runCounter(id string) string {
	d.t.Helper()
	data := filepath.Join(d.dir, "data-"+id)
	must(d.t, os.Mkdir(data, 0o755))
	d.runTask(id, data, "sh", "-c", counterScript)
	return data
}

// runTask starts a task whose runc binary is ccr-runc, running args
// (flags for `ctr run` may come first), with data bind-mounted at /data.
func (d *containerd) runTask(id, data string, args ...string) {
	d.t.Helper()
	var flags []string
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		flags, args = append(flags, args[0]), args[1:]
	}
	// --cpu-shares 0: ctr asks for 1024 shares by default, which needs a cpu
	// controller; the cgroup v2 view of a hybrid host has none (it is bound
	// to v1), and the container needs no CPU limit.
	full := append([]string{"run", "--detach", "--null-io", "--cpu-shares", "0",
		"--runc-binary", ccrRuncBinary(d.t), "--runc-root", d.runcRoot,
		"--cgroup", "/" + cgroupParent + "/" + id,
		"--mount", "type=bind,src=" + data + ",dst=/data,options=rbind:rw"}, flags...)
	d.mustCtr(append(append(full, imageRef, id), args...)...)
}

// counter reads /data/count: the token and the count.
func counter(data string) (string, int, bool) {
	b, err := os.ReadFile(filepath.Join(data, "count"))
	if err != nil {
		return "", 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return "", 0, false
	}
	n, err := strconv.Atoi(f[1])
	return f[0], n, err == nil
}

// countTo lets the task count until it reaches at least n, then stops it
// counting and returns the token and the count it settled on.
func countTo(t *testing.T, data string, n int) (string, int) {
	t.Helper()
	goFile := filepath.Join(data, "go")
	must(t, os.WriteFile(goFile, nil, 0o644))
	if !waitFor(20*time.Second, func() bool { _, c, ok := counter(data); return ok && c >= n }) {
		_, c, _ := counter(data)
		t.Fatalf("the task did not count to %d (at %d)", n, c)
	}
	must(t, os.Remove(goFile))
	var tok string
	var last int
	waitFor(5*time.Second, func() bool {
		time.Sleep(200 * time.Millisecond) // several rounds of the loop
		tk, c, ok := counter(data)
		if ok && tk == tok && c == last {
			return true
		}
		tok, last = tk, c
		return false
	})
	return tok, last
}

// waitCount waits until /data/count reads "tok n".
func waitCount(t *testing.T, data, tok string, n int) {
	t.Helper()
	if !waitFor(20*time.Second, func() bool { tk, c, ok := counter(data); return ok && tk == tok && c == n }) {
		b, _ := os.ReadFile(filepath.Join(data, "count"))
		t.Fatalf("/data/count is %q, want %q", strings.TrimSpace(string(b)), fmt.Sprintf("%s %d", tok, n))
	}
}

func TestContainerdCheckpointRestore(t *testing.T) {
	require(t, "containerd", "ctr", "containerd-shim-runc-v2")
	ccrRuncBinary(t)
	d := startContainerd(t)
	d.importBusybox()

	t.Run("leave-running", func(t *testing.T) { liveRoundTrip(t, d, "live") })

	// ctr tasks checkpoint --exit: the shim runs `ccr-runc checkpoint`
	// without --leave-running; the task stops, runc reads it as stopped and
	// `ctr tasks delete` (runc delete) works. ctr 1.6 cannot restore this
	// checkpoint image as written (its index lacks the annotations
	// `ctr containers restore` reads): the test adds them, with runtime
	// options naming the real runc, and containerd restores it with plain
	// runc from ccr's images.
	t.Run("exit", func(t *testing.T) {
		const id = "exit"
		data := d.runCounter(id)
		tok, at := countTo(t, data, 4)
		work := filepath.Join(d.dir, "criu-work-exit")
		before, _ := d.ctr("images", "ls", "-q")
		d.mustCtr("tasks", "checkpoint", "--exit", "--work-path", work, id)
		m := d.markers()
		if len(m) == 0 || !strings.Contains(m[len(m)-1], "checkpoint of "+id) || !strings.Contains(m[len(m)-1], "leave-running=false") {
			t.Fatalf("the checkpoint did not go through ccr-runc; CCR_RUNC_LOG: %q", m)
		}
		t.Logf("CCR_RUNC_LOG: %s", m[len(m)-1])
		for _, f := range []string{"dump.log", "stats-dump"} {
			if _, err := os.Stat(filepath.Join(work, f)); err != nil {
				t.Errorf("CRIU's work directory: %v", err)
			}
		}
		if !waitFor(10*time.Second, func() bool { return d.taskStatus(id) == "STOPPED" }) {
			t.Fatalf("task is %q after checkpoint --exit, want STOPPED", d.taskStatus(id))
		}
		runcRoot := filepath.Join(d.runcRoot, ctrNamespace)
		if out, err := run(t, nil, "runc", "--root", runcRoot, "state", id); err != nil || !strings.Contains(out, `"stopped"`) {
			t.Errorf("runc state %s after the checkpoint: %v %s", id, err, out)
		}
		d.mustCtr("tasks", "delete", id) // the shim's runc delete
		if out, err := run(t, nil, "runc", "--root", runcRoot, "state", id); err == nil {
			t.Errorf("runc still knows %s after ctr tasks delete: %s", id, out)
		}
		d.mustCtr("containers", "delete", id)

		after := d.mustCtr("images", "ls", "-q")
		var ref string
		for _, r := range strings.Fields(after) {
			if strings.HasPrefix(r, "containerd.io/checkpoint/"+id+":") && !strings.Contains(before, r) {
				ref = r
			}
		}
		if ref == "" {
			t.Fatalf("no checkpoint image after ctr tasks checkpoint: %q", after)
		}
		runcPath, err := exec.LookPath("runc")
		must(t, err)
		d.relabelCheckpoint(ref, "ck/exit:1", runcPath)
		must(t, os.Remove(filepath.Join(data, "count")))
		d.mustCtr("containers", "restore", "--live", id, "ck/exit:1")
		if info := d.mustCtr("containers", "info", id); !strings.Contains(decodedOptions(info), runcPath) {
			t.Errorf("restored container's runtime options do not name %s: %s", runcPath, info)
		}
		waitCount(t, data, tok, at)
		if tk, n := countTo(t, data, at+3); tk != tok || n <= at {
			t.Fatalf("restored task counts %s %d", tk, n)
		}
		if len(d.markers()) != len(m) {
			t.Errorf("ccr-runc ran during the restore by runc: %q", d.markers())
		}
		d.removeContainer(id)
	})
}

// liveRoundTrip is the containerd path both ways through ccr: `ctr
// containers checkpoint --task` (containerd pauses the task, the shim runs
// `ccr-runc checkpoint --leave-running`, containerd resumes it and stores
// the images as a checkpoint image), then `ctr containers restore --live`
// (a new shim runs `ccr-runc restore --detach` on those images). The
// restored task is the checkpointed one, accepts `ctr tasks exec`, and its
// own exit status reaches containerd.
func liveRoundTrip(t *testing.T, d *containerd, id string) {
	data := d.runCounter(id)
	tok, at := countTo(t, data, 3)

	before := len(d.markers())
	d.ctrT(t, "containers", "checkpoint", "--task", id, "ck/"+id+":1")
	m := d.markers()
	if len(m) != before+1 || !strings.Contains(m[len(m)-1], "checkpoint of "+id) ||
		!strings.Contains(m[len(m)-1], "by ccr") || !strings.Contains(m[len(m)-1], "leave-running=true") {
		t.Fatalf("the checkpoint did not go through ccr-runc; CCR_RUNC_LOG: %q", m)
	}
	t.Logf("CCR_RUNC_LOG: %s", m[len(m)-1])
	if st := d.taskStatus(id); st != "RUNNING" {
		t.Fatalf("task %s after the checkpoint, want RUNNING", st)
	}
	tk, later := countTo(t, data, at+5) // it carries on after the checkpoint
	if tk != tok {
		t.Fatalf("token changed from %s to %s", tok, tk)
	}

	d.removeContainer(id)
	must(t, os.Remove(filepath.Join(data, "count")))
	d.ctrT(t, "containers", "restore", "--live", id, "ck/"+id+":1")
	m = d.markers()
	if len(m) != before+2 || !strings.Contains(m[len(m)-1], "restore of "+id) || !strings.Contains(m[len(m)-1], "by ccr") {
		t.Fatalf("the restore did not go through ccr-runc; CCR_RUNC_LOG: %q", m)
	}
	t.Logf("CCR_RUNC_LOG: %s", m[len(m)-1])
	if st := d.taskStatus(id); st != "RUNNING" {
		t.Fatalf("restored task is %q, want RUNNING", st)
	}
	// The restored task is the checkpointed one: same token, the count it
	// had then (not the later one), and it counts on.
	waitCount(t, data, tok, at)
	if tk, n := countTo(t, data, at+3); tk != tok || n <= at || n == later {
		t.Fatalf("restored task counts %s %d", tk, n)
	}
	out := d.ctrT(t, "tasks", "exec", "--exec-id", "probe", id, "cat", "/data/count")
	if !strings.Contains(out, tok) {
		t.Errorf("ctr tasks exec cat /data/count: %q", out)
	}
	// The init's own exit status (7, on SIGUSR1) reaches containerd: the
	// shim reaps the restored init, which ccr-runc left to it.
	d.ctrT(t, "tasks", "kill", "--signal", "SIGUSR1", id)
	if !waitFor(10*time.Second, func() bool { return d.taskStatus(id) == "STOPPED" }) {
		t.Fatalf("restored task is %q after SIGUSR1, want STOPPED", d.taskStatus(id))
	}
	if out := d.ctrT(t, "tasks", "delete", id); !strings.Contains(out, "exit code 7") {
		t.Errorf("ctr tasks delete %s: %q, want the exit code 7 reported", id, out)
	}
	d.ctrT(t, "containers", "delete", id)
}

// ctrT is mustCtr failing t (a subtest) rather than the test that started
// containerd.
func (d *containerd) ctrT(t *testing.T, args ...string) string {
	t.Helper()
	out, err := d.ctr(args...)
	if err != nil {
		t.Fatalf("ctr %s: %v\n%s\ncontainerd's log:\n%s", strings.Join(args, " "), err, out, d.logTail())
	}
	return out
}

// Containerd 2.4.2 (built by scripts/bootstrap.sh) with the native
// snapshotter and ccr-runc in front of runc 1.5.3: checkpoint and restore
// both through ccr.
func TestContainerd2CheckpointRestore(t *testing.T) {
	require(t, filepath.Join(containerd2Dir, "containerd"), filepath.Join(containerd2Dir, "ctr"),
		filepath.Join(containerd2Dir, "containerd-shim-runc-v2"), newRuncPath())
	ccrRuncBinary(t)
	d := startContainerdWith(t, containerd2())
	d.importBusybox()
	if out := d.mustCtr("version"); !strings.Contains(out, "Version:  2.4.2") {
		t.Fatalf("not containerd 2.4.2: %s", out)
	}
	t.Run("leave-running", func(t *testing.T) { liveRoundTrip(t, d, "live2") })

	// A ccr failure reaches ctr's output as ccr's one line: CRIU refuses
	// an established TCP connection without --tcp-established (which
	// `ctr tasks checkpoint` cannot ask for). The task keeps running.
	t.Run("failure-reaches-ctr", func(t *testing.T) {
		const id = "talker"
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		defer ln.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			if conn, err := ln.Accept(); err == nil {
				accepted <- conn
			}
		}()
		data := filepath.Join(d.dir, "data-"+id)
		must(t, os.Mkdir(data, 0o755))
		d.runTask(id, data, "--net-host", "sh", "-c", fmt.Sprintf("sleep 3600 | nc 127.0.0.1 %d", ln.Addr().(*net.TCPAddr).Port))
		select {
		case conn := <-accepted:
			defer conn.Close()
		case <-time.After(20 * time.Second):
			t.Fatal("the task did not connect")
		}
		out, err := d.ctr("tasks", "checkpoint", id)
		if err == nil {
			t.Fatalf("ctr tasks checkpoint of a task with an established connection succeeded: %s", out)
		}
		t.Logf("ctr tasks checkpoint: %s", out)
		if !strings.Contains(out, "ccr: checkpoint of container "+id) ||
			!strings.Contains(out, "Connected TCP socket, consider using --tcp-established") {
			t.Errorf("ctr's message is not ccr's one line naming the cause: %q", out)
		}
		if st := d.taskStatus(id); st != "RUNNING" {
			t.Errorf("task is %q after the failed checkpoint, want RUNNING", st)
		}
		d.removeContainer(id)
	})
}

// relabelCheckpoint imports the checkpoint image ref again as newRef, with
// the annotations `ctr containers restore` needs (image name, runtime,
// snapshotter; `ctr tasks checkpoint` in 1.6 writes only "image.name")
// and runtime options that run runcBinary with the test's runc root.
func (d *containerd) relabelCheckpoint(ref, newRef, runcBinary string) {
	t := d.t
	t.Helper()
	var digest string
	for _, line := range strings.Split(d.mustCtr("images", "ls"), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == ref {
			digest = f[2]
		}
	}
	if digest == "" {
		t.Fatalf("no digest for %s", ref)
	}
	var index map[string]any
	raw := d.mustCtr("content", "get", digest)
	if err := json.Unmarshal([]byte(raw), &index); err != nil {
		t.Fatalf("checkpoint index %s: %v: %s", digest, err, raw)
	}
	ann, _ := index["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
	}
	name, _ := ann["image.name"].(string)
	if name == "" {
		name = imageRef
	}
	ann["org.opencontainers.image.ref.name"] = name
	ann["io.containerd.checkpoint.runtime"] = "io.containerd.runc.v2"
	ann["io.containerd.checkpoint.snapshotter"] = "overlayfs"
	index["annotations"] = ann

	blobs := map[string][]byte{}
	add := func(data []byte) (string, int) {
		sum := sha256.Sum256(data)
		dg := "sha256:" + hex.EncodeToString(sum[:])
		blobs[dg] = data
		return dg, len(data)
	}
	// containerd.runc.v1.Options{binary_name: 6, root: 7} in a protobuf Any.
	opts := append(protoString(6, runcBinary), protoString(7, d.runcRoot)...)
	anyMsg := append(protoString(1, "containerd.runc.v1.Options"), protoBytes(2, opts)...)
	optDigest, optSize := add(anyMsg)
	var manifests []any
	for _, m := range index["manifests"].([]any) {
		if m.(map[string]any)["mediaType"] != "application/vnd.containerd.container.checkpoint.runtime.options+proto" {
			manifests = append(manifests, m)
		}
	}
	index["manifests"] = append(manifests, map[string]any{
		"mediaType": "application/vnd.containerd.container.checkpoint.runtime.options+proto",
		"digest":    optDigest, "size": optSize,
	})
	newIndex, _ := json.Marshal(index)
	idxDigest, idxSize := add(newIndex)
	top, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"manifests": []any{map[string]any{
			"mediaType": "application/vnd.oci.image.index.v1+json", "digest": idxDigest, "size": idxSize,
			"annotations": map[string]string{"org.opencontainers.image.ref.name": newRef},
		}},
	})
	tarball := filepath.Join(d.dir, "relabeled.tar")
	writeOCILayout(t, tarball, top, blobs)
	d.mustCtr("images", "import", "--no-unpack", "--all-platforms", tarball)
}

func protoBytes(field int, b []byte) []byte {
	out := protoVarint(nil, uint64(field<<3|2))
	out = protoVarint(out, uint64(len(b)))
	return append(out, b...)
}

func protoString(field int, s string) []byte { return protoBytes(field, []byte(s)) }

func protoVarint(out []byte, v uint64) []byte {
	for v >= 0x80 {
		out = append(out, byte(v)|0x80)
		v >>= 7
	}
	return append(out, byte(v))
}

// decodedOptions is the runtime options' value of `ctr containers info`,
// base64-decoded.
func decodedOptions(info string) string {
	var ci struct {
		Runtime struct {
			Options struct {
				Value string `json:"value"`
			}
		}
	}
	if json.Unmarshal([]byte(info), &ci) != nil {
		return ""
	}
	b, _ := base64.StdEncoding.DecodeString(ci.Runtime.Options.Value)
	return string(b)
}

// The README's three lines of configuration are what containerd reads as
// the runc runtime's BinaryName.
func TestReadmeContainerdConfig(t *testing.T) {
	require(t, "containerd")
	readme, err := os.ReadFile("../../README.md")
	must(t, err)
	start := bytes.Index(readme, []byte("```toml\n"))
	if start < 0 {
		t.Fatal("README.md has no ```toml block")
	}
	block := readme[start+len("```toml\n"):]
	block = block[:bytes.Index(block, []byte("```"))]
	cfg := filepath.Join(t.TempDir(), "config.toml")
	must(t, os.WriteFile(cfg, block, 0o600))
	out := mustRun(t, nil, "containerd", "--config", cfg, "config", "dump")
	want := `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]`
	i := strings.Index(out, want)
	if i < 0 {
		t.Fatalf("containerd config dump of the README's block has no %s:\n%s\n---\n%s", want, block, out)
	}
	section := out[i+len(want):]
	if j := strings.Index(section, "[plugins"); j >= 0 {
		section = section[:j]
	}
	if !strings.Contains(section, `BinaryName = "/usr/local/bin/ccr-runc"`) {
		t.Fatalf("the runc runtime's options have no BinaryName = \"/usr/local/bin/ccr-runc\":\n%s", section)
	}
}
