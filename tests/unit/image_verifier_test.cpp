// SPDX-License-Identifier: Apache-2.0
// The image verifier on images written in the test the way CRIU writes them
// (magic words, then size-prefixed protobuf entries): a well-formed
// container checkpoint passes, and each kind of mismatch is refused with
// CCR_ERR_IMAGE naming the image and the field.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <functional>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include "../fuzz/runc_spec_expectations.hpp"
#include "error.hpp"
#include "image_verifier.hpp"
#include "images.pb.h"
#include "unique_fd.hpp"

namespace {

constexpr uint32_t kCommon = 0x54564319;
constexpr uint32_t kInventory = 0x58313116;
constexpr uint32_t kPstree = 0x50273030;
constexpr uint32_t kIds = 0x54432030;
constexpr uint32_t kCgroup = 0x59383330;
constexpr uint32_t kMnts = 0x55563928;
constexpr uint32_t kNetns = 0x55933752;
constexpr uint32_t kPidns = 0x61157326;
constexpr uint32_t kFiles = 0x56303138;
constexpr uint32_t kTtyInfo = 0x59453036;
constexpr uint32_t kMsRdonly = 1;
// The device the container's rootfs is on, and its path there.
constexpr uint32_t kRootDev = 266338304;
const char *const kRootfs = "/var/lib/ccr/box/rootfs";

std::string le32(uint32_t v)
{
	std::string s(4, '\0');
	for (int i = 0; i < 4; i++)
		s[i] = char((v >> (8 * i)) & 0xff);
	return s;
}

template <class Message>
std::string entry(const Message &m)
{
	std::string payload = m.SerializeAsString();
	return le32(uint32_t(payload.size())) + payload;
}

using Ids = ccr::criu::task_kobj_ids_entry;

// The dumping host's namespaces (ids 1..8) and a container's (ids 11..18).
Ids host_ids()
{
	Ids ids;
	ids.set_pid_ns_id(1);
	ids.set_net_ns_id(2);
	ids.set_ipc_ns_id(3);
	ids.set_uts_ns_id(4);
	ids.set_mnt_ns_id(5);
	ids.set_user_ns_id(6);
	ids.set_cgroup_ns_id(7);
	ids.set_time_ns_id(8);
	return ids;
}

Ids container_ids()
{
	Ids ids = host_ids();
	ids.set_pid_ns_id(11);
	ids.set_net_ns_id(12);
	ids.set_ipc_ns_id(13);
	ids.set_uts_ns_id(14);
	ids.set_mnt_ns_id(15);
	return ids;
}

class ImageVerifier : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ccr-image-verifier-XXXXXX";
		ASSERT_NE(::mkdtemp(tmpl), nullptr);
		dir_ = tmpl;
		fd_.reset(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		ASSERT_TRUE(fd_);
		expect_ = ccr::testing::runc_spec_expectations();
		// A container: init (1) and its child (2), in new namespaces.
		write_pstree({{1, 0}, {2, 1}});
		write_inventory(host_ids());
		write_ids(1, container_ids());
		write_ids(2, container_ids());
		ccr::criu::cgroup_entry cg;
		auto *set = cg.add_sets();
		set->set_id(1);
		auto *m = set->add_ctls();
		m->set_name("pids");
		m->set_path("/ccr/box");
		auto *ctl = cg.add_controllers();
		ctl->add_cnames("pids");
		auto *d = ctl->add_dirs();
		d->set_dir_name("ccr/box");
		d->add_children()->set_dir_name("inner/most");
		write_cgroup(cg);
		// Its mounts, as runc makes them (mountpoints-<mnt_ns_id>.img).
		mounts_ = {mount(1, 0, 0, kRootDev, kRootfs, "/", "/dev/vda"),
			   mount(2, 1, 1, 42, "/", "/proc", "proc"),
			   mount(3, 1, 5, 43, "/", "/dev", "tmpfs"),
			   mount(4, 3, 6, 44, "/", "/dev/pts", "devpts"),
			   mount(5, 1, 2, 46, "/", "/sys", "sysfs", kMsRdonly),
			   mount(6, 2, 1, 42, "/sys", "/proc/sys", "proc", kMsRdonly),
			   mount(7, 5, 5, 47, "/", "/sys/fs/cgroup", "tmpfs")};
		auto ext = mount(8, 7, 12, 36, "/ccr/box", "/sys/fs/cgroup/pids", "cgroup", kMsRdonly);
		ext.set_ext_key("/sys/fs/cgroup/pids");
		mounts_.push_back(ext);
		auto masked = mount(9, 2, 5, 43, "/null", "/proc/kcore", "tmpfs");
		masked.set_ext_key("/dev/null");
		mounts_.push_back(masked);
		write_mounts(15, mounts_);
	}

