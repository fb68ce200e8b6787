// SPDX-License-Identifier: Apache-2.0
// ccr's default network lock (network_lock_choice.hpp): nftables where the
// CRIU binary is linked with libnftables and the kernel has nf_tables. The
// test shows the lock is that one and not iptables, that it is in place
// while CRIU works, that the images record it (so any restore, ccr's or
// runc's, removes the same lock), that none is left behind by a
// leave-running checkpoint or by the restore, and that the locks keep their
// guarantees: an established TCP connection inside the container survives
// a checkpoint and restore with tcp-established.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ccr.h"
#include "harness.hpp"
#include "services.hpp"

using namespace e2e;

namespace {

// Whether this host gives ccr the nftables default: the CRIU in PATH is
// linked with libnftables, and nft can list tables (nf_tables is there).
// scripts/bootstrap.sh builds CRIU with libnftables, so under CI=true a
// host without it is a broken set-up, not another branch.
bool host_has_nftables_lock()
{
	const std::string criu = find_in_path("criu");
	if (criu.empty() || find_in_path("nft").empty())
		return false;
	return run_cmd({"ldd", criu}).find("libnftables.so") != std::string::npos &&
	       run({"nft", "list", "tables"}).ok();
}

void require_nftables_lock()
{
	if (host_has_nftables_lock())
		return;
	const char *ci = ::getenv("CI");
	if (ci && std::string(ci) == "true")
		FAIL() << "CRIU without libnftables or no nf_tables in the kernel (scripts/bootstrap.sh builds CRIU "
			  "with libnftables); CI=true: failing";
	GTEST_SKIP() << "CRIU without libnftables, or no nft/nf_tables here";
}

// The network_lock_method CRIU recorded in the images' inventory (field 11
// of inventory_entry, a varint holding CRIU's own enum, not the RPC one:
// 0 iptables, 1 nftables, 2 skip); -1 when the file has none.
constexpr int kRecordedIptables = 0, kRecordedNftables = 1;
int recorded_lock_method(const std::string &images)
{
	const std::string img = read_file(images + "/inventory.img");
	// The inventory's magic (u32), the entry's size (u32), the entry.
	if (img.size() < 8)
		return -1;
	uint32_t size;
	std::memcpy(&size, img.data() + 4, 4);
	const auto *p = reinterpret_cast<const unsigned char *>(img.data()) + 8;
	const auto *end = p + std::min<size_t>(size, img.size() - 8);
	auto varint = [&](uint64_t &v) {
		v = 0;
		for (int shift = 0; p < end && shift < 64; shift += 7) {
			unsigned char b = *p++;
			v |= uint64_t(b & 0x7f) << shift;
			if (!(b & 0x80))
				return true;
		}
		return false;
	};
	uint64_t key, value;
	while (p < end && varint(key)) {
		switch (key & 7) {
		case 0:
			if (!varint(value))
				return -1;
			if ((key >> 3) == 11)
				return int(value);
			break;
		case 1:
			p += 8;
			break;
		case 2:
			if (!varint(value))
				return -1;
			p += value;
			break;
		case 5:
			p += 4;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

std::string tables_in_netns_of(pid_t pid)
{
	return run_cmd({"nsenter", "--net=/proc/" + std::to_string(pid) + "/ns/net", "nft", "list", "tables"});
}

class DefaultNetworkLock : public ::testing::Test {
protected:
	void SetUp() override
	{
		require_prerequisites();
		if (IsSkipped() || HasFatalFailure())
			return;
		require_nftables_lock();
	}
};

// A checkpoint with ccr's defaults, leave-running and then exiting: the
// lock is CRIU's nftables table (seen in the container's namespace while
// CRIU works, with no iptables chain), the inventory records nftables, and
// neither the running container nor the restored one keeps a lock.
TEST_F(DefaultNetworkLock, IsNftablesWhileCriuWorksRecordedAndGoneAfterwards)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const pid_t pid1 = c.pid();
	std::string tables_while_locked, iptables_while_locked;
	NotifyRecorder rec;
	rec.on_script = [&](const std::string &script) {
		// CRIU locks right after its network-lock notification; the next
		// one comes with the lock in place.
		if (script == "query-ext-files") {
			tables_while_locked = tables_in_netns_of(pid1);
			iptables_while_locked = run_cmd({"nsenter", "--net=/proc/" + std::to_string(pid1) + "/ns/net",
							 "iptables-save", "-t", "filter"});
		}
		return 0;
	};

	const std::string running = c.dir() / "images-running";
	ErrorPtr err = checkpoint(c, running, [&](ccr_options *o) {
		EXPECT_CCR_OK(rec.install(o));
		EXPECT_CCR_OK(ccr_options_set_leave_running(o, 1));
	});
	ASSERT_FALSE(err) << describe(err);
	EXPECT_NE(tables_while_locked.find("table inet CRIU-"), std::string::npos)
		<< "no nftables lock while CRIU worked: " << tables_while_locked;
	EXPECT_EQ(iptables_while_locked.find(":CRIU "), std::string::npos) << iptables_while_locked;
	EXPECT_EQ(recorded_lock_method(running), kRecordedNftables) << "inventory.img does not say nftables";
	EXPECT_EQ(tables_in_netns_of(pid1).find("CRIU-"), std::string::npos) << "the lock stayed after leave-running";
	EXPECT_EQ(c.ask("b"), "b 2");

	const std::string images = c.dir() / "images";
	err = checkpoint(c, images);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(pid1));
	EXPECT_EQ(recorded_lock_method(images), kRecordedNftables) << "inventory.img does not say nftables";
	pid_t pid2 = 0;
	err = restore(c, images, &pid2);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_EQ(tables_in_netns_of(pid2).find("CRIU-"), std::string::npos) << "the lock stayed after the restore";
	EXPECT_EQ(c.ask("c"), "c 3");
}

// A network namespace given by path (CNI's) outlives the container and
// keeps the lock a dump leaves until the restore: there the default stays
// CRIU's iptables, which a restore with an empty network set (runc's, and
// CRIU re-locking in that namespace) goes through; CRIU 4.1's nftables
// lock would fail on the table it finds.
TEST_F(DefaultNetworkLock, NamespaceGivenByPathKeepsIptablesAndRestoresWithEmptyNet)
{
	NamedNetns ns("ccr-e2e-lock-" + std::to_string(getpid()));
	ContainerOptions opts;
	opts.namespace_paths["network"] = ns.path();
	Container c(opts);
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const pid_t pid1 = c.pid();
	const std::string images = c.dir() / "images";
	auto empty_net = [](ccr_options *o) { EXPECT_CCR_OK(ccr_options_set_empty_ns(o, CLONE_NEWNET)); };
	ErrorPtr err = checkpoint(c, images, empty_net);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(pid1));
	EXPECT_EQ(recorded_lock_method(images), kRecordedIptables) << "inventory.img does not say iptables";
	pid_t pid2 = 0;
	err = restore(c, images, &pid2, empty_net);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_EQ(ns_inode(pid2, "net"), ns.inode());
	EXPECT_EQ(c.ask("b"), "b 2");
}

// The caller's choice still wins: iptables asked for, iptables recorded.
TEST_F(DefaultNetworkLock, CallersIptablesIsKept)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images, [](ccr_options *o) {
		EXPECT_CCR_OK(ccr_options_set_leave_running(o, 1));
		EXPECT_CCR_OK(ccr_options_set_network_lock(o, CCR_NETWORK_LOCK_IPTABLES));
	});
	ASSERT_FALSE(err) << describe(err);
	EXPECT_EQ(recorded_lock_method(images), kRecordedIptables) << "inventory.img does not say iptables";
	EXPECT_EQ(c.ask("b"), "b 2");
}

