// SPDX-License-Identifier: Apache-2.0
// Images that would bring a host mount into the container (issue 19, case
// 1): a real checkpoint of the busybox container, with one mount added to
// its mountpoints image the way CRIU records a mount of a disk, is refused
// before CRIU starts (directly, and exported then imported), naming the
// image and the mount, with nothing created; the same images untouched
// restore.
#include <dirent.h>
#include <sys/statfs.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ccr.h"
#include "harness.hpp"

using namespace e2e;

namespace {

// A few protobuf wire-format helpers: the test edits CRIU's images without
// linking ccr's internals.
void put_varint(std::string &out, uint64_t v)
{
	while (v >= 0x80) {
		out.push_back(char(v | 0x80));
		v >>= 7;
	}
	out.push_back(char(v));
}

void put_uint(std::string &out, int field, uint64_t v)
{
	put_varint(out, uint64_t(field) << 3);
	put_varint(out, v);
}

void put_string(std::string &out, int field, const std::string &s)
{
	put_varint(out, (uint64_t(field) << 3) | 2);
	put_varint(out, s.size());
	out += s;
}

uint64_t get_varint(const std::string &in, size_t &pos)
{
	uint64_t v = 0;
	for (int shift = 0; pos < in.size() && shift < 64; shift += 7) {
		uint8_t b = uint8_t(in[pos++]);
		v |= uint64_t(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

// The varint and string fields of one protobuf message.
struct Fields {
	std::map<int, uint64_t> numbers;
	std::map<int, std::string> strings;
};

Fields parse_fields(const std::string &msg)
{
	Fields f;
	size_t pos = 0;
	while (pos < msg.size()) {
		uint64_t key = get_varint(msg, pos);
		int field = int(key >> 3), wire = int(key & 7);
		if (wire == 0) {
			f.numbers[field] = get_varint(msg, pos);
		} else if (wire == 2) {
			size_t len = size_t(get_varint(msg, pos));
			f.strings[field] = msg.substr(pos, len);
			pos += len;
		} else {
			ADD_FAILURE() << "unexpected wire type " << wire;
			break;
		}
	}
	return f;
}

std::string le32(uint32_t v)
{
	std::string s(4, '\0');
	for (int i = 0; i < 4; i++)
		s[i] = char((v >> (8 * i)) & 0xff);
	return s;
}

std::string only_file_with_prefix(const std::string &dir, const std::string &prefix)
{
	std::vector<std::string> found;
	DIR *d = ::opendir(dir.c_str());
	if (!d)
		return "";
	while (struct dirent *e = ::readdir(d))
		if (std::string(e->d_name).rfind(prefix, 0) == 0)
			found.push_back(e->d_name);
	::closedir(d);
	return found.size() == 1 ? found.front() : "";
}

size_t mountinfo_lines_naming(const std::string &part)
{
	std::ifstream in("/proc/self/mountinfo");
	size_t n = 0;
	for (std::string line; std::getline(in, line);)
		if (line.find(part) != std::string::npos)
			n++;
	return n;
}

// The file system type of the host's / (what CRIU writes as fsname for a
// mount of that disk).
std::string root_fs_type()
{
	std::ifstream in("/proc/self/mounts");
	for (std::string dev, mnt, type, rest; in >> dev >> mnt >> type && std::getline(in, rest);)
		if (mnt == "/")
			return type;
	return "ext4";
}

} // namespace

TEST(Untrusted, ARestoreOfImagesWithAHostMountIsRefused)
{
	E2E_REQUIRE_PREREQUISITES();
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const std::string images = c.dir() / "images";
	ASSERT_FALSE(checkpoint(c, images));
	ASSERT_TRUE(wait_gone(c.pid()));
	c.delete_runc_container();

	const std::string name = only_file_with_prefix(images, "mountpoints-");
	ASSERT_FALSE(name.empty()) << "no single mountpoints image in " << images;
	const std::string path = images + "/" + name;
	const std::string original = read_file(path);
	// Magic words, then entries: a 32-bit size and a mnt_entry each. The root
	// mount is the one whose parent is not in the image; a mount of the
	// disk the container's rootfs lives on, at its root, goes below it: CRIU
	// would mount the host's disk at /data (without the check it does).
	ASSERT_GT(original.size(), 8u);
	std::vector<Fields> mounts;
	for (size_t pos = 8; pos + 4 <= original.size();) {
		uint32_t len = uint8_t(original[pos]) | uint8_t(original[pos + 1]) << 8 |
			       uint8_t(original[pos + 2]) << 16 | uint32_t(uint8_t(original[pos + 3])) << 24;
		pos += 4;
		ASSERT_LE(pos + len, original.size());
		mounts.push_back(parse_fields(original.substr(pos, len)));
		pos += len;
	}
	const Fields *root = nullptr;
	uint64_t max_id = 0;
	for (const Fields &m : mounts) {
		max_id = std::max(max_id, m.numbers.at(2));
		bool has_parent = false;
		for (const Fields &p : mounts)
			has_parent = has_parent || p.numbers.at(2) == m.numbers.at(4);
		if (!has_parent)
			root = &m;
	}
	ASSERT_NE(root, nullptr);
	ASSERT_EQ(root->strings.at(7), "/");
	std::string disk;
	put_uint(disk, 1, 16); // fstype: auto, named by fsname
	put_uint(disk, 2, max_id + 1000);
	put_uint(disk, 3, root->numbers.at(3)); // the rootfs's device
	put_uint(disk, 4, root->numbers.at(2)); // below the root mount
	put_uint(disk, 5, 0);
	put_string(disk, 6, "/");
	put_string(disk, 7, "/data");             // a directory of the busybox rootfs
	put_string(disk, 8, root->strings.at(8)); // the host's device node
	put_string(disk, 9, "rw");
	put_string(disk, 14, root_fs_type());
	write_file(path, original + le32(uint32_t(disk.size())) + disk);

	// The same images as an exported and imported archive carries them.
	const std::string archive = c.dir() / "host-mount.tar";
	const std::string imported = c.dir() / "imported";
	{
		ContainerPtr h = c.handle();
		OptionsPtr o = make_options(images);
		ASSERT_CCR_OK(ccr_archive_export(archive.c_str(), h.get(), o.get(), nullptr));
	}
	ASSERT_CCR_OK(ccr_archive_import(archive.c_str(), imported.c_str()));

	for (const std::string &from : {images, imported + "/checkpoint"}) {
		SCOPED_TRACE(from);
		const size_t mounts_before = mountinfo_lines_naming(c.id());
		ErrorPtr err = restore(c, from);
		ASSERT_TRUE(err) << "images mounting the host's disk were restored";
		EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_IMAGE) << describe(err);
		const std::string msg = ccr_error_message(err.get());
		EXPECT_NE(msg.find(name + ": mount " + std::to_string(max_id + 1000) + " at /data: a " +
				   root_fs_type() + " file system from \"" + root->strings.at(8) + "\""),
			  std::string::npos)
			<< msg;
		EXPECT_EQ(children_named("criu"), std::vector<pid_t>{}) << "CRIU was started";
		for (const char *controller : {"pids", "memory", "freezer"})
			EXPECT_FALSE(path_exists(cgroup_dir(controller, c.cgroup_path())))
				<< controller << " cgroup " << c.cgroup_path() << " was created";
		EXPECT_EQ(mountinfo_lines_naming(c.id()), mounts_before) << "a mount was left";
	}

	write_file(path, original);
	ASSERT_CCR_OK(restore(c, images).release());
	EXPECT_EQ(c.ask("b"), "b 2");
}
