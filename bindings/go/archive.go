package ccr

/*
#include <stdlib.h>
#include <ccr.h>
*/
import "C"

import (
	"context"
	"runtime"
)

// ExportArchive writes a checkpoint archive of c at path (ccr_archive_export):
// the tar layout of kubelet's checkpoint API, CRI-O, Podman and containerd
// (checkpoint/, config.dump, spec.dump, stats-dump, dump.log, and with
// rootfsDiffDir rootfs-diff.tar and deleted.files), from what Checkpoint
// left in opts.ImagesDir (and opts.WorkDir). Pass the options the
// checkpoint used; only the directories matter (opts.Notify and opts.Log
// are not called).
//
// rootfsDiffDir, when not "", is the container's writable layer (an
// overlayfs upper directory). The archive is created 0600 and appears only
// once complete. Images that need a parent pre-dump are refused
// (CodeUnsupported). When ctx ends the export stops between files with
// CodeCanceled, wrapping ctx.Err().
func ExportArchive(ctx context.Context, path string, c *Container, opts *CheckpointOptions,
	rootfsDiffDir string) error {
	if err := checkLibraryVersion(); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return canceledBeforeStart(err)
	}
	if opts == nil {
		opts = &CheckpointOptions{}
	}
	cc, err := c.toC()
	if err != nil {
		return err
	}
	defer C.ccr_container_free(cc)
	o, err := newOptions()
	if err != nil {
		return err
	}
	defer C.ccr_options_free(o)
	s := setter{}
	opts.apply(&s, o)
	if s.err != nil {
		return s.err
	}

	cpath, cdiff := C.CString(path), cStringOrNil(rootfsDiffDir)
	defer freeCString(cpath)
	defer freeCString(cdiff)
	var cerr *C.ccr_error
	watch(ctx, o, func() { cerr = C.ccr_archive_export(cpath, cc, o, cdiff) })
	runtime.KeepAlive(c)
	runtime.KeepAlive(opts)
	if cerr == nil {
		return nil
	}
	e := takeError(cerr).(*Error)
	if e.Code == CodeCanceled && ctx.Err() != nil {
		e.Err = ctx.Err()
	}
	return e
}

// ImportArchive unpacks the checkpoint archive at path (a tar, uncompressed
// or compressed with gzip or zstd; from ccr, CRI-O, Podman or containerd)
// into destDir, which must not exist (its parent must): ccr_archive_import.
// Restore from filepath.Join(destDir, "checkpoint") afterwards, with your
// own Container. The archive is not trusted: only regular files and
// directories are unpacked, and an unsafe entry fails with CodeImage,
// leaving no destDir behind. Nothing in the archive is acted on.
func ImportArchive(path, destDir string) error {
	if err := checkLibraryVersion(); err != nil {
		return err
	}
	cpath, cdest := C.CString(path), C.CString(destDir)
	defer freeCString(cpath)
	defer freeCString(cdest)
	return takeError(C.ccr_archive_import(cpath, cdest))
}
