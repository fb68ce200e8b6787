// SPDX-License-Identifier: Apache-2.0
// host_hint(): which CRIU failures get a host-side fix appended, and only
// when the host's settings explain them.
#include "criu_host_hints.hpp"

#include <gtest/gtest.h>

namespace {

const char kSpliceLog[] = "(00.250000) Error (criu/page-pipe.c:424): page-pipe: splice: -1: Bad file descriptor\n"
			  "(00.250100) Error (criu/page-xfer.c:1234): Lazy pages transfer FAILED.\n";

ccr::HostFacts small_pipes()
{
	ccr::HostFacts f;
	f.page_size = 4096;
	f.pipe_max_size = 1048576;
	f.cap_sys_resource = false;
	return f;
}

TEST(CriuHostHints, LazyPipeSizeIsFourKilobytePagesTimesEightHundredNineteen)
{
	// 8 pages of 40-byte pipe_buffer descriptors: 819 pages.
	EXPECT_EQ(ccr::criu_lazy_pipe_bytes(4096), 819L * 4096);
}

TEST(CriuHostHints, SmallPipesExplainALazyDumpSpliceFailure)
{
	std::string hint = ccr::host_hint(kSpliceLog, true, small_pipes());
	EXPECT_NE(hint.find("fs.pipe-max-size is 1048576"), std::string::npos) << hint;
	EXPECT_NE(hint.find("sysctl -w fs.pipe-max-size=3354624"), std::string::npos) << hint;
}

TEST(CriuHostHints, NoPipeHintWhenTheHostIsNotTheCause)
{
	ccr::HostFacts roomy = small_pipes();
	roomy.pipe_max_size = 8 << 20;
	EXPECT_EQ(ccr::host_hint(kSpliceLog, true, roomy), "");
	ccr::HostFacts capable = small_pipes();
	capable.cap_sys_resource = true;
	EXPECT_EQ(ccr::host_hint(kSpliceLog, true, capable), "");
	ccr::HostFacts unknown = small_pipes();
	unknown.pipe_max_size = -1;
	EXPECT_EQ(ccr::host_hint(kSpliceLog, true, unknown), "");
	// Not a lazy dump: the same words mean something else.
	EXPECT_EQ(ccr::host_hint(kSpliceLog, false, small_pipes()), "");
	EXPECT_EQ(ccr::host_hint("Error (criu/cr-dump.c:1): Dumping FAILED.", true, small_pipes()), "");
}

TEST(CriuHostHints, MissingIptablesRestoreIsNamed)
{
	const char log[] =
		"Error (criu/util.c:641): execvp(\"iptables-restore\", ...) failed: No such file or directory\n";
	std::string hint = ccr::host_hint(log, false, small_pipes());
	EXPECT_NE(hint.find("install iptables"), std::string::npos) << hint;
	EXPECT_NE(hint.find("nftables or skip"), std::string::npos) << hint;
}

} // namespace

TEST(CriuHostHints, ALazyDumpIsRefusedUpFrontOnlyWhereCriuCannotServePages)
{
	ccr::HostFacts small;
	small.page_size = 4096;
	small.pipe_max_size = 1048576;
	EXPECT_NE(ccr::lazy_pages_host_limit(small).find("sysctl -w fs.pipe-max-size=3354624"), std::string::npos);
	ccr::HostFacts roomy = small;
	roomy.pipe_max_size = 4194304;
	EXPECT_EQ(ccr::lazy_pages_host_limit(roomy), "");
	ccr::HostFacts capable = small;
	capable.cap_sys_resource = true;
	EXPECT_EQ(ccr::lazy_pages_host_limit(capable), "");
	ccr::HostFacts unknown = small;
	unknown.pipe_max_size = -1;
	EXPECT_EQ(ccr::lazy_pages_host_limit(unknown), "");
}
