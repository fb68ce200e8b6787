// SPDX-License-Identifier: Apache-2.0

package ccr

import (
	"fmt"
	"strings"
	"syscall"
)

// ContainerdCheckpointOptions has the fields of containerd's runc
// CheckpointOptions (api/types/runc/options, message CheckpointOptions),
// plus the paths a shim knows, so a shim can hand over what it was given.
type ContainerdCheckpointOptions struct {
	// Exit stops the container after the checkpoint; false leaves it
	// running (containerd's shim adds runc's --leave-running then).
	Exit bool
	// OpenTcp allows established TCP connections.
	OpenTcp bool
	// ExternalUnixSockets allows external unix sockets.
	ExternalUnixSockets bool
	// Terminal allows a terminal (runc's --shell-job, as containerd maps it).
	Terminal bool
	// FileLocks allows file locks.
	FileLocks bool
	// EmptyNamespaces are OCI namespace types to create empty on restore
	// ("network").
	EmptyNamespaces []string
	// CgroupsMode is "soft", "full", "strict", "ignore" (also "none",
	// "props"), or "" for CRIU's default. containerd's own shim drops it;
	// ccr forwards it.
	CgroupsMode string
	// ImagePath is the images directory.
	ImagePath string
	// WorkPath is CRIU's work directory ("" = ImagePath).
	WorkPath string
	// ParentPath is a previous pre-dump's images, relative to ImagePath.
	ParentPath string
	// CriuPath is the CRIU binary ("" = from PATH).
	CriuPath string
}

// ContainerdRestoreOptions are the settings a containerd shim restores with:
// the checkpoint's flags again (runc restore takes the same ones), the
// paths, and runc restore's --console-socket.
type ContainerdRestoreOptions struct {
	OpenTcp             bool
	ExternalUnixSockets bool
	Terminal            bool
	FileLocks           bool
	EmptyNamespaces     []string
	CgroupsMode         string
	ImagePath           string
	WorkPath            string
	CriuPath            string
	// ConsoleSocket receives the terminal master of a restored container
	// that had a terminal.
	ConsoleSocket string
}

// CheckpointOptions maps containerd's options to ccr's, as containerd's
// shim maps them to runc checkpoint's flags: Exit=false means LeaveRunning,
// Terminal means ShellJob, EmptyNamespaces become CLONE_NEW* flags. Unlike
// containerd's shim it forwards CgroupsMode.
func (c ContainerdCheckpointOptions) CheckpointOptions() (CheckpointOptions, error) {
	common, err := containerdCommon(c.OpenTcp, c.ExternalUnixSockets, c.Terminal, c.FileLocks,
		c.EmptyNamespaces, c.CgroupsMode, c.ImagePath, c.WorkPath, c.CriuPath)
	if err != nil {
		return CheckpointOptions{}, err
	}
	return CheckpointOptions{Options: common, LeaveRunning: !c.Exit, ParentPath: c.ParentPath}, nil
}

// RestoreOptions maps containerd's restore settings to ccr's, the same way.
func (c ContainerdRestoreOptions) RestoreOptions() (RestoreOptions, error) {
	common, err := containerdCommon(c.OpenTcp, c.ExternalUnixSockets, c.Terminal, c.FileLocks,
		c.EmptyNamespaces, c.CgroupsMode, c.ImagePath, c.WorkPath, c.CriuPath)
	if err != nil {
		return RestoreOptions{}, err
	}
	return RestoreOptions{Options: common, ConsoleSocket: c.ConsoleSocket}, nil
}

func containerdCommon(openTCP, extUnix, terminal, fileLocks bool, emptyNS []string, cgroupsMode,
	imagePath, workPath, criuPath string) (Options, error) {
	flags, err := NamespaceFlags(emptyNS)
	if err != nil {
		return Options{}, err
	}
	mode, err := ParseCgroupMode(cgroupsMode)
	if err != nil {
		return Options{}, err
	}
	return Options{
		ImagesDir:       imagePath,
		WorkDir:         workPath,
		CriuPath:        criuPath,
		TCPEstablished:  openTCP,
		ExtUnixSockets:  extUnix,
		ShellJob:        terminal,
		FileLocks:       fileLocks,
		EmptyNamespaces: flags,
		CgroupMode:      mode,
	}, nil
}

// namespaceFlags are the OCI namespace types runc's --empty-ns knows.
// libccr accepts only "network" (CLONE_NEWNET) today and says so for the
// others.
var namespaceFlags = map[string]uint{
	"network": syscall.CLONE_NEWNET,
	"pid":     syscall.CLONE_NEWPID,
	"mount":   syscall.CLONE_NEWNS,
	"ipc":     syscall.CLONE_NEWIPC,
	"uts":     syscall.CLONE_NEWUTS,
	"user":    syscall.CLONE_NEWUSER,
	"cgroup":  syscall.CLONE_NEWCGROUP,
}

// NamespaceFlags turns OCI namespace type names ("network") into CLONE_NEW*
// flags for Options.EmptyNamespaces.
func NamespaceFlags(names []string) (uint, error) {
	var flags uint
	for _, n := range names {
		f, ok := namespaceFlags[n]
		if !ok {
			return 0, &Error{Code: CodeInvalidArgument, Message: fmt.Sprintf("namespace %q is not supported", n)}
		}
		flags |= f
	}
	return flags, nil
}

// ParseCgroupMode reads runc's --manage-cgroups-mode names: "" is
// CgroupDefault; "soft", "full", "strict", "ignore", "none", "props".
func ParseCgroupMode(s string) (CgroupMode, error) {
	switch strings.ToLower(s) {
	case "":
		return CgroupDefault, nil
	case "soft":
		return CgroupSoft, nil
	case "full":
		return CgroupFull, nil
	case "strict":
		return CgroupStrict, nil
	case "ignore":
		return CgroupIgnore, nil
	case "none":
		return CgroupNone, nil
	case "props":
		return CgroupProps, nil
	}
	return CgroupDefault, &Error{Code: CodeInvalidArgument, Message: fmt.Sprintf("unknown cgroups mode %q", s)}
}