// The container's own TCP connection over its loopback: an echo server
// (busybox nc) and a client whose ends are two fifos the shell talks
// through; every question goes over the connection and back. The client
// retries until the test has brought the loopback up (the container lacks
// CAP_NET_ADMIN to do it itself).
std::vector<std::string> tcp_echo_workload()
{
	return {"sh", "-c",
		"nc -ll -p 7000 -e /bin/cat & "
		"mkfifo /tmp/to-nc /tmp/from-nc; "
		"until nc 127.0.0.1 7000 </tmp/to-nc >/tmp/from-nc; do sleep 0.1; done & "
		"exec 3>/tmp/to-nc 4</tmp/from-nc; "
		"while read line; do echo \"$line\" >&3; read reply <&4; echo \"tcp $reply\"; done"};
}

// Checkpoint with ccr's defaults plus tcp-established: the lock is CRIU's
// nftables table (seen in the container's namespace while CRIU works, no
// iptables chain), the inventory records nftables, and the restored
// container's connection carries on; no lock is left behind.
TEST_F(DefaultNetworkLock, IsNftablesAndTheContainersTcpConnectionSurvives)
{
	ContainerOptions opts;
	opts.args = tcp_echo_workload();
	Container c(opts);
	c.start();
	ASSERT_TRUE(
		run({"nsenter", "--net=/proc/" + std::to_string(c.pid()) + "/ns/net", "ip", "link", "set", "lo", "up"})
			.ok());
	ASSERT_EQ(c.ask("a", 20s), "tcp a");
	const pid_t pid1 = c.pid();

	std::string tables_while_locked, iptables_while_locked;
	NotifyRecorder rec;
	rec.on_script = [&](const std::string &script) {
		// CRIU locks right after its network-lock notification; the next
		// one comes with the lock in place.
		if (script == "query-ext-files") {
			tables_while_locked = tables_in_netns_of(pid1);
			iptables_while_locked = run_cmd({"nsenter", "--net=/proc/" + std::to_string(pid1) + "/ns/net",
							 "iptables-save", "-t", "filter"});
		}
		return 0;
	};
	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images, [&](ccr_options *o) {
		EXPECT_CCR_OK(rec.install(o));
		EXPECT_CCR_OK(ccr_options_set_tcp_established(o, 1));
	});
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(pid1));
	EXPECT_NE(tables_while_locked.find("table inet CRIU-"), std::string::npos)
		<< "no nftables lock while CRIU worked: " << tables_while_locked;
	EXPECT_EQ(iptables_while_locked.find(":CRIU "), std::string::npos) << iptables_while_locked;
	EXPECT_EQ(recorded_lock_method(images), kRecordedNftables) << "inventory.img does not say nftables";

	pid_t pid2 = 0;
	err = restore(c, images, &pid2, [](ccr_options *o) { EXPECT_CCR_OK(ccr_options_set_tcp_established(o, 1)); });
	ASSERT_FALSE(err) << describe(err);
	EXPECT_EQ(c.ask("b"), "tcp b");
	EXPECT_EQ(c.ask("c"), "tcp c");
	EXPECT_EQ(tables_in_netns_of(pid2).find("CRIU-"), std::string::npos) << "the lock stayed after the restore";
}

} // namespace
