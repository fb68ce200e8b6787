// SPDX-License-Identifier: Apache-2.0

// Command archive_compat checks an unpacked ccr checkpoint archive against
// the Go types containerd 2.4 marshals its checkpoint files from and
// checkpointctl reads them with: each file must decode into its type with
// no unknown field, and marshal back to exactly its own bytes (so it is what
// containerd's encoding/json would have written for those values), and the
// values must be the ones the test asked ccr to record.
//
// Usage: archive_compat -dir DIR -name NAME -image IMAGE -ref REF -created RFC3339 -pid PID
//
// Exits 0 and prints "archive matches containerd's writer" when every check
// holds; otherwise prints each difference and exits 1.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	metadata "github.com/checkpoint-restore/checkpointctl/lib"
	spec "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// containerdStatus has the fields, in their order, of the versioned status
// record containerd keeps for a CRI container and copies into the archive
// as "status" (its type is internal to containerd, so it cannot be imported).
type containerdStatus struct {
	Version    string
	Pid        uint32
	CreatedAt  int64
	StartedAt  int64
	FinishedAt int64
	ExitCode   int32
	Reason     string
	Message    string
	Resources  *runtime.ContainerResources
}

type checker struct {
	dir      string
	failures []string
}

func (c *checker) failf(format string, args ...any) {
	c.failures = append(c.failures, fmt.Sprintf(format, args...))
}

// decodeExact reads `name` into `v`, refusing unknown fields, and checks
// that marshalling `v` again gives the file's own bytes.
func (c *checker) decodeExact(name string, v any) bool {
	data, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		c.failf("%s: %v", name, err)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.failf("%s does not decode into containerd's type: %v", name, err)
		return false
	}
	again, err := json.Marshal(v)
	if err != nil {
		c.failf("%s: cannot marshal it again: %v", name, err)
		return false
	}
	if !bytes.Equal(again, data) {
		c.failf("%s differs from what containerd's encoding/json writes for the same values:\n  ccr:        %s\n  containerd: %s",
			name, data, again)
		return false
	}
	return true
}

func (c *checker) equal(what string, got, want any) {
	if fmt.Sprint(got) != fmt.Sprint(want) {
		c.failf("%s is %v, want %v", what, got, want)
	}
}

func main() {
	dir := flag.String("dir", "", "the unpacked archive")
	name := flag.String("name", "", "the container name ccr was given")
	image := flag.String("image", "", "the image name ccr was given")
	ref := flag.String("ref", "", "the image reference ccr was given")
	created := flag.String("created", "", "the creation time ccr was given (RFC 3339)")
	pid := flag.Uint("pid", 0, "the container's init pid at the checkpoint")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "archive_compat: -dir is required")
		os.Exit(2)
	}
	createdAt, err := time.Parse(time.RFC3339Nano, *created)
	if err != nil {
		fmt.Fprintf(os.Stderr, "archive_compat: -created: %v\n", err)
		os.Exit(2)
	}
	c := &checker{dir: *dir}

	var config metadata.ContainerConfig
	if c.decodeExact(metadata.ConfigDumpFile, &config) {
		c.equal("config.dump name", config.Name, *name)
		c.equal("config.dump rootfsImageName", config.RootfsImageName, *image)
		c.equal("config.dump rootfsImage", config.RootfsImage, *image)
		c.equal("config.dump rootfsImageRef", config.RootfsImageRef, *ref)
		c.equal("config.dump createdTime", config.CreatedTime.UnixNano(), createdAt.UnixNano())
		if config.ID == "" || config.OCIRuntime == "" {
			c.failf("config.dump has no id or runtime: %+v", config)
		}
		if config.CheckpointedAt.Before(config.CreatedTime) {
			c.failf("config.dump checkpointedTime %v is before createdTime %v", config.CheckpointedAt,
				config.CreatedTime)
		}
	}

	var status runtime.ContainerStatus
	if c.decodeExact(metadata.StatusDumpFile, &status) {
		c.equal("status.dump id", status.Id, config.ID)
		c.equal("status.dump metadata.name", status.GetMetadata().GetName(), *name)
		c.equal("status.dump state", status.State, runtime.ContainerState_CONTAINER_RUNNING)
		c.equal("status.dump created_at", status.CreatedAt, createdAt.UnixNano())
		c.equal("status.dump image.image", status.GetImage().GetImage(), *image)
		c.equal("status.dump image_ref", status.ImageRef, *ref)
		c.equal("status.dump stop_signal", status.StopSignal, runtime.Signal_SIGNAL_SIGTERM)
		if status.StartedAt < status.CreatedAt {
			c.failf("status.dump started_at %d is before created_at %d", status.StartedAt, status.CreatedAt)
		}
		if status.User == nil || status.User.Linux == nil {
			c.failf("status.dump has no user.linux, which containerd always writes")
		}
	}

	var record containerdStatus
	if c.decodeExact(metadata.StatusFile, &record) {
		c.equal("status Version", record.Version, "v1")
		c.equal("status Pid", record.Pid, *pid)
		c.equal("status CreatedAt", record.CreatedAt, createdAt.UnixNano())
		c.equal("status StartedAt", record.StartedAt, status.StartedAt)
	}
	// What checkpointctl itself reads from "status".
	if reduced, _, err := metadata.ReadContainerCheckpointStatusFile(*dir); err != nil {
		c.failf("checkpointctl cannot read status: %v", err)
	} else {
		c.equal("checkpointctl's status CreatedAt", reduced.CreatedAt, createdAt.UnixNano())
	}

	var oci spec.Spec
	if _, _, err := metadata.ReadContainerCheckpointSpecDump(*dir); err != nil {
		c.failf("checkpointctl cannot read spec.dump: %v", err)
	} else if data, err := os.ReadFile(filepath.Join(*dir, metadata.SpecDumpFile)); err != nil {
		c.failf("spec.dump: %v", err)
	} else if err := json.Unmarshal(data, &oci); err != nil {
		c.failf("spec.dump is not an OCI spec: %v", err)
	} else {
		// The CRI annotations containerd's spec carries and checkpointctl
		// reads (no io.container.manager: the engine is containerd).
		c.equal("spec.dump io.kubernetes.cri.container-name", oci.Annotations["io.kubernetes.cri.container-name"], *name)
		c.equal("spec.dump io.kubernetes.cri.container-type", oci.Annotations["io.kubernetes.cri.container-type"], "container")
		c.equal("spec.dump io.kubernetes.cri.image-name", oci.Annotations["io.kubernetes.cri.image-name"], *image)
		if m, ok := oci.Annotations["io.container.manager"]; ok {
			c.failf("spec.dump names the engine %q: checkpointctl would not call it containerd", m)
		}
	}

	// Every file containerd's archive has beside the images.
	for _, f := range []string{metadata.ConfigDumpFile, metadata.SpecDumpFile, metadata.StatusDumpFile,
		metadata.StatusFile, metadata.CheckpointDirectory + "/inventory.img"} {
		if _, err := os.Stat(filepath.Join(*dir, f)); err != nil {
			c.failf("%s is missing: %v", f, err)
		}
	}

	if len(c.failures) > 0 {
		sort.Strings(c.failures)
		fmt.Println(strings.Join(c.failures, "\n"))
		os.Exit(1)
	}
	fmt.Println("archive matches containerd's writer")
}
