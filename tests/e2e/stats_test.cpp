// SPDX-License-Identifier: Apache-2.0
// CRIU's statistics through the C ABI: a checkpoint reports what CRIU wrote,
// and the pages written grow with the memory the container has touched.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace {

using namespace e2e;

// The default workload after the shell has filled a string of `mib` MiB: a
// real, touched heap of that size in the container.
std::vector<std::string> workload_touching(int mib)
{
	std::string fill = mib ? "x=$(head -c " + std::to_string(mib << 20) + " /dev/zero | tr '\\0' a); " : "";
	return {"sh", "-c", fill + "i=0; while read line; do i=$((i+1)); echo \"$line $i\"; done"};
}

uint64_t stat_of(const ResultPtr &r, ccr_stat which)
{
	uint64_t v = 0;
	EXPECT_EQ(ccr_result_stat(&v, r.get(), which), 1) << "statistic " << int(which) << " missing";
	return v;
}

struct Measured {
	uint64_t pages_written, pages_scanned, frozen_us, memdump_us, memwrite_us, wall_us, criu_us;
};

Measured checkpoint_with_stats(int mib)
{
	ContainerOptions opts;
	opts.args = workload_touching(mib);
	Container c(opts);
	c.start();
	EXPECT_EQ(c.ask("a", std::chrono::seconds(60)), "a 1"); // the fill is done
	OptionsPtr o = make_options(c.dir().path() + "/images");
	expect_ok(ccr_options_set_leave_running(o.get(), 1));
	ContainerPtr h = c.handle();
	ccr_result *raw = nullptr;
	expect_ok(ccr_checkpoint(&raw, h.get(), o.get()));
	ResultPtr r(raw);
	Measured m{stat_of(r, CCR_STAT_PAGES_WRITTEN),    stat_of(r, CCR_STAT_PAGES_SCANNED),
		   stat_of(r, CCR_STAT_FROZEN_TIME_US),   stat_of(r, CCR_STAT_MEMDUMP_TIME_US),
		   stat_of(r, CCR_STAT_MEMWRITE_TIME_US), stat_of(r, CCR_STAT_WALL_TIME_US),
		   stat_of(r, CCR_STAT_CRIU_TIME_US)};
	uint64_t restored;
	EXPECT_EQ(ccr_result_stat(&restored, r.get(), CCR_STAT_RESTORE_TIME_US), 0) << "a restore stat on a dump";
	EXPECT_EQ(c.ask("b"), "b 2");
	return m;
}

} // namespace

TEST(Stats, PagesWrittenGrowWithTouchedMemory)
{
	require_prerequisites();
	Measured none = checkpoint_with_stats(0);
	Measured small = checkpoint_with_stats(16);
	Measured large = checkpoint_with_stats(48);
	constexpr uint64_t kPagesPerMiB = (1 << 20) / 4096;
	// The heap holds at least the string: its pages are written.
	EXPECT_GE(small.pages_written, none.pages_written + 16 * kPagesPerMiB * 9 / 10);
	EXPECT_GE(large.pages_written, small.pages_written + 32 * kPagesPerMiB * 9 / 10);
	for (const Measured *m : {&none, &small, &large}) {
		EXPECT_GE(m->pages_scanned, m->pages_written);
		// CRIU's nesting: memwrite within memdump within frozen.
		EXPECT_LE(m->memwrite_us, m->memdump_us);
		EXPECT_LE(m->memdump_us, m->frozen_us);
		// ccr's clock: CRIU's span within the call.
		EXPECT_LE(m->criu_us, m->wall_us);
		EXPECT_GT(m->criu_us, 0u);
	}
}

TEST(Stats, RestoreReportsItsOwnStatistics)
{
	require_prerequisites();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	std::string images = c.dir().path() + "/images";
	ASSERT_FALSE(checkpoint(c, images));
	ASSERT_TRUE(wait_gone(c.pid()));
	c.delete_runc_container();

	Pipes p = Pipes::make();
	ContainerPtr h = c.handle();
	expect_ok(ccr_container_set_stdio(h.get(), p.container_stdin(), p.container_stdout(), p.container_stderr()));
	OptionsPtr o = make_options(images);
	ccr_result *raw = nullptr;
	expect_ok(ccr_restore(&raw, h.get(), o.get()));
	ResultPtr r(raw);
	c.adopt_pid(ccr_result_pid(r.get()));
	c.use_pipes(std::move(p));
	EXPECT_GT(stat_of(r, CCR_STAT_RESTORE_TIME_US), 0u);
	EXPECT_GT(stat_of(r, CCR_STAT_PAGES_RESTORED), 0u);
	uint64_t outside = stat_of(r, CCR_STAT_OUTSIDE_CRIU_TIME_US);
	EXPECT_EQ(outside, stat_of(r, CCR_STAT_WALL_TIME_US) - stat_of(r, CCR_STAT_CRIU_TIME_US));
	uint64_t dumped;
	EXPECT_EQ(ccr_result_stat(&dumped, r.get(), CCR_STAT_PAGES_WRITTEN), 0) << "a dump stat on a restore";
	EXPECT_EQ(c.ask("b"), "b 2");

	// The same numbers, read back from the work directory afterwards.
	ccr_result *again = nullptr;
	expect_ok(ccr_stats_read(&again, images.c_str()));
	ResultPtr a(again);
	EXPECT_EQ(stat_of(a, CCR_STAT_RESTORE_TIME_US), stat_of(r, CCR_STAT_RESTORE_TIME_US));
	EXPECT_GT(stat_of(a, CCR_STAT_PAGES_WRITTEN), 0u); // stats-dump is there too
}
