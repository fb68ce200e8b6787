// SPDX-License-Identifier: Apache-2.0

package main

// How runc learns about a container ccr restored: ccr-runc writes
// <root>/<id>/state.json with runc's own types (libcontainer.State, the
// configuration specconv derives from the bundle's config.json, the cgroup
// paths runc's cgroup manager computes, the namespace paths of the restored
// init), as runc's restore does once CRIU reports the restored tree. The
// runc module is pinned in go.mod to the runc release whose layout this
// writes (see the README for the runc versions read back by the tests).

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/cgroups"
	cgmanager "github.com/opencontainers/cgroups/manager"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runcRecord is what ccr-runc needs to register a restored container with
// runc: the configuration runc would derive from the bundle, and its cgroup
// manager.
type runcRecord struct {
	root, id string
	dir      string // <root>/<id>
	config   *configs.Config
	cgroups  cgroups.Manager
}

// prepareRecord loads the bundle's config.json and derives runc's
// configuration from it, before anything is restored, so that a bundle runc
// would refuse is refused first. The working directory must be the bundle
// (specconv takes it for the bundle path, as runc does after its chdir).
func prepareRecord(g globalOptions, id string, noPivot bool) (*runcRecord, error) {
	if err := validateID(id); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile("config.json")
	if errors.Is(err, os.ErrNotExist) {
		return nil, errors.New("JSON specification file config.json not found")
	}
	if err != nil {
		return nil, err
	}
	var spec *specs.Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	if spec == nil {
		return nil, errors.New("config cannot be null")
	}
	if spec.Hooks != nil && (len(spec.Hooks.Prestart) > 0 || len(spec.Hooks.CreateRuntime) > 0 ||
		len(spec.Hooks.CreateContainer) > 0 || len(spec.Hooks.StartContainer) > 0) { //nolint:staticcheck // Prestart is what runc still runs
		// runc runs these during its restore; ccr-runc does not run OCI hooks.
		return nil, errors.New("ccr-runc restore does not run OCI hooks, and config.json has prestart, createRuntime, createContainer or startContainer hooks")
	}
	config, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName:       id,
		UseSystemdCgroup: g.systemdCgroup,
		NoPivotRoot:      noPivot,
		Spec:             spec,
	})
	if err != nil {
		return nil, err
	}
	cm, err := cgmanager.New(config.Cgroups)
	if err != nil {
		return nil, err
	}
	return &runcRecord{root: g.root, id: id, dir: filepath.Join(g.root, id), config: config, cgroups: cm}, nil
}

// claim creates <root>/<id> (0711, as runc), failing if runc already knows
// a container of that id.
func (r *runcRecord) claim() error {
	if err := os.MkdirAll(r.root, 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(r.dir, 0o711); err != nil {
		if errors.Is(err, os.ErrExist) {
			return errors.New("container with given ID already exists")
		}
		return err
	}
	return nil
}

// release removes what claim and the restore made: the state directory and
// the container's cgroups (once its processes are gone).
func (r *runcRecord) release() {
	os.RemoveAll(r.dir)
	if r.cgroups != nil {
		r.cgroups.Destroy()
	}
}

// cgroupPaths are the cgroups runc's manager computes for the container,
// which is where ccr restores it (both start from linux.cgroupsPath).
func (r *runcRecord) cgroupPaths() map[string]string { return r.cgroups.GetPaths() }

// write records the restored init as the container's init, in runc's
// state.json, written whole and renamed into place as runc does.
func (r *runcRecord) write(pid int) error {
	start, _, err := procStat(pid)
	if err != nil {
		return fmt.Errorf("the restored init %d: %w", pid, err)
	}
	config := *r.config
	// CRIU restores the tree into a new time namespace (runc adds it to the
	// configuration for the same reason): `runc exec` must join it too.
	if !config.Namespaces.Contains(configs.NEWTIME) && configs.IsNamespaceSupported(configs.NEWTIME) &&
		nsDiffers(pid, "time") {
		config.Namespaces = append(config.Namespaces, configs.Namespace{Type: configs.NEWTIME})
	}
	st := libcontainer.State{
		BaseState: libcontainer.BaseState{
			ID:                   r.id,
			InitProcessPid:       pid,
			InitProcessStartTime: start,
			Created:              time.Now().UTC(),
			Config:               config,
		},
		CgroupPaths:         r.cgroupPaths(),
		NamespacePaths:      map[configs.NamespaceType]string{},
		ExternalDescriptors: stdioOf(pid),
	}
	for _, ns := range config.Namespaces {
		st.NamespacePaths[ns.Type] = ns.GetPath(pid)
	}
	for _, t := range configs.NamespaceTypes() {
		if _, ok := st.NamespacePaths[t]; !ok && configs.IsNamespaceSupported(t) {
			ns := configs.Namespace{Type: t}
			st.NamespacePaths[t] = ns.GetPath(pid)
		}
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(r.dir, "state-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(r.dir, "state.json"))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// nsDiffers says whether pid's namespace of that kind is not this process's.
func nsDiffers(pid int, kind string) bool {
	theirs, err1 := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + kind)
	ours, err2 := os.Readlink("/proc/self/ns/" + kind)
	return err1 == nil && err2 == nil && theirs != ours
}

// stdioOf lists what the init's descriptors 0, 1 and 2 are ("pipe:[...]",
// "/dev/null"), as runc records them at create time: the next checkpoint
// writes them to descriptors.json, and the restore after it hands the new
// stdio in their place.
func stdioOf(pid int) []string {
	out := make([]string, 3)
	for i := range out {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, i))
		if err != nil {
			l = "/dev/null"
		}
		out[i] = l
	}
	return out
}

// writePidFile writes the pid as runc does: a hidden temporary file in the
// same directory, renamed into place.
func writePidFile(path string, pid int) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_SYNC|syscall.O_CLOEXEC, 0o666)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strconv.Itoa(pid))
	f.Close()
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// systemdCgroupsPath says whether the configuration uses systemd's cgroup
// notation (slice:prefix:name), which ccr does not place processes by.
func systemdCgroupsPath(p string) bool {
	return strings.Count(p, ":") == 2 && !strings.HasPrefix(p, "/")
}
