// SPDX-License-Identifier: Apache-2.0

package main

// Command-line parsing, runc 1.1's way (urfave/cli v1 over Go's flag
// package): "-name" and "--name" are the same flag, values come as
// "--name=value" or "--name value", booleans take "--name" or
// "--name=true|false", and a command's flags may follow its positional
// arguments until "--".

import (
	"fmt"
	"strconv"
	"strings"
)

// globalOptions are runc's global flags, which come before the command.
type globalOptions struct {
	root          string // --root: runc's state directory (default /run/runc)
	log           string // --log: log file (default stderr)
	logFormat     string // --log-format: "text" or "json"
	criu          string // --criu: the CRIU binary
	rootless      string // --rootless: "true", "false" or "auto"
	debug         bool   // --debug
	systemdCgroup bool   // --systemd-cgroup
	help, version bool   // --help/-h, --version/-v: always runc's answer
}

const defaultRuncRoot = "/run/runc"

var globalValueFlags = map[string]bool{"root": true, "log": true, "log-format": true, "criu": true, "rootless": true}
var globalBoolFlags = map[string]bool{"debug": true, "systemd-cgroup": true, "help": true, "h": true, "version": true, "v": true}

// invocation is a command line split at the command.
type invocation struct {
	global  globalOptions
	command string   // "" when there is none (runc --version, runc alone)
	args    []string // the command's own arguments
	// globalErr is the first problem with the global flags: an unknown
	// flag, a missing value. It matters only to the commands ccr-runc runs
	// itself; runc reports its own.
	globalErr error
}

// parseInvocation splits args (without the program name) into global flags,
// the command and its arguments. An unknown global flag is taken for a
// boolean so the command can still be found.
func parseInvocation(args []string) invocation {
	inv := invocation{global: globalOptions{root: defaultRuncRoot, logFormat: "text", rootless: "auto"}}
	fail := func(err error) {
		if inv.globalErr == nil {
			inv.globalErr = err
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				inv.command, inv.args = args[i+1], args[i+2:]
			}
			return inv
		}
		name, value, hasValue, isFlag := splitFlag(a)
		if !isFlag {
			inv.command, inv.args = a, args[i+1:]
			return inv
		}
		switch {
		case globalValueFlags[name]:
			if !hasValue {
				if i+1 >= len(args) {
					fail(fmt.Errorf("flag needs an argument: -%s", name))
					return inv
				}
				i++
				value = args[i]
			}
			switch name {
			case "root":
				inv.global.root = value
			case "log":
				inv.global.log = value
			case "log-format":
				if value != "text" && value != "json" {
					fail(fmt.Errorf("invalid log-format: %s", value))
				}
				inv.global.logFormat = value
			case "criu":
				inv.global.criu = value
			case "rootless":
				if value != "true" && value != "false" && value != "auto" {
					fail(fmt.Errorf("invalid value for --rootless: %q (want true, false or auto)", value))
				}
				inv.global.rootless = value
			}
		case globalBoolFlags[name]:
			b := true
			if hasValue {
				var err error
				if b, err = strconv.ParseBool(value); err != nil {
					fail(fmt.Errorf("invalid boolean value %q for -%s", value, name))
				}
			}
			switch name {
			case "debug":
				inv.global.debug = b
			case "systemd-cgroup":
				inv.global.systemdCgroup = b
			case "help", "h":
				inv.global.help = b
			case "version", "v":
				inv.global.version = b
			}
		default:
			fail(fmt.Errorf("flag provided but not defined: -%s", name))
		}
	}
	return inv
}

// splitFlag reads "-name", "--name", "-name=value" and "--name=value".
func splitFlag(a string) (name, value string, hasValue, isFlag bool) {
	if len(a) < 2 || a[0] != '-' {
		return "", "", false, false
	}
	name = strings.TrimPrefix(a[1:], "-")
	if name == "" || name[0] == '-' || name[0] == '=' {
		return "", "", false, false
	}
	if eq := strings.IndexByte(name, '='); eq >= 0 {
		name, value, hasValue = name[:eq], name[eq+1:], true
	}
	return name, value, hasValue, true
}

