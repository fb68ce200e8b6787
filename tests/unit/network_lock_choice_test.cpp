// SPDX-License-Identifier: Apache-2.0
// The pieces of ccr's network-lock default that need no CRIU: the ELF
// reader that finds which libraries a CRIU binary is linked with, the
// caller's choice winning over any probe, and the per-binary cache.
#include "network_lock_choice.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "criu_version.hpp"
#include "rpc.pb.h"

namespace {

namespace criu = ccr::criu;

bool has_prefix(const std::vector<std::string> &libs, const std::string &prefix)
{
	return std::any_of(libs.begin(), libs.end(), [&](const auto &l) { return l.rfind(prefix, 0) == 0; });
}

std::string joined(const std::vector<std::string> &libs)
{
	std::string all;
	for (const auto &l : libs)
		all += l + " ";
	return all;
}

TEST(NetworkLockChoice, ElfReaderListsTheLibrariesThisTestIsLinkedWith)
{
	auto libs = ccr::elf_needed_libraries("/proc/self/exe");
	EXPECT_TRUE(has_prefix(libs, "libc.so.")) << joined(libs);
	EXPECT_TRUE(has_prefix(libs, "libstdc++.so.")) << joined(libs);
	EXPECT_FALSE(has_prefix(libs, "libnftables.so")) << joined(libs);
}

TEST(NetworkLockChoice, ElfReaderGivesNothingForWhatIsNoDynamicElf)
{
	EXPECT_TRUE(ccr::elf_needed_libraries("/nonexistent/criu").empty());
	EXPECT_TRUE(ccr::elf_needed_libraries("/proc/self/status").empty());
	char path[] = "/tmp/ccr-elf-test.XXXXXX";
	int fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	// An ELF magic and nothing that follows it.
	ASSERT_EQ(write(fd, "\177ELF\2\1\1", 7), 7);
	close(fd);
	EXPECT_TRUE(ccr::elf_needed_libraries(path).empty());
	unlink(path);
}

TEST(NetworkLockChoice, CallersChoiceIsKeptWithoutProbing)
{
	ccr::Options o;
	// An identity no binary has: a probe of it would find no libnftables.
	const std::string identity = "/nonexistent/criu|1|2|3|4.5";
	const std::pair<ccr_network_lock, criu::criu_network_lock_method> choices[] = {
		{CCR_NETWORK_LOCK_IPTABLES, criu::IPTABLES},
		{CCR_NETWORK_LOCK_NFTABLES, criu::NFTABLES},
		{CCR_NETWORK_LOCK_SKIP, criu::SKIP},
	};
	for (const auto &[m, criu_m] : choices) {
		o.network_lock = m;
		EXPECT_EQ(ccr::chosen_network_lock(o, identity, true), criu_m);
		EXPECT_EQ(ccr::chosen_network_lock(o, identity, false), criu_m);
	}
	EXPECT_FALSE(ccr::cached_criu_fact(identity, "nftables-lock"));
}

TEST(NetworkLockChoice, UnsetFallsBackToCriusDefaultWithoutLibnftablesAndIsCached)
{
	ccr::Options o;
	const std::string identity = "/nonexistent/dir|with|bars/criu|1|2|3|4.5";
	EXPECT_EQ(ccr::criu_path_of(identity), "/nonexistent/dir|with|bars/criu");
	EXPECT_EQ(ccr::chosen_network_lock(o, identity, true), std::nullopt);
	EXPECT_EQ(ccr::cached_criu_fact(identity, "nftables-lock"), 0u);
	// The cached answer is used from now on, whatever it says.
	ccr::remember_criu_fact(identity, "nftables-lock", 1);
	EXPECT_EQ(ccr::chosen_network_lock(o, identity, true), criu::NFTABLES);
	// A namespace that outlives the container (given by path) or the
	// host's keeps CRIU's iptables lock.
	EXPECT_EQ(ccr::chosen_network_lock(o, identity, false), std::nullopt);
}

} // namespace
