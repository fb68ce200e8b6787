// SPDX-License-Identifier: Apache-2.0
#include "criu_stats.hpp"

#include <fcntl.h>

#include "criu_image.hpp"
#include "error.hpp"
#include "stats.pb.h"
#include "unique_fd.hpp"

namespace ccr {
namespace {

// The single stats_entry a stats image holds, or nullopt when CRIU wrote none.
std::optional<criu::stats_entry> read_stats_image(int dirfd, const char *name)
{
	CriuImage image;
	try {
		image = read_criu_image(dirfd, name, kStatsMagic);
	} catch (const Error &e) {
		if (e.code() == CCR_ERR_NOT_FOUND)
			return std::nullopt;
		throw;
	}
	if (image.entries.empty())
		return std::nullopt;
	criu::stats_entry entry;
	if (!entry.ParseFromString(image.entries.front()))
		throw Error(CCR_ERR_IMAGE, std::string("CRIU image ") + name + ": its entry is not a stats entry");
	return entry;
}

} // namespace

void read_dump_stats(int work_dirfd, OperationStats &s)
{
	auto entry = read_stats_image(work_dirfd, "stats-dump");
	if (!entry || !entry->has_dump())
		return;
	const auto &d = entry->dump();
	s.freezing_time_us = d.freezing_time();
	s.frozen_time_us = d.frozen_time();
	s.memdump_time_us = d.memdump_time();
	s.memwrite_time_us = d.memwrite_time();
	s.pages_scanned = d.pages_scanned();
	s.pages_skipped_parent = d.pages_skipped_parent();
	s.pages_written = d.pages_written();
	s.pages_lazy = d.pages_lazy();
	if (d.has_irmap_resolve())
		s.irmap_resolve_us = d.irmap_resolve();
	if (d.has_page_pipes())
		s.page_pipes = d.page_pipes();
	if (d.has_page_pipe_bufs())
		s.page_pipe_bufs = d.page_pipe_bufs();
	if (d.has_shpages_scanned())
		s.shpages_scanned = d.shpages_scanned();
	if (d.has_shpages_skipped_parent())
		s.shpages_skipped_parent = d.shpages_skipped_parent();
	if (d.has_shpages_written())
		s.shpages_written = d.shpages_written();
}

OperationStats read_stats_dir(const std::string &path)
{
	UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!dir)
		throw_errno("cannot open the work directory " + path);
	OperationStats s;
	read_dump_stats(dir.get(), s);
	read_restore_stats(dir.get(), s);
	if (!s.frozen_time_us && !s.restore_time_us)
		throw Error(CCR_ERR_NOT_FOUND, path + " holds no CRIU statistics (stats-dump or stats-restore)");
	return s;
}

void read_restore_stats(int work_dirfd, OperationStats &s)
{
	auto entry = read_stats_image(work_dirfd, "stats-restore");
	if (!entry || !entry->has_restore())
		return;
	const auto &r = entry->restore();
	s.pages_compared = r.pages_compared();
	s.pages_skipped_cow = r.pages_skipped_cow();
	s.forking_time_us = r.forking_time();
	s.restore_time_us = r.restore_time();
	if (r.has_pages_restored())
		s.pages_restored = r.pages_restored();
}

} // namespace ccr
