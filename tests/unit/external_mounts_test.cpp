// SPDX-License-Identifier: Apache-2.0
// The mounts CRIU must treat as external, on a sample config and a scratch
// rootfs: bind mounts, per-hierarchy v1 cgroup binds under the config's
// cgroup mount, masked files (/dev/null bound over them) and device nodes
// (the config's plus runc's defaults). Dump and restore must use the same
// keys, or CRIU cannot match what it recorded with what it is given.
#include "external_mounts.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char kHybridMountinfo[] =
	"26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
	"27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd\n"
	"30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:14 - cgroup cgroup rw,cpu,cpuacct\n";

const char kV2Mountinfo[] = "25 22 0:22 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";

std::string describe(const std::vector<ccr::ExtMount> &ms)
{
	std::string s;
	for (const auto &m : ms)
		s += "  " + m.key + " -> " + m.val + "\n";
	return s;
}

class ExternalMounts : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ccr-ext-mounts-test-XXXXXX";
		ASSERT_NE(::mkdtemp(tmpl), nullptr);
		base_ = tmpl;
		rootfs_ = base_ + "/rootfs";
		fs::create_directories(rootfs_ + "/etc");
		fs::create_directories(rootfs_ + "/dev");
		std::ofstream(rootfs_ + "/etc/hosts") << "127.0.0.1 localhost\n";
		// /data is a symlink inside the container: CRIU sees the mount at
		// its target, so that is the key (resolved within the rootfs,
		// never on the host).
		fs::create_directories(rootfs_ + "/srv/data");
		fs::create_symlink("/srv/data", rootfs_ + "/data");
		// Sources on the host, for create_missing_mountpoints().
		fs::create_directories(base_ + "/host/datadir");
		std::ofstream(base_ + "/host/hosts") << "hosts\n";
		std::ofstream(base_ + "/host/resolv.conf") << "nameserver 10.0.0.1\n";

		config_ = ccr::parse_oci_config(sample(), "test");
		hybrid_ = ccr::parse_cgroup_mounts(kHybridMountinfo);
		v2_ = ccr::parse_cgroup_mounts(kV2Mountinfo);
		ASSERT_EQ(hybrid_.size(), 3u);
		ASSERT_EQ(v2_.size(), 1u);
	}
	void TearDown() override
	{
		std::error_code ec;
		fs::remove_all(base_, ec);
	}

	json sample() const
	{
		json doc = json::parse(R"({
			"root": {"path": "rootfs"},
			"mounts": [
				{"destination": "/proc", "type": "proc", "source": "proc"},
				{"destination": "/etc/hosts", "type": "bind", "options": ["rbind", "ro"]},
				{"destination": "/data", "type": "none", "options": ["rbind", "rw"]},
				{"destination": "/etc/resolv.conf", "type": "none", "options": ["bind"]},
				{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup"}
			],
			"linux": {
				"maskedPaths": ["/proc/kcore", "/proc/acpi"],
				"devices": [{"path": "/dev/fuse"}, {"path": "/dev/null"}],
				"namespaces": [{"type": "pid"}, {"type": "mount"}]
			}
		})");
		doc["mounts"][1]["source"] = base_ + "/host/hosts";
		doc["mounts"][2]["source"] = base_ + "/host/datadir";
		doc["mounts"][3]["source"] = base_ + "/host/resolv.conf";
		return doc;
	}

	// What the running container would say about its masked paths.
	static bool masked_file(const std::string &p) { return p == "/proc/kcore"; }

	std::string base_, rootfs_;
	ccr::OciConfig config_;
	std::vector<ccr::CgroupHierarchy> hybrid_, v2_;
};

TEST_F(ExternalMounts, DefaultDevicesAreRuncs)
{
	EXPECT_EQ(ccr::default_device_paths(), (std::vector<std::string>{"/dev/null", "/dev/zero", "/dev/full",
									 "/dev/random", "/dev/urandom", "/dev/tty"}));
}