	static ccr::criu::mnt_entry mount(uint32_t id, uint32_t parent, uint32_t fstype, uint32_t dev,
					  const std::string &root, const std::string &mountpoint,
					  const std::string &source, uint32_t flags = 0)
	{
		ccr::criu::mnt_entry m;
		m.set_mnt_id(id);
		m.set_parent_mnt_id(parent);
		m.set_fstype(fstype);
		m.set_root_dev(dev);
		m.set_root(root);
		m.set_mountpoint(mountpoint);
		m.set_source(source);
		m.set_flags(flags);
		return m;
	}

	void write_mounts(uint32_t ns, const std::vector<ccr::criu::mnt_entry> &mounts)
	{
		std::string bytes = le32(kCommon) + le32(kMnts);
		for (const auto &m : mounts)
			bytes += entry(m);
		write("mountpoints-" + std::to_string(ns) + ".img", bytes);
	}

	// The fixture's mounts and one more.
	void add_mount(const ccr::criu::mnt_entry &m)
	{
		auto all = mounts_;
		all.push_back(m);
		write_mounts(15, all);
	}

	template <class Message>
	void write_entries(const std::string &name, uint32_t magic, const std::vector<Message> &entries)
	{
		std::string bytes = le32(kCommon) + le32(magic);
		for (const auto &e : entries)
			bytes += entry(e);
		write(name, bytes);
	}

	void TearDown() override
	{
		std::string cmd = "rm -rf '" + dir_ + "'";
		EXPECT_EQ(std::system(cmd.c_str()), 0);
	}

