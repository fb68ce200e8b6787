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

// flagSet is one command's flags, aliases included, each bound to what it
// sets: a value flag to a function that takes its text, a boolean to its
// field.
type flagSet struct {
	values map[string]func(string) error
	bools  map[string]*bool
}

// parse reads a command's arguments, with flags before, between or after the
// positional ones until "--", and returns the positional ones. Unknown flags
// are errors, as in runc: nothing is silently dropped.
func (fs flagSet) parse(args []string) ([]string, error) {
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(positional, args[i+1:]...), nil
		}
		name, value, hasValue, isFlag := splitFlag(a)
		if !isFlag {
			positional = append(positional, a)
			continue
		}
		if set, ok := fs.values[name]; ok {
			if !hasValue {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("flag needs an argument: -%s", name)
				}
				i++
				value = args[i]
			}
			if err := set(value); err != nil {
				return nil, err
			}
			continue
		}
		field, ok := fs.bools[name]
		if !ok {
			return nil, fmt.Errorf("flag provided but not defined: -%s", name)
		}
		b := true
		if hasValue {
			var err error
			if b, err = strconv.ParseBool(value); err != nil {
				return nil, fmt.Errorf("invalid boolean value %q for -%s", value, name)
			}
		}
		*field = b
	}
	return positional, nil
}

// text binds a value flag to a string field.
func text(field *string) func(string) error {
	return func(v string) error { *field = v; return nil }
}

// namespaceList binds --empty-ns, which may repeat and takes "a,b" lists.
func namespaceList(field *[]string) func(string) error {
	return func(v string) error {
		for _, ns := range strings.Split(v, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				*field = append(*field, ns)
			}
		}
		return nil
	}
}

// oneID takes a command's single positional argument, the container id, as
// runc requires it.
func oneID(command string, positional []string) (string, error) {
	if len(positional) != 1 {
		return "", fmt.Errorf("runc: %q requires exactly 1 argument(s)", command)
	}
	return positional[0], nil
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

// parseCheckpoint reads `runc checkpoint [flags] <container-id>`.
func parseCheckpoint(args []string) (checkpointFlags, error) {
	f := checkpointFlags{statusFd: -1}
	fs := flagSet{
		values: map[string]func(string) error{
			"image-path": text(&f.imagePath), "work-path": text(&f.workPath),
			"parent-path": text(&f.parentPath), "page-server": text(&f.pageServer),
			"manage-cgroups-mode": text(&f.manageCgroupsMode), "empty-ns": namespaceList(&f.emptyNs),
			"status-fd": func(v string) error {
				n, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("invalid value %q for flag -status-fd: parse error", v)
				}
				f.statusFd = n
				return nil
			},
		},
		bools: map[string]*bool{
			"leave-running": &f.leaveRunning, "tcp-established": &f.tcpEstablished,
			"ext-unix-sk": &f.extUnixSk, "shell-job": &f.shellJob, "lazy-pages": &f.lazyPages,
			"file-locks": &f.fileLocks, "pre-dump": &f.preDump, "auto-dedup": &f.autoDedup,
			"help": &f.help, "h": &f.help,
		},
	}
	positional, err := fs.parse(args)
	if err != nil || f.help {
		return f, err
	}
	f.id, err = oneID("checkpoint", positional)
	return f, err
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