TEST_F(ExternalMounts, DumpOnHybridHost)
{
	auto got = ccr::dump_external_mounts(config_, rootfs_, hybrid_, masked_file);
	std::vector<ccr::ExtMount> want = {
		{"/etc/hosts", "/etc/hosts"},
		{"/srv/data", "/srv/data"},
		{"/etc/resolv.conf", "/etc/resolv.conf"},
		// One bind per v1 hierarchy under the cgroup mount; the unified
		// sidecar is not one of them.
		{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/systemd"},
		{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct"},
		// A masked file is /dev/null bound over it; a masked directory
		// (/proc/acpi) is a tmpfs that CRIU dumps itself.
		{"/proc/kcore", "/dev/null"},
		{"/dev/fuse", "/dev/fuse"},
		{"/dev/null", "/dev/null"},
		// The defaults the config did not list already.
		{"/dev/zero", "/dev/zero"},
		{"/dev/full", "/dev/full"},
		{"/dev/random", "/dev/random"},
		{"/dev/urandom", "/dev/urandom"},
		{"/dev/tty", "/dev/tty"},
	};
	EXPECT_EQ(got, want) << "got:\n" << describe(got);
}

TEST_F(ExternalMounts, RestoreOnHybridHost)
{
	auto got = ccr::restore_external_mounts(
		config_, rootfs_, hybrid_, [](const ccr::CgroupHierarchy &h) { return h.mountpoint + "/ccr/web1"; });
	std::vector<ccr::ExtMount> want = {
		// Same keys as the dump; the values are the host paths.
		{"/etc/hosts", base_ + "/host/hosts"},
		{"/srv/data", base_ + "/host/datadir"},
		{"/etc/resolv.conf", base_ + "/host/resolv.conf"},
		{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/systemd/ccr/web1"},
		{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/ccr/web1"},
		// Every masked file was recorded as a bind of /dev/null.
		{"/dev/null", "/dev/null"},
		{"/dev/fuse", "/dev/fuse"},
		{"/dev/null", "/dev/null"},
		{"/dev/zero", "/dev/zero"},
		{"/dev/full", "/dev/full"},
		{"/dev/random", "/dev/random"},
		{"/dev/urandom", "/dev/urandom"},
		{"/dev/tty", "/dev/tty"},
	};
	EXPECT_EQ(got, want) << "got:\n" << describe(got);
}

TEST_F(ExternalMounts, EveryDumpKeyHasARestoreValue)
{
	auto dump = ccr::dump_external_mounts(config_, rootfs_, hybrid_, masked_file);
	auto restore = ccr::restore_external_mounts(config_, rootfs_, hybrid_,
						    [](const ccr::CgroupHierarchy &h) { return h.mountpoint; });
	for (const auto &d : dump) {
		// A masked file's key in the images is /dev/null's.
		std::string key = d.val == "/dev/null" ? "/dev/null" : d.key;
		EXPECT_TRUE(std::any_of(restore.begin(), restore.end(), [&](auto &r) { return r.key == key; }))
			<< key << " is recorded on dump but not given on restore";
	}
}

TEST_F(ExternalMounts, NoCgroupBindsOnV2Host)
{
	EXPECT_FALSE(ccr::cgroup_mounts_are_binds(config_, v2_));
	auto dump = ccr::dump_external_mounts(config_, rootfs_, v2_, masked_file);
	auto restore = ccr::restore_external_mounts(config_, rootfs_, v2_,
						    [](const ccr::CgroupHierarchy &h) { return h.mountpoint; });
	for (const auto &ms : {dump, restore})
		for (const auto &m : ms)
			EXPECT_NE(m.key.rfind("/sys/fs/cgroup", 0), 0u) << m.key;
	EXPECT_EQ(dump.size(), 11u) << describe(dump);
}

TEST_F(ExternalMounts, NoCgroupBindsWithACgroupNamespace)
{
	EXPECT_TRUE(ccr::cgroup_mounts_are_binds(config_, hybrid_));
	config_.namespaces.push_back({"cgroup", ""});
	EXPECT_FALSE(ccr::cgroup_mounts_are_binds(config_, hybrid_));
	auto dump = ccr::dump_external_mounts(config_, rootfs_, hybrid_, masked_file);
	for (const auto &m : dump)
		EXPECT_NE(m.key.rfind("/sys/fs/cgroup", 0), 0u) << m.key;
}

TEST_F(ExternalMounts, NoCgroupMountNoCgroupBinds)
{
	config_.mounts.pop_back(); // the cgroup mount
	auto dump = ccr::dump_external_mounts(config_, rootfs_, hybrid_, masked_file);
	for (const auto &m : dump)
		EXPECT_NE(m.key.rfind("/sys/fs/cgroup", 0), 0u) << m.key;
}

TEST_F(ExternalMounts, NoMaskedPathsNoDevNullOnRestore)
{
	config_.masked_paths.clear();
	config_.device_paths.clear();
	auto restore = ccr::restore_external_mounts(config_, rootfs_, v2_,
						    [](const ccr::CgroupHierarchy &h) { return h.mountpoint; });
	// Only the default devices' /dev/null remains: exactly one.
	EXPECT_EQ(std::count_if(restore.begin(), restore.end(), [](auto &m) { return m.key == "/dev/null"; }), 1)
		<< describe(restore);
}

TEST_F(ExternalMounts, CreatesMissingMountpointsByKindOfSource)
{
	fs::remove(rootfs_ + "/etc/hosts");
	fs::remove(rootfs_ + "/srv/data"); // /data now dangles inside the rootfs
	ccr::create_missing_mountpoints(config_, rootfs_);
	struct stat st;
	// A file source gets a file mountpoint...
	ASSERT_EQ(::lstat((rootfs_ + "/etc/hosts").c_str(), &st), 0);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	ASSERT_EQ(::lstat((rootfs_ + "/etc/resolv.conf").c_str(), &st), 0);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	// ...a directory source a directory, through the in-rootfs symlink.
	ASSERT_EQ(::lstat((rootfs_ + "/srv/data").c_str(), &st), 0);
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(::lstat((rootfs_ + "/data").c_str(), &st), 0);
	EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the symlink itself must be left alone";
	// Not a bind: nothing created for it.
	EXPECT_FALSE(fs::exists(rootfs_ + "/proc"));
	EXPECT_FALSE(fs::exists(rootfs_ + "/sys"));
}

} // namespace
