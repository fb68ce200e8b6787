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
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

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
		expect_.new_namespaces = {"pid", "network", "ipc", "uts", "mount"};
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
};

bool has(const std::string &s, const std::string &part)
{
	return s.find(part) != std::string::npos;
}

TEST_F(ImageVerifier, AContainerCheckpointPasses)
{
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
}

// The fuzz seed holds pstree.img, inventory.img, cgroup.img and ids-*.img of
// a real checkpoint of the e2e busybox container (runc, new pid, network,
// ipc, uts and mount namespaces; CRIU 4.1.1), each behind a byte naming the
// file and a 16-bit length. It passes with the config's namespaces, and is
// refused when the config also asks for a user namespace (the container
// had none: its tasks are in the dumping host's).
TEST_F(ImageVerifier, ARealContainerCheckpointPasses)
{
	const char *names[] = {"pstree.img", "inventory.img", "cgroup.img", "ids-1.img",
			       "ids-2.img",  "ids-3.img",     "ids-7.img",  "ids-8.img"};
	for (const char *n : names)
		::unlink((dir_ + "/" + n).c_str());
	std::ifstream in(std::string(CCR_SOURCE_DIR) + "/tests/fuzz/corpus/image_verifier/busybox-container.bin",
			 std::ios::binary);
	ASSERT_TRUE(in);
	std::string seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	size_t pos = 0, files = 0;
	while (pos + 3 <= seed.size()) {
		size_t len = size_t(uint8_t(seed[pos + 1])) | (size_t(uint8_t(seed[pos + 2])) << 8);
		ASSERT_LE(pos + 3 + len, seed.size());
		write(names[uint8_t(seed[pos]) % 8], seed.substr(pos + 3, len));
		pos += 3 + len;
		files++;
	}
	ASSERT_EQ(files, 5u);
	expect_.new_namespaces = {"pid", "network", "ipc", "uts", "mount"};
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

TEST_F(ImageVerifier, ANamespaceTheConfigJoinsOrSharesIsNotChecked)
{
	write_ids(1, host_ids());
	write_ids(2, host_ids());
	expect_.new_namespaces = {};
	EXPECT_NO_THROW(ccr::verify_images(fd_.get(), expect_));
	// The user namespace is shared with the host here, and not asked for.
	expect_.new_namespaces = {"user"};
	write_ids(1, container_ids());
	EXPECT_TRUE(has(refusal(), "ids.user_ns_id is the dumping host's user namespace")) << "asked for: refused";
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
	cg.add_controllers()->add_dirs()->set_dir_name("");
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

} // namespace
