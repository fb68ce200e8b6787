// SPDX-License-Identifier: Apache-2.0

package main

// `runc restore`'s flags (runc 1.1 to 1.5 define the same set), which
// include everything containerd's runc shim passes through go-runc's
// RestoreOpts: --image-path, --work-path, --parent-path (go-runc adds it
// when the checkpoint has a parent), --detach, --pid-file,
// --console-socket, --no-pivot, -no-subreaper and --bundle.

import (
	"fmt"
	"strconv"
	"strings"
)

type restoreFlags struct {
	imagePath, workPath, parentPath string
	consoleSocket, bundle, pidFile  string
	manageCgroupsMode               string
	lsmProfile, lsmMountContext     string
	detach, noSubreaper, noPivot    bool
	tcpEstablished, extUnixSk       bool
	shellJob, fileLocks             bool
	autoDedup, lazyPages            bool
	emptyNs                         []string
	help                            bool
	id                              string
}

var restoreValueFlags = map[string]string{
	"image-path": "image-path", "work-path": "work-path", "parent-path": "parent-path",
	"console-socket": "console-socket", "bundle": "bundle", "b": "bundle", "pid-file": "pid-file",
	"manage-cgroups-mode": "manage-cgroups-mode", "empty-ns": "empty-ns",
	"lsm-profile": "lsm-profile", "lsm-mount-context": "lsm-mount-context",
}

var restoreBoolFlags = map[string]string{
	"detach": "detach", "d": "detach", "no-subreaper": "no-subreaper", "no-pivot": "no-pivot",
	"tcp-established": "tcp-established", "ext-unix-sk": "ext-unix-sk", "shell-job": "shell-job",
	"file-locks": "file-locks", "auto-dedup": "auto-dedup", "lazy-pages": "lazy-pages",
	"help": "help", "h": "help",
}

// parseRestore reads `runc restore [flags] <container-id>`. Unknown flags
// are errors, as in runc.
func parseRestore(args []string) (restoreFlags, error) {
	var f restoreFlags
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		name, value, hasValue, isFlag := splitFlag(a)
		if !isFlag {
			positional = append(positional, a)
			continue
		}
		if canon, ok := restoreValueFlags[name]; ok {
			if !hasValue {
				if i+1 >= len(args) {
					return f, fmt.Errorf("flag needs an argument: -%s", name)
				}
				i++
				value = args[i]
			}
			switch canon {
			case "image-path":
				f.imagePath = value
			case "work-path":
				f.workPath = value
			case "parent-path":
				f.parentPath = value
			case "console-socket":
				f.consoleSocket = value
			case "bundle":
				f.bundle = value
			case "pid-file":
				f.pidFile = value
			case "manage-cgroups-mode":
				f.manageCgroupsMode = value
			case "lsm-profile":
				f.lsmProfile = value
			case "lsm-mount-context":
				f.lsmMountContext = value
			case "empty-ns":
				for _, ns := range strings.Split(value, ",") {
					if ns = strings.TrimSpace(ns); ns != "" {
						f.emptyNs = append(f.emptyNs, ns)
					}
				}
			}
			continue
		}
		canon, ok := restoreBoolFlags[name]
		if !ok {
			return f, fmt.Errorf("flag provided but not defined: -%s", name)
		}
		b := true
		if hasValue {
			var err error
			if b, err = strconv.ParseBool(value); err != nil {
				return f, fmt.Errorf("invalid boolean value %q for -%s", value, name)
			}
		}
		switch canon {
		case "detach":
			f.detach = b
		case "no-subreaper":
			f.noSubreaper = b
		case "no-pivot":
			f.noPivot = b
		case "tcp-established":
			f.tcpEstablished = b
		case "ext-unix-sk":
			f.extUnixSk = b
		case "shell-job":
			f.shellJob = b
		case "file-locks":
			f.fileLocks = b
		case "auto-dedup":
			f.autoDedup = b
		case "lazy-pages":
			f.lazyPages = b
		case "help":
			f.help = b
		}
	}
	if f.help {
		return f, nil
	}
	if len(positional) != 1 {
		return f, fmt.Errorf("runc: \"restore\" requires exactly 1 argument(s)")
	}
	f.id = positional[0]
	return f, nil
}
