// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <stdlib.h>
#include <ccr/ccr.h>
*/
import "C"

import (
	"strconv"
	"unsafe"
)

// Stat names one statistic of an operation (ccr_stat). Times are
// microseconds.
type Stat int

const (
	// Checkpoint and pre-dump (CRIU's stats-dump).
	StatFreezingTimeUs       Stat = C.CCR_STAT_FREEZING_TIME_US       // freezing the container
	StatFrozenTimeUs         Stat = C.CCR_STAT_FROZEN_TIME_US         // the container was frozen
	StatMemdumpTimeUs        Stat = C.CCR_STAT_MEMDUMP_TIME_US        // collecting memory (within frozen)
	StatMemwriteTimeUs       Stat = C.CCR_STAT_MEMWRITE_TIME_US       // writing memory out (within memdump)
	StatPagesScanned         Stat = C.CCR_STAT_PAGES_SCANNED          //
	StatPagesSkippedParent   Stat = C.CCR_STAT_PAGES_SKIPPED_PARENT   // unchanged since the parent images
	StatPagesWritten         Stat = C.CCR_STAT_PAGES_WRITTEN          //
	StatPagesLazy            Stat = C.CCR_STAT_PAGES_LAZY             // left to be served lazily
	StatIrmapResolveUs       Stat = C.CCR_STAT_IRMAP_RESOLVE_US       //
	StatPagePipes            Stat = C.CCR_STAT_PAGE_PIPES             //
	StatPagePipeBufs         Stat = C.CCR_STAT_PAGE_PIPE_BUFS         //
	StatShpagesScanned       Stat = C.CCR_STAT_SHPAGES_SCANNED        //
	StatShpagesSkippedParent Stat = C.CCR_STAT_SHPAGES_SKIPPED_PARENT //
	StatShpagesWritten       Stat = C.CCR_STAT_SHPAGES_WRITTEN        //
	// Restore (CRIU's stats-restore).
	StatPagesCompared   Stat = C.CCR_STAT_PAGES_COMPARED    //
	StatPagesSkippedCow Stat = C.CCR_STAT_PAGES_SKIPPED_COW //
	StatForkingTimeUs   Stat = C.CCR_STAT_FORKING_TIME_US   // creating the process tree
	StatRestoreTimeUs   Stat = C.CCR_STAT_RESTORE_TIME_US   // the whole restore, as CRIU counts it
	StatPagesRestored   Stat = C.CCR_STAT_PAGES_RESTORED    //
	// ccr's own clock, for every operation.
	StatWallTimeUs        Stat = C.CCR_STAT_WALL_TIME_US         // the whole call
	StatCriuTimeUs        Stat = C.CCR_STAT_CRIU_TIME_US         // from CRIU's start to its final answer
	StatOutsideCriuTimeUs Stat = C.CCR_STAT_OUTSIDE_CRIU_TIME_US // wall time minus CRIU time
)

// AllStats lists every Stat, in ccr.h's order.
var AllStats = []Stat{
	StatFreezingTimeUs, StatFrozenTimeUs, StatMemdumpTimeUs, StatMemwriteTimeUs,
	StatPagesScanned, StatPagesSkippedParent, StatPagesWritten, StatPagesLazy,
	StatIrmapResolveUs, StatPagePipes, StatPagePipeBufs, StatShpagesScanned,
	StatShpagesSkippedParent, StatShpagesWritten,
	StatPagesCompared, StatPagesSkippedCow, StatForkingTimeUs, StatRestoreTimeUs, StatPagesRestored,
	StatWallTimeUs, StatCriuTimeUs, StatOutsideCriuTimeUs,
}

var statNames = map[Stat]string{
	StatFreezingTimeUs: "freezing_time_us", StatFrozenTimeUs: "frozen_time_us",
	StatMemdumpTimeUs: "memdump_time_us", StatMemwriteTimeUs: "memwrite_time_us",
	StatPagesScanned: "pages_scanned", StatPagesSkippedParent: "pages_skipped_parent",
	StatPagesWritten: "pages_written", StatPagesLazy: "pages_lazy",
	StatIrmapResolveUs: "irmap_resolve_us", StatPagePipes: "page_pipes",
	StatPagePipeBufs: "page_pipe_bufs", StatShpagesScanned: "shpages_scanned",
	StatShpagesSkippedParent: "shpages_skipped_parent", StatShpagesWritten: "shpages_written",
	StatPagesCompared: "pages_compared", StatPagesSkippedCow: "pages_skipped_cow",
	StatForkingTimeUs: "forking_time_us", StatRestoreTimeUs: "restore_time_us",
	StatPagesRestored: "pages_restored",
	StatWallTimeUs:    "wall_time_us", StatCriuTimeUs: "criu_time_us",
	StatOutsideCriuTimeUs: "outside_criu_time_us",
}

// String is the statistic's name as ccr.h spells it, in lower case without
// the CCR_STAT_ prefix ("pages_written"), or "stat(N)" for an unknown one.
func (s Stat) String() string {
	if n, ok := statNames[s]; ok {
		return n
	}
	return "stat(" + strconv.Itoa(int(s)) + ")"
}

// Stats are the statistics libccr knows for an operation. A statistic CRIU
// did not report, or that belongs to the other operation (restore ones
// after a checkpoint), is absent: look one up with
// v, ok := stats[ccr.StatPagesWritten].
type Stats map[Stat]uint64

// statsOf reads every known statistic of a result (ccr_result_stat).
func statsOf(res *C.ccr_result) Stats {
	stats := Stats{}
	if res == nil {
		return stats
	}
	for _, which := range AllStats {
		var v C.uint64_t
		if C.ccr_result_stat(&v, res, C.ccr_stat(which)) == 1 {
			stats[which] = uint64(v)
		}
	}
	return stats
}

// ReadStats reads the statistics CRIU left in a work directory (its
// stats-dump and stats-restore, whichever exist: the images directory
// unless Options.WorkDir was set), for looking at a checkpoint after the
// fact (ccr_stats_read). ccr's clock statistics (StatWallTimeUs, ...) are
// never among them. Errors: CodeNotFound when the directory has neither
// file, CodeImage when one is malformed.
func ReadStats(dir string) (Stats, error) {
	if err := checkLibraryVersion(); err != nil {
		return nil, err
	}
	cs := C.CString(dir)
	defer C.free(unsafe.Pointer(cs))
	var res *C.ccr_result
	if err := takeError(C.ccr_stats_read(&res, cs)); err != nil {
		return nil, err
	}
	defer C.ccr_result_free(res)
	return statsOf(res), nil
}
