// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <stdlib.h>
#include <ccr/ccr.h>
*/
import "C"

import (
	"context"
	"runtime"
	"time"
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

// ImportLimits bound an import (ccr_options_set_import_limits); a zero
// field keeps libccr's default: 131072 entries, 64 GiB per entry and in
// all, and 1000 times the archive's size (past 256 MiB).
type ImportLimits struct {
	MaxEntries uint64
	MaxBytes   uint64
	MaxRatio   uint32
	// Timeout is the whole import's time limit (ccr_options_set_timeout_ms):
	// CodeTimeout when it runs out. Zero: none.
	Timeout time.Duration
}

// ImportArchiveWith is ImportArchive with limits and a context
// (ccr_archive_import_with_options): when ctx ends the import stops between
// entries with CodeCanceled wrapping ctx.Err(), and destDir is removed.
func ImportArchiveWith(ctx context.Context, path, destDir string, limits *ImportLimits) error {
	if err := checkLibraryVersion(); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return canceledBeforeStart(err)
	}
	o, err := newOptions()
	if err != nil {
		return err
	}
	defer C.ccr_options_free(o)
	s := setter{}
	if limits != nil {
		s.call(func() *C.ccr_error {
			return C.ccr_options_set_import_limits(o, C.uint64_t(limits.MaxEntries), C.uint64_t(limits.MaxBytes),
				C.uint32_t(limits.MaxRatio))
		})
		if limits.Timeout != 0 {
			ms, err := durationUnits(limits.Timeout, time.Millisecond, "Timeout")
			s.fail(err)
			s.call(func() *C.ccr_error { return C.ccr_options_set_timeout_ms(o, C.uint32_t(ms)) })
		}
	}
	if s.err != nil {
		return s.err
	}
	cpath, cdest := C.CString(path), C.CString(destDir)
	defer freeCString(cpath)
	defer freeCString(cdest)
	var cerr *C.ccr_error
	watch(ctx, o, func() { cerr = C.ccr_archive_import_with_options(cpath, cdest, o) })
	if cerr == nil {
		return nil
	}
	e := takeError(cerr).(*Error)
	if e.Code == CodeCanceled && ctx.Err() != nil {
		e.Err = ctx.Err()
	}
	return e
}
