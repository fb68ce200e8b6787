// SPDX-License-Identifier: Apache-2.0

package main

// runc's view of a container: <root>/<id>/state.json, read with runc's own
// type (libcontainer.State, from the runc module go.mod pins) for the init
// pid and start time, the bundle and the cgroup paths, and the status
// rules runc applies to it. The tests read the state of runc 1.1.5 and
// 1.5.3 with it.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/runc/libcontainer"
)

type runcState struct {
	libcontainer.State

	dir string // <root>/<id>
}

var idPattern = regexp.MustCompile(`^[\w+\-.]+$`)

// errNotExist is runc's message for a container it does not know; containerd's
// shim looks for "does not exist".
var errNotExist = errors.New("container does not exist")

func validateID(id string) error {
	if !idPattern.MatchString(id) || id == "." || id == ".." {
		return fmt.Errorf("invalid id format: %v", id)
	}
	return nil
}

func loadState(root, id string) (*runcState, error) {
	if err := validateID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(root, id)
	raw, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNotExist
	}
	if err != nil {
		return nil, err
	}
	st := &runcState{dir: dir}
	if err := json.Unmarshal(raw, st); err != nil {
		return nil, fmt.Errorf("%s/state.json: %w", dir, err)
	}
	if st.InitProcessPid <= 0 {
		return nil, fmt.Errorf("%s/state.json has no init pid", dir)
	}
	return st, nil
}

// bundle is the "bundle=" label runc records at create time.
func (s *runcState) bundle() string {
	for _, l := range s.Config.Labels {
		if v, ok := strings.CutPrefix(l, "bundle="); ok {
			return v
		}
	}
	return ""
}

// status is runc's: "stopped" when the init is gone (or a zombie, or
// another process now has its pid), "paused" when the freezer is frozen,
// "created" while runc's exec fifo exists, else "running".
func (s *runcState) status() string {
	if !s.initAlive() {
		return "stopped"
	}
	if s.frozen() {
		return "paused"
	}
	if _, err := os.Stat(filepath.Join(s.dir, "exec.fifo")); err == nil {
		return "created"
	}
	return "running"
}

func (s *runcState) initAlive() bool {
	start, state, err := procStat(s.InitProcessPid)
	if err != nil {
		return false
	}
	return start == s.InitProcessStartTime && state != 'Z' && state != 'X'
}

// procStat reads a process's start time (field 22) and state (field 3).
func procStat(pid int) (uint64, byte, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, err
	}
	return start, f[0][0], nil
}

// freezer is the container's freezer: the v1 freezer hierarchy, else the
// v2 cgroup (cgroup.freeze), else none.
func (s *runcState) freezer() (dir string, v2 bool) {
	if d := s.CgroupPaths["freezer"]; d != "" {
		return d, false
	}
	if d := s.CgroupPaths[""]; d != "" {
		if _, err := os.Stat(filepath.Join(d, "cgroup.freeze")); err == nil {
			return d, true
		}
	}
	return "", false
}

func (s *runcState) frozen() bool {
	dir, v2 := s.freezer()
	if dir == "" {
		return false
	}
	if v2 {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.freeze"))
		return err == nil && strings.TrimSpace(string(b)) == "1"
	}
	b, err := os.ReadFile(filepath.Join(dir, "freezer.state"))
	st := strings.TrimSpace(string(b))
	return err == nil && (st == "FROZEN" || st == "FREEZING")
}

// thawIfEmpty thaws the container's freezer when no process is left in it:
// a container that was paused when it was checkpointed (containerd pauses
// before it checkpoints) would otherwise read as "paused" to runc, which
// then refuses `runc delete`.
func (s *runcState) thawIfEmpty() error {
	dir, v2 := s.freezer()
	if dir == "" || !s.frozen() {
		return nil
	}
	// The processes CRIU killed may take a moment to leave the cgroup.
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if err != nil {
			return err // gone: nothing to thaw
		}
		if strings.TrimSpace(string(b)) == "" {
			break
		}
		if time.Now().After(deadline) {
			return nil // still in use: leave it alone
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v2 {
		return os.WriteFile(filepath.Join(dir, "cgroup.freeze"), []byte("0"), 0)
	}
	return os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
}
