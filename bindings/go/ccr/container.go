// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <stdlib.h>
#include <ccr/ccr.h>
*/
import "C"

import (
	"os"
	"unsafe"
)

// Container describes a container for Checkpoint and Restore (ccr_container).
// Only ID is required; empty fields keep libccr's defaults. The same value
// serves both operations.
type Container struct {
	// ID names the container in directory names and messages: letters,
	// digits, '.', '_' and '-'.
	ID string
	// Pid is the container's init as seen from this process's pid
	// namespace. Required for Checkpoint; Restore ignores it.
	Pid int
	// Bundle is the OCI bundle directory; its config.json is read unless
	// ConfigPath or ConfigJSON says otherwise.
	Bundle string
	// ConfigPath reads the OCI config from this file instead.
	ConfigPath string
	// ConfigJSON uses this text as the OCI config (checked at once:
	// CodeConfig if it is not a JSON object).
	ConfigJSON string
	// Rootfs is the root filesystem on the host (absolute), overriding the
	// config's root.path.
	Rootfs string
	// StateDir is where ccr may keep transient state (the restore root
	// mount point). Default: a fresh directory under /run/ccr.
	StateDir string
	// CgroupPath is the container's cgroup, relative to each hierarchy's
	// root ("/ccr/web1"), for every hierarchy. Default: the config's
	// linux.cgroupsPath, else "/<ID>". Checkpoint reads /proc/<pid>/cgroup.
	CgroupPath string
	// CgroupPaths sets the path for single v1 hierarchies, by controller
	// name ("memory", "name=systemd"); applied after CgroupPath.
	CgroupPaths map[string]string
	// Stdin, Stdout and Stderr become the restored container's stdio when
	// its images say those were pipes (Restore). nil keeps this process's
	// own descriptor of that number. ccr does not close them.
	Stdin, Stdout, Stderr *os.File
	// ProcessTree lets Checkpoint take a Pid that is not a container's init:
	// the root of a plain process tree in this process's pid namespace
	// (ccr_container_set_process_tree). Without it such a pid is refused
	// with CodeInvalidArgument. The freezer rules hold either way.
	ProcessTree bool
}

// toC builds the C description. The caller frees it with
// ccr_container_free and keeps c (its files) alive during the C call.
func (c *Container) toC() (*C.ccr_container, error) {
	if c == nil {
		return nil, &Error{Code: CodeInvalidArgument, Message: "the container description is nil"}
	}
	var cc *C.ccr_container
	id := C.CString(c.ID)
	err := takeError(C.ccr_container_new(&cc, id))
	C.free(unsafe.Pointer(id))
	if err != nil {
		return nil, err
	}
	s := setter{}
	if c.Pid != 0 {
		s.call(func() *C.ccr_error { return C.ccr_container_set_pid(cc, C.int(c.Pid)) })
	}
	s.str(c.Bundle, func(v *C.char) *C.ccr_error { return C.ccr_container_set_bundle(cc, v) })
	s.str(c.ConfigPath, func(v *C.char) *C.ccr_error { return C.ccr_container_set_config_path(cc, v) })
	s.str(c.ConfigJSON, func(v *C.char) *C.ccr_error { return C.ccr_container_set_config_json(cc, v) })
	s.str(c.Rootfs, func(v *C.char) *C.ccr_error { return C.ccr_container_set_rootfs(cc, v) })
	s.str(c.StateDir, func(v *C.char) *C.ccr_error { return C.ccr_container_set_state_dir(cc, v) })
	s.str(c.CgroupPath, func(v *C.char) *C.ccr_error { return C.ccr_container_set_cgroup_path(cc, nil, v) })
	for ctrl, path := range c.CgroupPaths {
		s.str2(ctrl, path, func(k, v *C.char) *C.ccr_error { return C.ccr_container_set_cgroup_path(cc, k, v) })
	}
	if c.ProcessTree {
		s.call(func() *C.ccr_error { return C.ccr_container_set_process_tree(cc, 1) })
	}
	if c.Stdin != nil || c.Stdout != nil || c.Stderr != nil {
		s.call(func() *C.ccr_error {
			return C.ccr_container_set_stdio(cc, fileFd(c.Stdin), fileFd(c.Stdout), fileFd(c.Stderr))
		})
	}
	if s.err != nil {
		C.ccr_container_free(cc)
		return nil, s.err
	}
	return cc, nil
}

// fileFd is f's descriptor, or -1 for nil.
func fileFd(f *os.File) C.int {
	if f == nil {
		return -1
	}
	return C.int(f.Fd())
}