// checkpointFlags are runc checkpoint's flags (runc 1.1), which are also
// every flag containerd's runc shims pass (go-runc's CheckpointOpts and
// actions: --image-path, --work-path, --parent-path, --leave-running,
// --tcp-established, --ext-unix-sk, --shell-job, --file-locks, --empty-ns,
// --lazy-pages, --status-fd, --pre-dump).
type checkpointFlags struct {
	imagePath, workPath, parentPath string
	leaveRunning                    bool
	tcpEstablished, extUnixSk       bool
	shellJob, fileLocks             bool
	lazyPages, preDump, autoDedup   bool
	statusFd                        int // -1: none
	pageServer                      string
	manageCgroupsMode               string
	emptyNs                         []string // as given; "a,b" is split
	help                            bool
	id                              string
}

var checkpointValueFlags = map[string]bool{
	"image-path": true, "work-path": true, "parent-path": true, "status-fd": true,
	"page-server": true, "manage-cgroups-mode": true, "empty-ns": true,
}

var checkpointBoolFlags = map[string]bool{
	"leave-running": true, "tcp-established": true, "ext-unix-sk": true, "shell-job": true,
	"lazy-pages": true, "file-locks": true, "pre-dump": true, "auto-dedup": true, "help": true, "h": true,
}

// parseCheckpoint reads `runc checkpoint [flags] <container-id>`. Unknown
// flags are errors, as in runc: nothing is silently dropped.
func parseCheckpoint(args []string) (checkpointFlags, error) {
	f := checkpointFlags{statusFd: -1}
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
		switch {
		case checkpointValueFlags[name]:
			if !hasValue {
				if i+1 >= len(args) {
					return f, fmt.Errorf("flag needs an argument: -%s", name)
				}
				i++
				value = args[i]
			}
			switch name {
			case "image-path":
				f.imagePath = value
			case "work-path":
				f.workPath = value
			case "parent-path":
				f.parentPath = value
			case "status-fd":
				n, err := strconv.Atoi(value)
				if err != nil {
					return f, fmt.Errorf("invalid value %q for flag -status-fd: parse error", value)
				}
				f.statusFd = n
			case "page-server":
				f.pageServer = value
			case "manage-cgroups-mode":
				f.manageCgroupsMode = value
			case "empty-ns":
				for _, ns := range strings.Split(value, ",") {
					if ns = strings.TrimSpace(ns); ns != "" {
						f.emptyNs = append(f.emptyNs, ns)
					}
				}
			}
		case checkpointBoolFlags[name]:
			b := true
			if hasValue {
				var err error
				if b, err = strconv.ParseBool(value); err != nil {
					return f, fmt.Errorf("invalid boolean value %q for -%s", value, name)
				}
			}
			switch name {
			case "leave-running":
				f.leaveRunning = b
			case "tcp-established":
				f.tcpEstablished = b
			case "ext-unix-sk":
				f.extUnixSk = b
			case "shell-job":
				f.shellJob = b
			case "lazy-pages":
				f.lazyPages = b
			case "file-locks":
				f.fileLocks = b
			case "pre-dump":
				f.preDump = b
			case "auto-dedup":
				f.autoDedup = b
			case "help", "h":
				f.help = b
			}
		default:
			return f, fmt.Errorf("flag provided but not defined: -%s", name)
		}
	}
	if f.help {
		return f, nil
	}
	if len(positional) != 1 {
		return f, fmt.Errorf("runc: \"checkpoint\" requires exactly 1 argument(s)")
	}
	f.id = positional[0]
	return f, nil
}

// parsePageServer reads --page-server ADDRESS:PORT as runc does.
func parsePageServer(s string) (string, int, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 2 {
		return "", 0, fmt.Errorf("Use --page-server ADDRESS:PORT to specify page server")
	}
	port, err := strconv.Atoi(parts[1])
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("Invalid port number %q in --page-server", parts[1])
	}
	return parts[0], port, nil
}