	void write(const std::string &name, const std::string &bytes)
	{
		UniqueFdFile f(::open((dir_ + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
		ASSERT_TRUE(f.ok());
		ASSERT_EQ(::write(f.fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
	}

	void write_pstree(const std::vector<std::pair<uint32_t, uint32_t>> &tasks)
	{
		std::string bytes = le32(kCommon) + le32(kPstree);
		for (auto [pid, ppid] : tasks) {
			ccr::criu::pstree_entry e;
			e.set_pid(pid);
			e.set_ppid(ppid);
			bytes += entry(e);
		}
		write("pstree.img", bytes);
	}

	void write_inventory(const Ids &root_ids)
	{
		ccr::criu::inventory_entry e;
		*e.mutable_root_ids() = root_ids;
		write("inventory.img", le32(kInventory) + entry(e));
	}

	void write_ids(uint32_t pid, const Ids &ids)
	{
		write("ids-" + std::to_string(pid) + ".img", le32(kCommon) + le32(kIds) + entry(ids));
	}

	void write_cgroup(const ccr::criu::cgroup_entry &cg)
	{
		write("cgroup.img", le32(kCommon) + le32(kCgroup) + entry(cg));
	}

	// The refusal's message; fails the test on another outcome.
	std::string refusal()
	{
		try {
			ccr::verify_images(fd_.get(), expect_);
		} catch (const ccr::Error &e) {
			EXPECT_EQ(e.code(), CCR_ERR_IMAGE) << e.message();
			return e.message();
		}
		ADD_FAILURE() << "the images were accepted";
		return "";
	}

	struct UniqueFdFile {
		explicit UniqueFdFile(int f) : fd(f) {}
		~UniqueFdFile()
		{
			if (fd >= 0)
				::close(fd);
		}
		bool ok() const { return fd >= 0; }
		int fd;
	};

	std::string dir_;
	ccr::UniqueFd fd_;
	ccr::ImageExpectations expect_;
	std::vector<ccr::criu::mnt_entry> mounts_;
};

bool has(const std::string &s, const std::string &part)
{
	return s.find(part) != std::string::npos;
}

TEST_F(ImageVerifier, AContainerCheckpointPasses)
{
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

// The fuzz seed runc-busybox-mounts-devices.bin holds pstree.img,
// inventory.img, cgroup.img, ids-1.img, mountpoints-13.img, files.img,
// netns-10.img and the /dev tmpfs's tar of a real checkpoint of the e2e
// busybox container (runc 1.1.5's spec: new pid, network, ipc, uts and mount
// namespaces, v1 cgroup binds; CRIU 4.1.1), each behind a byte naming the
// file and a 16-bit length. It passes with what restore() expects of that
// config, and is refused when the config also asks for a user namespace
// (the container had none: its tasks are in the dumping host's).
TEST_F(ImageVerifier, ARealContainerCheckpointPasses)
{
	const char *names[] = {"pstree.img",         "inventory.img", "cgroup.img",   "ids-1.img",
			       "ids-2.img",          "ids-3.img",     "ids-7.img",    "ids-8.img",
			       "mountpoints-13.img", "files.img",     "tty-info.img", "netns-10.img",
			       "pidns-11.img",       "reg-files.img", "tty.img",      "tmpfs-dev-43.tar.gz.img"};
	std::string cmd = "rm -f '" + dir_ + "'/*";
	ASSERT_EQ(std::system(cmd.c_str()), 0);
	std::ifstream in(std::string(CCR_SOURCE_DIR) +
				 "/tests/fuzz/corpus/image_verifier/runc-busybox-mounts-devices.bin",
			 std::ios::binary);
	ASSERT_TRUE(in);
	std::string seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	size_t pos = 0, files = 0;
	while (pos + 3 <= seed.size()) {
		size_t len = size_t(uint8_t(seed[pos + 1])) | (size_t(uint8_t(seed[pos + 2])) << 8);
		ASSERT_LE(pos + 3 + len, seed.size());
		write(names[uint8_t(seed[pos]) % 16], seed.substr(pos + 3, len));
		pos += 3 + len;
		files++;
	}
	ASSERT_EQ(files, 8u);
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	expect_.new_namespaces.push_back("user");
	EXPECT_TRUE(has(refusal(), "ids-1.img: ids.user_ns_id is the dumping host's user namespace"))
		<< "runc made no user namespace here";
}

TEST_F(ImageVerifier, TwoRootTasksAreRefused)
{
	write_pstree({{1, 0}, {7, 0}});
	write_ids(7, container_ids());
	std::string m = refusal();
	EXPECT_TRUE(has(m, "pstree.img: two root tasks (pid 1 and pid 7)")) << m;
}

TEST_F(ImageVerifier, AParentOutsideTheTreeIsRefused)
{
	write_pstree({{1, 0}, {2, 9}});
	std::string m = refusal();
	EXPECT_TRUE(has(m, "pstree.img: pid 2 has ppid 9")) << m;
}

TEST_F(ImageVerifier, APidTwiceIsRefused)
{
	write_pstree({{1, 0}, {2, 1}, {2, 1}});
	std::string m = refusal();
	EXPECT_TRUE(has(m, "pstree.img: pid 2 appears twice")) << m;
}

TEST_F(ImageVerifier, ACycleOfParentsIsRefused)
{
	write_pstree({{1, 0}, {2, 3}, {3, 2}});
	std::string m = refusal();
	EXPECT_TRUE(has(m, "cycle")) << m;
}

TEST_F(ImageVerifier, NoRootTaskIsRefused)
{
	write_pstree({{1, 2}, {2, 1}});
	std::string m = refusal();
	EXPECT_TRUE(has(m, "pstree.img: no root task")) << m;
}

TEST_F(ImageVerifier, TooManyTasksAreRefused)
{
	std::vector<std::pair<uint32_t, uint32_t>> tasks{{1, 0}};
	for (uint32_t pid = 2; pid <= ccr::kMaxImageTasks + 1; pid++)
		tasks.emplace_back(pid, 1);
	write_pstree(tasks);
	std::string m = refusal();
	EXPECT_TRUE(has(m, "more than " + std::to_string(ccr::kMaxImageTasks))) << m;
}

// The case: the root task lived in the dumping host's network
// namespace, and the config asks for a new one.
TEST_F(ImageVerifier, ARootTaskInTheHostsNamespaceIsRefused)
{
	Ids ids = container_ids();
	ids.set_net_ns_id(host_ids().net_ns_id());
	write_ids(1, ids);
	std::string m = refusal();
	EXPECT_TRUE(has(m, "ids-1.img: ids.net_ns_id is the dumping host's network namespace, but the config asks "
			   "for a new one"))
		<< m;
}

TEST_F(ImageVerifier, AHostProcessTreeIsRefusedForEveryNewNamespace)
{
	for (const char *type : {"pid", "network", "ipc", "uts", "mount"}) {
		write_ids(1, host_ids());
		write_ids(2, host_ids());
		expect_.new_namespaces = {type};
		std::string m = refusal();
		EXPECT_TRUE(has(m, std::string("the dumping host's ") + type + " namespace")) << m;
	}
}

// Issue 19 item: namespaces the config does not list, or joins.
TEST_F(ImageVerifier, TheHostsMountNamespaceIsRefusedWhateverTheConfigSays)
{
	write_ids(1, host_ids());
	write_ids(2, host_ids());
	expect_.new_namespaces = {};
	std::string m = refusal();
	EXPECT_TRUE(has(m, "ids-1.img: ids.mnt_ns_id is the dumping host's: the restored root would be the host's /, "
			   "not the container's rootfs"))
		<< m;
	expect_.joined_namespaces = {"mount"};
	EXPECT_TRUE(has(refusal(), "ids.mnt_ns_id is the dumping host's")) << "mount given by path";
	// The other types shared with the host, as the config says: fine.
	Ids ids = host_ids();
	ids.set_mnt_ns_id(15);
	write_ids(1, ids);
	write_ids(2, ids);
	expect_.joined_namespaces = {};
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

TEST_F(ImageVerifier, ANamespaceTheConfigDoesNotAskForIsRefused)
{
	expect_.new_namespaces = {"pid", "network", "uts", "mount"};
	std::string m = refusal();
	EXPECT_TRUE(has(m, "ids-1.img: ids.ipc_ns_id is the container's own ipc namespace, but the config does "
			   "not ask for one"))
		<< m;
	// CRIU makes time namespaces itself, and no cgroup one from these ids.
	expect_.new_namespaces.push_back("ipc");
	Ids ids = container_ids();
	ids.set_time_ns_id(18);
	ids.set_cgroup_ns_id(17);
	write_ids(1, ids);
	write_ids(2, ids);
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

TEST_F(ImageVerifier, ANamespaceTheCallerJoinsIsNotChecked)
{
	Ids ids = container_ids();
	ids.set_net_ns_id(host_ids().net_ns_id());
	write_ids(1, ids);
	EXPECT_TRUE(has(refusal(), "ids.net_ns_id is the dumping host's network namespace")) << "not joined";
	expect_.caller_joined_namespaces = {"network"};
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

// ipc, uts, user and time given by path reach CRIU as join_ns: it moves the
// restored root into them whatever the images say.
TEST_F(ImageVerifier, AnIpcNamespaceJoinedByPathIsNotChecked)
{
	Ids ids = container_ids();
	ids.set_ipc_ns_id(host_ids().ipc_ns_id());
	write_ids(1, ids);
	expect_.new_namespaces = {"pid", "network", "uts", "mount"};
	expect_.joined_namespaces = {"ipc"};
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

// network and pid given by path reach CRIU as external namespaces: the
// images must record them as external under ccr's key, or CRIU would make
// a new one (or, for the dumper's, leave the task in the host's).
TEST_F(ImageVerifier, ANetworkOrPidNamespaceJoinedByPathMustBeRecordedExternal)
{
	struct Case {
		const char *type, *image, *key;
		uint32_t magic, id;
	};
	for (const Case &c : {Case{"network", "netns-12.img", "extRootNetNS", kNetns, 12},
			      Case{"pid", "pidns-11.img", "extRootPidNS", kPidns, 11}}) {
		SCOPED_TRACE(c.type);
		expect_ = ccr::testing::runc_spec_expectations();
		std::erase(expect_.new_namespaces, std::string(c.type));
		expect_.joined_namespaces = {c.type};
		write_ids(1, container_ids());
		std::string m = refusal();
		EXPECT_TRUE(has(m, std::string(c.image) + ": ext_key is (none), not " + c.key)) << m;
		if (std::string(c.type) == "network") {
			ccr::criu::netns_entry e;
			e.set_ext_key("somethingElse");
			write_entries(c.image, c.magic, std::vector{e});
			EXPECT_TRUE(has(refusal(), "ext_key is somethingElse")) << "another key";
			e.set_ext_key(c.key);
			write_entries(c.image, c.magic, std::vector{e});
		} else {
			ccr::criu::pidns_entry e;
			e.set_ext_key(c.key);
			write_entries(c.image, c.magic, std::vector{e});
		}
		EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
		Ids ids = container_ids();
		if (std::string(c.type) == "network")
			ids.set_net_ns_id(host_ids().net_ns_id());
		else
			ids.set_pid_ns_id(host_ids().pid_ns_id());
		write_ids(1, ids);
		m = refusal();
		EXPECT_TRUE(has(m, "is the dumping host's, but the config joins a " + std::string(c.type) +
					   " namespace by path"))
			<< m;
		// Unless the path names the restoring side's own namespace (a
		// host-network pod): CRIU leaves the task there, as asked.
		expect_.joined_own_namespaces = {c.type};
		EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	}
}

TEST_F(ImageVerifier, AChildInTheHostsNamespaceIsRefused)
{
	Ids ids = container_ids();
	ids.set_mnt_ns_id(host_ids().mnt_ns_id());
	write_ids(2, ids);
	std::string m = refusal();
	EXPECT_TRUE(has(m, "ids-2.img: ids.mnt_ns_id is the dumping host's mount namespace")) << m;
}

TEST_F(ImageVerifier, ARootTaskWithoutIdsIsRefused)
{
	ASSERT_EQ(::unlink((dir_ + "/ids-1.img").c_str()), 0);
	std::string m = refusal();
	EXPECT_TRUE(has(m, "ids-1.img: the root task has no namespace ids")) << m;

	Ids ids = container_ids();
	ids.clear_pid_ns_id();
	write_ids(1, ids);
	m = refusal();
	EXPECT_TRUE(has(m, "ids-1.img: ids.pid_ns_id is missing")) << m;
}

TEST_F(ImageVerifier, AnInventoryWithoutRootIdsIsRefused)
{
	write("inventory.img", le32(kInventory) + entry(ccr::criu::inventory_entry()));
	std::string m = refusal();
	EXPECT_TRUE(has(m, "inventory.img: root_ids is missing")) << m;
}

// CRIU writes no ids for a zombie: it inherits its parent's.
TEST_F(ImageVerifier, AChildWithoutIdsInheritsItsParents)
{
	ASSERT_EQ(::unlink((dir_ + "/ids-2.img").c_str()), 0);
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

TEST_F(ImageVerifier, ACgroupSetPathLeavingTheHierarchyIsRefused)
{
	for (const char *path : {"/../../x", "/ccr/./box", "/ccr//box", "ccr/..", "/ccr/box/"}) {
		ccr::criu::cgroup_entry cg;
		auto *m = cg.add_sets()->add_ctls();
		m->set_name("pids");
		m->set_path(path);
		write_cgroup(cg);
		std::string msg = refusal();
		EXPECT_TRUE(has(msg, "cgroup.img: set 0 pids path \"" + std::string(path) + "\" has a component"))
			<< msg;
	}
}

TEST_F(ImageVerifier, ACgroupDirNameOfDotDotIsRefused)
{
	for (const char *name : {"..", "../../", "a/../b", "/abs"}) {
		ccr::criu::cgroup_entry cg;
		auto *ctl = cg.add_controllers();
		ctl->add_cnames("cpu");
		ctl->add_cnames("cpuacct");
		auto *d = ctl->add_dirs();
		d->set_dir_name("ccr");
		d->add_children()->set_dir_name(name);
		write_cgroup(cg);
		std::string msg = refusal();
		EXPECT_TRUE(has(msg, "cgroup.img: controller cpu,cpuacct dirs \"ccr\" children.dir_name")) << msg;
	}
}

TEST_F(ImageVerifier, TooDeepCgroupsAreRefused)
{
	ccr::criu::cgroup_entry cg;
	auto *ctl = cg.add_controllers();
	ctl->add_cnames("pids");
	auto *d = ctl->add_dirs();
	d->set_dir_name("top");
	for (size_t i = 0; i <= ccr::kMaxCgroupDepth; i++) {
		d = d->add_children();
		d->set_dir_name("d");
	}
	write_cgroup(cg);
	EXPECT_TRUE(has(refusal(), "nests deeper than")) << "depth";

	std::string deep = "";
	for (size_t i = 0; i <= ccr::kMaxCgroupDepth; i++)
		deep += "/d";
	ccr::criu::cgroup_entry cg2;
	auto *m = cg2.add_sets()->add_ctls();
	m->set_name("pids");
	m->set_path(deep);
	write_cgroup(cg2);
	EXPECT_TRUE(has(refusal(), "is deeper than")) << "path depth";
}

TEST_F(ImageVerifier, TheHierarchyRootAndNoCgroupImageAreFine)
{
	ccr::criu::cgroup_entry cg;
	auto *m = cg.add_sets()->add_ctls();
	m->set_name("pids");
	m->set_path("/");
	auto *ctl = cg.add_controllers();
	ctl->add_cnames("pids");
	ctl->add_dirs()->set_dir_name("");
	write_cgroup(cg);
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	ASSERT_EQ(::unlink((dir_ + "/cgroup.img").c_str()), 0);
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

TEST_F(ImageVerifier, GarbageImagesAreImageErrors)
{
	write("pstree.img", le32(kCommon) + le32(kPstree) + le32(3) + "\xff\xff\xff");
	EXPECT_TRUE(has(refusal(), "pstree.img")) << "pstree";
	write_pstree({{1, 0}, {2, 1}});
	write("ids-1.img", le32(kCommon) + le32(kCgroup));
	EXPECT_TRUE(has(refusal(), "ids-1.img")) << "wrong magic";
}

// --- Mounts (mountpoints-<mnt_ns_id>.img) ---------------------------------

TEST_F(ImageVerifier, ABlockDeviceFileSystemIsRefused)
{
	auto m = mount(20, 1, 16, 2049, "/", "/mnt", "/dev/sda1");
	m.set_fsname("ext4");
	add_mount(m);
	std::string msg = refusal();
	EXPECT_TRUE(has(msg, "mountpoints-15.img: mount 20 at /mnt: a ext4 file system from \"/dev/sda1\"")) << msg;
	EXPECT_TRUE(has(msg, "CRIU would mount the host's file system there")) << msg;
	// Overlay, devtmpfs, an unsupported one: none is the container's own.
	for (uint32_t fstype : {17u, 3u, 0u}) {
		add_mount(mount(20, 1, fstype, 77, "/", "/mnt", "none"));
		EXPECT_TRUE(has(refusal(), "mount 20 at /mnt")) << "fstype " << fstype;
	}
}

TEST_F(ImageVerifier, AHostBindThatIsNotExternalIsRefused)
{
	// The rootfs's device, but a directory outside the rootfs.
	add_mount(mount(20, 1, 0, kRootDev, "/etc", "/host-etc", "/dev/vda"));
	std::string msg = refusal();
	EXPECT_TRUE(has(msg, "mount 20 at /host-etc: a unsupported file system from \"/dev/vda\" (root /etc)")) << msg;
	add_mount(mount(20, 1, 0, kRootDev, std::string(kRootfs) + "/../../../etc", "/host-etc", "/dev/vda"));
	EXPECT_TRUE(has(refusal(), "mount 20 at /host-etc")) << "a .. out of the rootfs";
	// Another device altogether.
	add_mount(mount(20, 1, 0, 2050, "/srv", "/srv", "/dev/vdb"));
	EXPECT_TRUE(has(refusal(), "mount 20 at /srv")) << "another disk";
	// A bind from inside the rootfs is the container's own.
	add_mount(mount(20, 1, 0, kRootDev, std::string(kRootfs) + "/data", "/data2", "/dev/vda"));
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

TEST_F(ImageVerifier, AnExternalMountNobodyProvidesIsRefused)
{
	auto m = mount(20, 1, 0, 2050, "/", "/secret", "/dev/vdb");
	m.set_ext_key("/host/secret");
	add_mount(m);
	std::string msg = refusal();
	EXPECT_TRUE(has(msg, "mount 20 at /secret: ext_key \"/host/secret\" is no external mount the config")) << msg;
	expect_.ext_mount_keys.insert("/host/secret"); // the caller's ext_mounts
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	// A bind of that external mount's subtree is fine too.
	auto all = mounts_;
	all.push_back(m);
	all.push_back(mount(21, 1, 0, 2050, "/sub", "/secret-sub", "/dev/vdb"));
	write_mounts(15, all);
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));

	m.set_ext_key("CRIU:AUTOGENERATED");
	add_mount(m);
	EXPECT_TRUE(has(refusal(), "a path the images chose")) << "autodetected";
	expect_.auto_ext_mounts = true;
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));

	m.set_ext_key("CRIU:EXTERNAL_DEV");
	m.set_source("dev[8/17]");
	add_mount(m);
	EXPECT_TRUE(has(refusal(), "mounts the device dev[8/17], which the caller maps to none")) << "device";
	expect_.externals = {"dev[8/17]:/dev/vdb1"};
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

TEST_F(ImageVerifier, AReadOnlyConfigMountMadeWritableIsRefused)
{
	mounts_[4].set_flags(0); // sysfs at /sys, "ro" in the config
	write_mounts(15, mounts_);
	std::string msg = refusal();
	EXPECT_TRUE(has(msg, "mount 5 at /sys: flags lack MS_RDONLY, but the config mounts /sys read-only")) << msg;
}

TEST_F(ImageVerifier, ACgroupFileSystemOutsideTheConfigsCgroupMountIsRefused)
{
	add_mount(mount(20, 1, 23, 38, "/", "/mnt/cgroup", "cgroup2", kMsRdonly));
	EXPECT_TRUE(has(refusal(), "mount 20 at /mnt/cgroup: a cgroup2 file system")) << "outside";
	// Where the config mounts cgroups (runc on a v2 host): fine, read-only.
	add_mount(mount(20, 7, 23, 38, "/", "/sys/fs/cgroup/unified", "cgroup2", kMsRdonly));
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	add_mount(mount(20, 7, 23, 38, "/", "/sys/fs/cgroup/unified", "cgroup2"));
	EXPECT_TRUE(has(refusal(), "flags lack MS_RDONLY")) << "made writable";
}

TEST_F(ImageVerifier, TheRootMountIsTheOneRootOfTheTree)
{
	add_mount(mount(20, 99, 1, 42, "/", "/proc2", "proc"));
	EXPECT_TRUE(has(refusal(), "mountpoints-15.img: mount 1 at / and mount 20 at /proc2 both have no parent"))
		<< "two roots";
	auto moved = mounts_;
	moved[0].set_mountpoint("/elsewhere");
	write_mounts(15, moved);
	EXPECT_TRUE(has(refusal(), "the root mount 1 has mountpoint /elsewhere, not /")) << "root elsewhere";
	ASSERT_EQ(::unlink((dir_ + "/mountpoints-15.img").c_str()), 0);
	EXPECT_TRUE(has(refusal(), "mountpoints-15.img: is missing")) << "no mounts";
}

// A task in a mount namespace of its own inside the container: its mounts
// are checked the same way (its root is no restore root).
TEST_F(ImageVerifier, ANestedMountNamespaceIsCheckedToo)
{
	Ids ids = container_ids();
	ids.set_mnt_ns_id(16);
	write_ids(2, ids);
	EXPECT_TRUE(has(refusal(), "mountpoints-16.img: is missing")) << "unread";
	write_mounts(16, {mount(1, 0, 5, 90, "/", "/", "tmpfs"),
			  mount(2, 1, 0, kRootDev, std::string(kRootfs) + "/bin", "/bin", "/dev/vda")});
	std::string msg = refusal();
	EXPECT_TRUE(has(msg, "mountpoints-16.img: mount 2 at /bin")) << "no restore root to bind from here: " << msg;
	write_mounts(16, {mount(1, 0, 5, 90, "/", "/", "tmpfs"), mount(2, 1, 1, 91, "/", "/proc", "proc")});
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

// --- Devices -----------------------------------------------------------------

namespace {

struct ArchiveWriteFree {
	void operator()(struct archive *a) const { archive_write_free(a); }
};

struct Node {
	std::string path;
	mode_t type; // AE_IFCHR, AE_IFBLK, AE_IFREG, AE_IFDIR
	unsigned major = 0, minor = 0;
};

// A gzipped tar as CRIU writes a tmpfs's contents.
std::string tmpfs_tar(const std::vector<Node> &nodes)
{
	std::unique_ptr<struct archive, ArchiveWriteFree> a(archive_write_new());
	archive_write_set_format_pax_restricted(a.get());
	archive_write_add_filter_gzip(a.get());
	std::vector<char> buf(1 << 20);
	size_t used = 0;
	EXPECT_EQ(archive_write_open_memory(a.get(), buf.data(), buf.size(), &used), ARCHIVE_OK);
	for (const Node &n : nodes) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, n.path.c_str());
		archive_entry_set_filetype(e, n.type);
		archive_entry_set_perm(e, 0666);
		archive_entry_set_rdevmajor(e, n.major);
		archive_entry_set_rdevminor(e, n.minor);
		EXPECT_EQ(archive_write_header(a.get(), e), ARCHIVE_OK);
		archive_entry_free(e);
	}
	archive_write_close(a.get());
	return std::string(buf.data(), used);
}

} // namespace

TEST_F(ImageVerifier, ADeviceNodeInATmpfsTheConfigDoesNotListIsRefused)
{
	// /dev is tmpfs dev 43 in the fixture.
	write("tmpfs-dev-43.tar.gz.img", tmpfs_tar({{"./", AE_IFDIR},
						    {"./null", AE_IFCHR, 1, 3},
						    {"./tty", AE_IFCHR, 5, 0},
						    {"./notes", AE_IFREG}}));
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	write("tmpfs-dev-43.tar.gz.img", tmpfs_tar({{"./sda", AE_IFBLK, 8, 0}}));
	std::string msg = refusal();
	EXPECT_TRUE(has(msg, "tmpfs-dev-43.tar.gz.img: device node /dev/sda (b 8:0) is no device the config lists"))
		<< msg;
	// A listed name with another device's numbers.
	write("tmpfs-dev-43.tar.gz.img", tmpfs_tar({{"./null", AE_IFBLK, 8, 0}}));
	EXPECT_TRUE(has(refusal(), "device node /dev/null (b 8:0)")) << "null as a disk";
	write("tmpfs-dev-43.tar.gz.img", tmpfs_tar({{"./kmsg", AE_IFCHR, 1, 11}}));
	EXPECT_TRUE(has(refusal(), "device node /dev/kmsg (c 1:11)")) << "kmsg";
	// One the config lists in linux.devices.
	expect_.devices["/dev/kmsg"] = {'c', 1, 11};
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	write("tmpfs-dev-43.tar.gz.img", "not a tar at all");
	EXPECT_TRUE(has(refusal(), "tmpfs-dev-43.tar.gz.img")) << "garbage";
}

TEST_F(ImageVerifier, AnOpenDeviceTheConfigDoesNotListIsRefused)
{
	auto reg = [](uint32_t id, const std::string &name) {
		ccr::criu::file_entry f;
		f.set_type(1);
		f.set_id(id);
		f.mutable_reg()->set_id(id);
		f.mutable_reg()->set_name(name);
		return f;
	};
	write_entries(
		"files.img", kFiles,
		std::vector{reg(1, "/bin/busybox"), reg(2, "/dev/null"), reg(3, "/dev/pts/0"), reg(4, "/dev/shm/x")});
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	expect_.dev_mounts.push_back("/dev/termination-log"); // a file the config binds there
	write_entries("files.img", kFiles, std::vector{reg(6, "/dev/termination-log"), reg(7, "/dev/pts/../sda")});
	EXPECT_TRUE(has(refusal(), "reg file 7 name /dev/pts/../sda has a \".\" or \"..\" component"))
		<< "a .. out of /dev/pts";
	write_entries("files.img", kFiles, std::vector{reg(6, "/dev/termination-log")});
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	write_entries("files.img", kFiles, std::vector{reg(1, "/bin/busybox"), reg(5, "/dev/sda")});
	std::string msg = refusal();
	EXPECT_TRUE(has(msg, "files.img: reg file 5 name /dev/sda is no device the config lists")) << msg;
	expect_.devices["/dev/sda"] = {'b', 8, 0};
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

TEST_F(ImageVerifier, AVirtualTerminalTheConfigDoesNotListIsRefused)
{
	ccr::criu::file_entry reg;
	reg.set_type(1);
	reg.set_id(7);
	reg.mutable_reg()->set_id(7);
	reg.mutable_reg()->set_name("/dev/tty1");
	ccr::criu::file_entry tty;
	tty.set_type(11);
	tty.set_id(8);
	tty.mutable_tty()->set_id(8);
	tty.mutable_tty()->set_tty_info_id(3);
	tty.mutable_tty()->set_regf_id(7);
	write_entries("files.img", kFiles, std::vector{reg, tty});
	ccr::criu::tty_info_entry info;
	info.set_id(3);
	info.set_type(3); // a virtual terminal
	write_entries("tty-info.img", kTtyInfo, std::vector{info});
	expect_.devices["/dev/tty1"] = {'c', -1, -1}; // opened by name: fine there
	std::string msg = refusal();
	EXPECT_TRUE(has(msg, "tty-info.img: tty 3 is a virtual terminal at /dev/tty1, which the config's "
			     "linux.devices does not list"))
		<< msg;
	expect_.devices["/dev/tty1"] = {'c', 4, 1};
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	info.set_type(9);
	write_entries("tty-info.img", kTtyInfo, std::vector{info});
	EXPECT_TRUE(has(refusal(), "tty 3 has type 9")) << "unknown type";
	info.set_type(1); // a pty
	write_entries("tty-info.img", kTtyInfo, std::vector{info});
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

// --- Cgroups at or below the container's ---------------------------------------

namespace {

ccr::criu::cgroup_entry one_set(const std::string &path, const std::string &dir, uint32_t cgns_prefix = 0)
{
	ccr::criu::cgroup_entry cg;
	auto *set = cg.add_sets();
	set->set_id(1);
	auto *m = set->add_ctls();
	m->set_name("pids");
	m->set_path(path);
	if (cgns_prefix)
		m->set_cgns_prefix(cgns_prefix);
	auto *ctl = cg.add_controllers();
	ctl->add_cnames("pids");
	ctl->add_dirs()->set_dir_name(dir);
	return cg;
}

} // namespace

TEST_F(ImageVerifier, ATaskOutsideTheContainersCgroupIsRefused)
{
	for (const char *path : {"/system.slice", "/ccr/box2", "/ccr", "/"}) {
		SCOPED_TRACE(path);
		write_cgroup(one_set(path, "ccr/box"));
		std::string msg = refusal();
		EXPECT_TRUE(has(msg, "cgroup.img: set 1 pids path \"" + std::string(path) +
					     "\" is not at or below the container's cgroup \"/ccr/box\""))
			<< msg;
	}
	write_cgroup(one_set("/ccr/box/inner", "ccr/box"));
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	// At the hierarchy's root (a v2 host's view of v1 controllers): only
	// the root itself, which CRIU renames to the new root.
	write_cgroup(one_set("/", ""));
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	write_cgroup(one_set("/sub", ""));
	EXPECT_TRUE(has(refusal(), "path \"/sub\" is not at or below")) << "CRIU would make <new root>sub";
}

TEST_F(ImageVerifier, ACgroupNamespacePrefixMustEndAtAComponent)
{
	write_cgroup(one_set("/ccr/box/inner", "ccr/box", 8));
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	for (uint32_t prefix : {3u, 99u, 12u}) {
		write_cgroup(one_set("/ccr/box/inner", "ccr/box", prefix));
		EXPECT_TRUE(has(refusal(), "(cgns_prefix " + std::to_string(prefix) + ") is not at or below"))
			<< prefix;
	}
}

TEST_F(ImageVerifier, CgroupDirectoriesOutsideTheContainersAreRefused)
{
	auto cg = one_set("/ccr/box", "ccr/box");
	auto *other = cg.add_controllers();
	other->add_cnames("cpu");
	other->add_dirs()->set_dir_name("system.slice/evil");
	write_cgroup(cg);
	std::string msg = refusal();
	EXPECT_TRUE(has(msg, "controller \"cpu\" directory \"system.slice/evil\" holds no task's cgroup")) << msg;

	cg = one_set("/ccr/box", "ccr/box");
	cg.mutable_controllers(0)->add_dirs()->set_dir_name("elsewhere");
	write_cgroup(cg);
	EXPECT_TRUE(has(refusal(), "controller \"pids\" has 2 top directories")) << "two trees";

	cg = one_set("/ccr/box", "ccr/box");
	cg.mutable_sets(0)->mutable_ctls(0)->set_name("memory");
	write_cgroup(cg);
	EXPECT_TRUE(has(refusal(), "set 1 memory path \"/ccr/box\": no controller entry with a directory lists memory"))
		<< "no controller";
}

} // namespace
