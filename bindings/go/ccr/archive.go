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
// (checkpoint/, config.dump, spec.dump, status.dump, status, stats-dump, dump.log, and with
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
	return ExportArchiveWithMetadata(ctx, path, c, opts, rootfsDiffDir, nil)
}

// ArchiveMetadata is what an exported archive records about the container,
// as the engine that writes the same layout would (ccr_options_set_archive_*):
// ccr is handed a bundle, not an engine's record of the container, so it
// knows these only when told. A zero field keeps ccr's own answer.
type ArchiveMetadata struct {
	// Engine is whose archive to write: "containerd" (the default when
	// empty: config.dump, spec.dump, status.dump and status as containerd
	// 2.4 writes them) or "cri-o" (CRI-O's annotations, no status files).
	// (set_archive_engine)
	Engine string
	// ContainerName is the container's name in its engine (default: its
	// id). (set_archive_container_name)
	ContainerName string
	// ImageName is the image the rootfs came from
	// ("docker.io/library/busybox:1.36"); ImageRef its digest reference.
	// (set_archive_image)
	ImageName, ImageRef string
	// Created is when the container was created (default: its init's start
	// while it still runs); Checkpointed when it was checkpointed (default:
	// when CRIU wrote the images). Both must be after 1970.
	// (set_archive_times)
	Created, Checkpointed time.Time
}

// apply sets m on o; an unset time stays 0 (ccr's own answer).
func (m *ArchiveMetadata) apply(s *setter, o *C.ccr_options) {
	if m == nil {
		return
	}
	s.str(m.Engine, func(v *C.char) *C.ccr_error { return C.ccr_options_set_archive_engine(o, v) })
	s.str(m.ContainerName, func(v *C.char) *C.ccr_error { return C.ccr_options_set_archive_container_name(o, v) })
	if m.ImageName != "" || m.ImageRef != "" {
		s.call(func() *C.ccr_error {
			name, ref := C.CString(m.ImageName), C.CString(m.ImageRef)
			defer freeCString(name)
			defer freeCString(ref)
			return C.ccr_options_set_archive_image(o, name, ref)
		})
	}
	if !m.Created.IsZero() || !m.Checkpointed.IsZero() {
		unixNano := func(t time.Time, what string) int64 {
			if t.IsZero() {
				return 0
			}
			if t.Unix() < 0 || t.Year() > 2262 {
				s.fail(&Error{Code: CodeInvalidArgument, Message: "archive " + what + " time " +
					t.String() + " is outside 1970 to 2262"})
			}
			return t.UnixNano()
		}
		created, checkpointed := unixNano(m.Created, "creation"), unixNano(m.Checkpointed, "checkpoint")
		s.call(func() *C.ccr_error {
			return C.ccr_options_set_archive_times(o, C.int64_t(created), C.int64_t(checkpointed))
		})
	}
}

// ExportArchiveWithMetadata is ExportArchive recording meta (nil: nothing
// beyond what ccr knows) in the archive's config.dump, spec.dump,
// status.dump and status.
func ExportArchiveWithMetadata(ctx context.Context, path string, c *Container, opts *CheckpointOptions,
	rootfsDiffDir string, meta *ArchiveMetadata) error {
	ctx, err := begin(ctx)
	if err != nil {
		return err
	}
	if opts == nil {
		opts = &CheckpointOptions{}
	}
	cc, err := c.toC()
	if err != nil {
		return err
	}
	defer C.ccr_container_free(cc)
	cpath, cdiff := C.CString(path), cStringOrNil(rootfsDiffDir)
	defer freeCString(cpath)
	defer freeCString(cdiff)
	err = callWithOptions(ctx, func(s *setter, o *C.ccr_options) {
		opts.apply(s, o)
		meta.apply(s, o)
	}, func(o *C.ccr_options) *C.ccr_error { return C.ccr_archive_export(cpath, cc, o, cdiff) })
	runtime.KeepAlive(c)
	runtime.KeepAlive(opts)
	return err
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
	// MaxEntries, MaxBytes and MaxRatio are the three limits, in the order
	// ccr.h gives them. (set_import_limits)
	MaxEntries uint64
	MaxBytes   uint64 // (set_import_limits)
	MaxRatio   uint32 // (set_import_limits)
	// Timeout is the whole import's time limit (ccr_options_set_timeout_ms):
	// CodeTimeout when it runs out. Zero: none.
	Timeout time.Duration
}

// ImportArchiveWith is ImportArchive with limits and a context
// (ccr_archive_import_with_options): when ctx ends the import stops between
// entries with CodeCanceled wrapping ctx.Err(), and destDir is removed.
func ImportArchiveWith(ctx context.Context, path, destDir string, limits *ImportLimits) error {
	ctx, err := begin(ctx)
	if err != nil {
		return err
	}
	cpath, cdest := C.CString(path), C.CString(destDir)
	defer freeCString(cpath)
	defer freeCString(cdest)
	return callWithOptions(ctx, limits.apply, func(o *C.ccr_options) *C.ccr_error {
		return C.ccr_archive_import_with_options(cpath, cdest, o)
	})
}

// apply sets the limits on o; nil sets none.
func (limits *ImportLimits) apply(s *setter, o *C.ccr_options) {
	if limits == nil {
		return
	}
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
