// SPDX-License-Identifier: Apache-2.0

package main

// `runc restore`'s flags (runc 1.1 to 1.5 define the same set), which
// include everything containerd's runc shim passes through go-runc's
// RestoreOpts: --image-path, --work-path, --parent-path (go-runc adds it
// when the checkpoint has a parent), --detach, --pid-file,
// --console-socket, --no-pivot, -no-subreaper and --bundle.

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

// parseRestore reads `runc restore [flags] <container-id>`.
func parseRestore(args []string) (restoreFlags, error) {
	var f restoreFlags
	fs := flagSet{
		values: map[string]func(string) error{
			"image-path": text(&f.imagePath), "work-path": text(&f.workPath),
			"parent-path": text(&f.parentPath), "console-socket": text(&f.consoleSocket),
			"bundle": text(&f.bundle), "b": text(&f.bundle), "pid-file": text(&f.pidFile),
			"manage-cgroups-mode": text(&f.manageCgroupsMode), "empty-ns": namespaceList(&f.emptyNs),
			"lsm-profile": text(&f.lsmProfile), "lsm-mount-context": text(&f.lsmMountContext),
		},
		bools: map[string]*bool{
			"detach": &f.detach, "d": &f.detach, "no-subreaper": &f.noSubreaper, "no-pivot": &f.noPivot,
			"tcp-established": &f.tcpEstablished, "ext-unix-sk": &f.extUnixSk, "shell-job": &f.shellJob,
			"file-locks": &f.fileLocks, "auto-dedup": &f.autoDedup, "lazy-pages": &f.lazyPages,
			"help": &f.help, "h": &f.help,
		},
	}
	positional, err := fs.parse(args)
	if err != nil || f.help {
		return f, err
	}
	f.id, err = oneID("restore", positional)
	return f, err
}
