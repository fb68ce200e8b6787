// SPDX-License-Identifier: Apache-2.0
// CRIU's statistics for an operation (stats-dump, stats-restore in the work
// directory), plus ccr's own timing, as one flat value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ccr {

struct OperationStats {
	// From stats-dump (checkpoint, pre-dump).
	std::optional<uint64_t> freezing_time_us, frozen_time_us, memdump_time_us, memwrite_time_us;
	std::optional<uint64_t> pages_scanned, pages_skipped_parent, pages_written, pages_lazy;
	std::optional<uint64_t> irmap_resolve_us, page_pipes, page_pipe_bufs;
	std::optional<uint64_t> shpages_scanned, shpages_skipped_parent, shpages_written;
	// From stats-restore.
	std::optional<uint64_t> pages_compared, pages_skipped_cow, forking_time_us, restore_time_us, pages_restored;
	// ccr's own clock: the whole call, and the part CRIU was running for
	// (from its start to its final answer).
	std::optional<uint64_t> wall_time_us, criu_time_us;
};

// Fills the CRIU part of `stats` from the work directory. A missing file
// leaves the fields unset; a malformed one throws CCR_ERR_IMAGE.
void read_dump_stats(int work_dirfd, OperationStats &stats);
void read_restore_stats(int work_dirfd, OperationStats &stats);

// Both files from the directory at `path` (opened without following a final
// symlink). CCR_ERR_NOT_FOUND when it holds neither.
OperationStats read_stats_dir(const std::string &path);

} // namespace ccr
