// SPDX-License-Identifier: Apache-2.0
// export_archive() from a fake images directory (no CRIU needed): the layout
// CRI tools read, config.dump's fields, spec.dump's annotations, the rootfs
// diff, what is refused, and that the archive appears whole or not at all.
// The e2e archive test proves the same format against checkpointctl.
#include "archive_export.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "archive_import.hpp"
#include "archive_metadata.hpp"
#include "archive_tar_writer.hpp"
#include "ccr.h"
#include "error.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct TarEntry {
	mode_t type = 0;
	mode_t perm = 0;
	std::string data;
	std::string symlink;
};

// The archive's entries by name, in order of appearance.
std::vector<std::pair<std::string, TarEntry>> read_tar_entries(const std::string &path)
{
	std::vector<std::pair<std::string, TarEntry>> out;
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 65536), ARCHIVE_OK) << archive_error_string(a);
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		TarEntry t;
		t.type = archive_entry_filetype(e);
		t.perm = archive_entry_perm(e);
		if (archive_entry_symlink(e))
			t.symlink = archive_entry_symlink(e);
		char buf[65536];
		la_ssize_t n;
		while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
			t.data.append(buf, static_cast<size_t>(n));
		out.emplace_back(archive_entry_pathname(e), std::move(t));
	}
	archive_read_free(a);
	return out;
}

std::map<std::string, TarEntry> read_tar(const std::string &path)
{
	std::map<std::string, TarEntry> out;
	for (auto &[name, t] : read_tar_entries(path))
		out[name] = t;
	return out;
}

std::map<std::string, TarEntry> read_tar_bytes(const std::string &bytes, const std::string &scratch)
{
	std::ofstream(scratch, std::ios::binary) << bytes;
	return read_tar(scratch);
}

std::string read_file(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

void write_file(const std::string &path, const std::string &text)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out << text;
}

ccr::Error error_of(const std::function<void()> &fn)
{
	try {
		fn();
	} catch (const ccr::Error &e) {
		return e;
	}
	return ccr::Error(CCR_OK, "");
}

// Deliberately odd formatting: spec.dump must keep the bytes, not re-encode.
const char *kConfig = "{\"ociVersion\": \"1.0.2\",\n  \"root\": {\"path\": \"rootfs\"},\n"
		      "  \"annotations\": {\"x\": \"y\"}  }\n";

class ArchiveExport : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ccr-archive-export-test-XXXXXX";
		ASSERT_NE(::mkdtemp(tmpl), nullptr);
		base_ = tmpl;
		images_ = base_ + "/images";
		fs::create_directory(images_);
		fs::permissions(images_, fs::perms::owner_all, fs::perm_options::replace);
		write_file(images_ + "/inventory.img", "inventory");
		write_file(images_ + "/core-1.img", "core");
		write_file(images_ + "/pages-1.img", std::string(1 << 20, 'p'));
		write_file(images_ + "/descriptors.json", "[\"pipe:[1]\",\"pipe:[2]\",\"pipe:[3]\"]");
		// CRIU's work files, here in the images directory (no work dir set).
		write_file(images_ + "/dump.log", "dump log\n");
		write_file(images_ + "/stats-dump", "stats");
		write_file(images_ + "/restore.log", "an old restore\n");
		bundle_ = base_ + "/bundle";
		fs::create_directory(bundle_);
		write_file(bundle_ + "/config.json", kConfig);
		spec_.id = "web1";
		spec_.bundle = bundle_;
		opts_.images_dir = images_;
		archive_ = base_ + "/out/ckpt.tar";
		fs::create_directory(base_ + "/out");
	}
	void TearDown() override
	{
		std::error_code ec;
		fs::remove_all(base_, ec);
	}

	std::string base_, images_, bundle_, archive_;
	ccr::ContainerSpec spec_;
	ccr::Options opts_;
};

TEST_F(ArchiveExport, LayoutIsWhatCriToolsRead)
{
	ccr::export_archive(archive_, spec_, opts_, std::nullopt);

	struct stat st {};
	ASSERT_EQ(::stat(archive_.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600u);
	// Nothing but the archive in its directory: the temporary file is gone.
	EXPECT_EQ(std::distance(fs::directory_iterator(base_ + "/out"), fs::directory_iterator()), 1);

	auto entries = read_tar_entries(archive_);
	ASSERT_FALSE(entries.empty());
	// checkpointctl looks for a directory entry named checkpoint.
	EXPECT_EQ(entries.front().first, "checkpoint/");
	EXPECT_EQ(entries.front().second.type, static_cast<mode_t>(AE_IFDIR));

	auto tar = read_tar(archive_);
	std::vector<std::string> names;
	for (auto &[n, t] : tar)
		names.push_back(n);
	EXPECT_EQ(names,
		  (std::vector<std::string>{"checkpoint/", "checkpoint/core-1.img", "checkpoint/descriptors.json",
					    "checkpoint/inventory.img", "checkpoint/pages-1.img", "config.dump",
					    "dump.log", "spec.dump", "stats-dump", "status", "status.dump"}));
	EXPECT_EQ(tar["checkpoint/pages-1.img"].data, std::string(1 << 20, 'p'));
	EXPECT_EQ(tar["checkpoint/pages-1.img"].perm, 0600u);
	EXPECT_EQ(tar["checkpoint/descriptors.json"].data, read_file(images_ + "/descriptors.json"));
	// The config as given, with the CRI annotations checkpointctl reads.
	json spec_dump = json::parse(tar["spec.dump"].data);
	EXPECT_EQ(spec_dump["annotations"]["io.kubernetes.cri.container-name"], "web1");
	EXPECT_EQ(spec_dump["annotations"]["io.kubernetes.cri.container-type"], "container");
	EXPECT_EQ(spec_dump["annotations"]["x"], "y");
	spec_dump["annotations"] = {{"x", "y"}};
	EXPECT_EQ(spec_dump, json::parse(kConfig));
	EXPECT_EQ(tar["dump.log"].data, "dump log\n");
	EXPECT_EQ(tar["stats-dump"].data, "stats");
	EXPECT_EQ(tar.count(ccr::kRootfsDiffTar), 0u);
	EXPECT_EQ(tar.count(ccr::kDeletedFilesFile), 0u);

	json config = json::parse(tar["config.dump"].data);
	EXPECT_EQ(config["id"], "web1");
	EXPECT_EQ(config["name"], "web1");
	EXPECT_EQ(config["runtime"], "runc");
	EXPECT_FALSE(config.contains("rootfsImageName")) << "no image given: left out, as Go's omitempty does";
	EXPECT_EQ(config["restored"], false);
	EXPECT_EQ(config["createdTime"], "0001-01-01T00:00:00Z") << "no pid: the creation time is unknown";
	struct stat inv {};
	ASSERT_EQ(::stat((images_ + "/inventory.img").c_str(), &inv), 0);
	using namespace std::chrono;
	auto when = ccr::SystemTime(duration_cast<ccr::SystemTime::duration>(seconds(inv.st_mtim.tv_sec) +
									     nanoseconds(inv.st_mtim.tv_nsec)));
	EXPECT_EQ(config["checkpointedTime"], ccr::go_time(when));
}

TEST_F(ArchiveExport, WorkDirFilesComeFromTheWorkDir)
{
	const std::string work = base_ + "/work";
	fs::create_directory(work);
	fs::permissions(work, fs::perms::owner_all, fs::perm_options::replace);
	write_file(work + "/my.log", "custom log\n");
	write_file(work + "/stats-dump", "work stats");
	opts_.work_dir = work;
	opts_.log_file = "my.log";
	ccr::export_archive(archive_, spec_, opts_, std::nullopt);
	auto tar = read_tar(archive_);
	EXPECT_EQ(tar["dump.log"].data, "custom log\n");
	EXPECT_EQ(tar["stats-dump"].data, "work stats");
	EXPECT_EQ(tar.count("checkpoint/dump.log"), 0u);
	EXPECT_EQ(tar.count("checkpoint/stats-dump"), 0u);
}

TEST_F(ArchiveExport, MissingStatsAndLogAreLeftOut)
{
	fs::remove(images_ + "/dump.log");
	fs::remove(images_ + "/stats-dump");
	ccr::export_archive(archive_, spec_, opts_, std::nullopt);
	auto tar = read_tar(archive_);
	EXPECT_EQ(tar.count("dump.log"), 0u);
	EXPECT_EQ(tar.count("stats-dump"), 0u);
	EXPECT_EQ(tar.count("config.dump"), 1u);
}

TEST_F(ArchiveExport, ConfigJsonIsUsedWhenGiven)
{
	spec_.bundle.clear();
	spec_.config_json = json::parse(kConfig);
	ccr::export_archive(archive_, spec_, opts_, std::nullopt);
	auto tar = read_tar(archive_);
	json spec_dump = json::parse(tar["spec.dump"].data);
	EXPECT_EQ(spec_dump["annotations"]["io.kubernetes.cri.container-name"], "web1");
	spec_dump["annotations"] = {{"x", "y"}};
	EXPECT_EQ(spec_dump, json::parse(kConfig));
}

TEST_F(ArchiveExport, CreatedTimeComesFromARunningInit)
{
	// This test process started before the images were written.
	spec_.pid = ::getpid();
	ccr::export_archive(archive_, spec_, opts_, std::nullopt);
	json config = json::parse(read_tar(archive_)["config.dump"].data);
	ASSERT_TRUE(config.contains("createdTime"));
	auto created = ccr::process_start_time(::getpid());
	ASSERT_TRUE(created);
	EXPECT_EQ(config["createdTime"], ccr::go_time(*created));
	// Go's format drops a zero fraction ("...:53Z" vs "...:53.8Z"), so the
	// strings compare in order only up to the whole second.
	EXPECT_LE(config["createdTime"].get<std::string>().substr(0, 19),
		  config["checkpointedTime"].get<std::string>().substr(0, 19));
}

TEST_F(ArchiveExport, RootfsDiffAndDeletedFiles)
{
	const std::string upper = base_ + "/upper";
	fs::create_directories(upper + "/etc/app");
	write_file(upper + "/etc/app/conf", "changed\n");
	fs::create_symlink("conf", upper + "/etc/app/link");
	bool whiteouts = ::mknod((upper + "/etc/motd").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0;
	ccr::export_archive(archive_, spec_, opts_, upper);

	auto tar = read_tar(archive_);
	ASSERT_EQ(tar.count(ccr::kRootfsDiffTar), 1u);
	ASSERT_EQ(tar.count(ccr::kDeletedFilesFile), 1u);
	auto inner = read_tar_bytes(tar[ccr::kRootfsDiffTar].data, base_ + "/inner.tar");
	EXPECT_EQ(inner["etc/app/conf"].data, "changed\n");
	EXPECT_EQ(inner["etc/app/link"].type, static_cast<mode_t>(AE_IFLNK));
	EXPECT_EQ(inner["etc/app/link"].symlink, "conf");
	EXPECT_EQ(inner.count("etc/"), 1u);
	EXPECT_EQ(inner.count("etc/motd"), 0u) << "a whiteout is a deletion, not a file";
	json deleted = json::parse(tar[ccr::kDeletedFilesFile].data);
	if (whiteouts)
		EXPECT_EQ(deleted, json::array({"/etc/motd"}));
	else
		EXPECT_EQ(deleted, json::array()); // no CAP_MKNOD here
}

TEST_F(ArchiveExport, EmptyRootfsDiffGivesEmptyDeletedFiles)
{
	const std::string upper = base_ + "/upper";
	fs::create_directory(upper);
	ccr::export_archive(archive_, spec_, opts_, upper);
	auto tar = read_tar(archive_);
	EXPECT_EQ(tar[ccr::kDeletedFilesFile].data, "[]\n");
	EXPECT_TRUE(read_tar_bytes(tar[ccr::kRootfsDiffTar].data, base_ + "/inner.tar").empty());
}

TEST_F(ArchiveExport, ReplacesAnExistingArchiveWhole)
{
	write_file(archive_, "old archive");
	ccr::export_archive(archive_, spec_, opts_, std::nullopt);
	EXPECT_EQ(read_tar(archive_).count("config.dump"), 1u);

	// A failed export leaves the previous archive as it was.
	write_file(archive_, "old archive");
	fs::remove(images_ + "/inventory.img");
	ccr::Error e = error_of([&] { ccr::export_archive(archive_, spec_, opts_, std::nullopt); });
	EXPECT_EQ(e.code(), CCR_ERR_IMAGE) << e.message();
	EXPECT_NE(e.message().find("inventory.img"), std::string::npos) << e.message();
	EXPECT_EQ(read_file(archive_), "old archive");
	EXPECT_EQ(std::distance(fs::directory_iterator(base_ + "/out"), fs::directory_iterator()), 1);
}

TEST_F(ArchiveExport, FailureMidwayLeavesNoFile)
{
	// The rootfs diff is written after the images: a missing one fails late.
	ccr::Error e = error_of([&] { ccr::export_archive(archive_, spec_, opts_, base_ + "/no-such-upper"); });
	EXPECT_EQ(e.code(), CCR_ERR_NOT_FOUND) << e.message();
	EXPECT_FALSE(fs::exists(archive_));
	EXPECT_TRUE(fs::is_empty(base_ + "/out"));
}

// An archive written inside what it archives would replace an image file
// (here core-1.img) or be swept into the next export: refused, by any path
// to the directory, and nothing there changes.
TEST_F(ArchiveExport, DestinationInsideTheImagesOrWorkDirIsRefused)
{
	const std::string work = base_ + "/work";
	fs::create_directory(work);
	fs::permissions(work, fs::perms::owner_all, fs::perm_options::replace);
	fs::create_directory(work + "/sub");
	fs::create_directory_symlink(images_, base_ + "/images-link");
	opts_.work_dir = work;
	for (const std::string &target :
	     {images_ + "/core-1.img", base_ + "/images-link/new.tar", work + "/ckpt.tar", work + "/sub/ckpt.tar"}) {
		ccr::Error e = error_of([&] { ccr::export_archive(target, spec_, opts_, std::nullopt); });
		EXPECT_EQ(e.code(), CCR_ERR_INVALID_ARGUMENT) << target << ": " << e.message();
		EXPECT_NE(e.message().find("would be written inside the"), std::string::npos) << e.message();
	}
	EXPECT_EQ(read_file(images_ + "/core-1.img"), "core");
	EXPECT_FALSE(fs::exists(images_ + "/new.tar"));
	EXPECT_TRUE(fs::is_empty(work + "/sub"));
	EXPECT_FALSE(fs::exists(work + "/ckpt.tar"));
	// Beside the images directory is fine.
	ccr::export_archive(base_ + "/ckpt.tar", spec_, opts_, std::nullopt);
	EXPECT_TRUE(fs::is_regular_file(base_ + "/ckpt.tar"));
}

TEST_F(ArchiveExport, ParentImagesAreRefused)
{
	fs::create_directory_symlink("../pre", images_ + "/parent");
	ccr::Error e = error_of([&] { ccr::export_archive(archive_, spec_, opts_, std::nullopt); });
	EXPECT_EQ(e.code(), CCR_ERR_UNSUPPORTED) << e.message();
	EXPECT_NE(e.message().find("parent"), std::string::npos) << e.message();
	EXPECT_FALSE(fs::exists(archive_));
}

TEST_F(ArchiveExport, SymlinkInImagesIsRefused)
{
	fs::create_symlink("/etc/passwd", images_ + "/core-2.img");
	ccr::Error e = error_of([&] { ccr::export_archive(archive_, spec_, opts_, std::nullopt); });
	EXPECT_EQ(e.code(), CCR_ERR_IMAGE) << e.message();
	EXPECT_NE(e.message().find("core-2.img"), std::string::npos) << e.message();
	EXPECT_FALSE(fs::exists(archive_));
}

TEST_F(ArchiveExport, OpenImagesDirIsRefused)
{
	fs::permissions(images_, fs::perms::all, fs::perm_options::replace);
	ccr::Error e = error_of([&] { ccr::export_archive(archive_, spec_, opts_, std::nullopt); });
	EXPECT_EQ(e.code(), CCR_ERR_UNSAFE_PATH) << e.message();
}

TEST_F(ArchiveExport, ConfigMustBeJsonObject)
{
	write_file(bundle_ + "/config.json", "[1, 2]");
	ccr::Error e = error_of([&] { ccr::export_archive(archive_, spec_, opts_, std::nullopt); });
	EXPECT_EQ(e.code(), CCR_ERR_CONFIG) << e.message();
	EXPECT_FALSE(fs::exists(archive_));
}

TEST_F(ArchiveExport, CanceledOptionsExportNothing)
{
	opts_.cancellation->cancel();
	ccr::Error e = error_of([&] { ccr::export_archive(archive_, spec_, opts_, std::nullopt); });
	EXPECT_EQ(e.code(), CCR_ERR_CANCELED) << e.message();
	EXPECT_FALSE(fs::exists(archive_));
}

TEST_F(ArchiveExport, RoundTripThroughImport)
{
	const std::string upper = base_ + "/upper";
	fs::create_directory(upper);
	write_file(upper + "/new", "new file\n");
	ccr::export_archive(archive_, spec_, opts_, upper);
	const std::string dest = base_ + "/imported";
	ccr::import_archive(archive_, dest);
	for (const char *name : {"inventory.img", "core-1.img", "pages-1.img", "descriptors.json"})
		EXPECT_EQ(read_file(dest + "/checkpoint/" + name), read_file(images_ + "/" + name)) << name;
	EXPECT_EQ(read_file(dest + "/spec.dump"), read_tar(archive_)["spec.dump"].data);
	EXPECT_EQ(read_file(dest + "/deleted.files"), "[]\n");
	EXPECT_TRUE(fs::is_regular_file(dest + "/rootfs-diff.tar")) << "stored, never unpacked";
	EXPECT_FALSE(fs::exists(dest + "/new"));
}

TEST_F(ArchiveExport, CApiChecksArguments)
{
	ccr_container *c = nullptr;
	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_container_new(&c, "web1"), nullptr);
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	ASSERT_EQ(ccr_container_set_bundle(c, bundle_.c_str()), nullptr);
	ASSERT_EQ(ccr_options_set_images_dir(o, images_.c_str()), nullptr);

	auto code = [](ccr_error *err) {
		ccr_error_code c = ccr_error_code_of(err);
		ccr_error_free(err);
		return c;
	};
	EXPECT_EQ(code(ccr_archive_export(nullptr, c, o, nullptr)), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(code(ccr_archive_export("", c, o, nullptr)), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(code(ccr_archive_export(archive_.c_str(), nullptr, o, nullptr)), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(code(ccr_archive_export(archive_.c_str(), c, nullptr, nullptr)), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(code(ccr_archive_export(archive_.c_str(), c, o, "")), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_FALSE(fs::exists(archive_));
	EXPECT_EQ(ccr_archive_export(archive_.c_str(), c, o, nullptr), nullptr);
	EXPECT_EQ(read_tar(archive_).count("checkpoint/inventory.img"), 1u);

	ccr_options_free(o);
	ccr_container_free(c);
}

TEST(ArchiveMetadata, Rfc3339IsGoTimeCompatible)
{
	using namespace std::chrono;
	ccr::SystemTime t(duration_cast<ccr::SystemTime::duration>(seconds(1767225600) + nanoseconds(6)));
	EXPECT_EQ(ccr::rfc3339_utc(t), "2026-01-01T00:00:00.000000006Z");
	ccr::CheckpointMetadata m;
	m.id = "abc";
	m.name = "abc";
	m.checkpointed = t;
	json j = json::parse(ccr::config_dump_json(m));
	EXPECT_EQ(j["checkpointedTime"], "2026-01-01T00:00:00.000000006Z");
	EXPECT_EQ(j["createdTime"], "0001-01-01T00:00:00Z");
	EXPECT_EQ(j["runtime"], "runc");
	// Go's RFC3339Nano: trailing zeros of the fraction are cut.
	EXPECT_EQ(ccr::go_time(t + milliseconds(500) - nanoseconds(6)), "2026-01-01T00:00:00.5Z");
	EXPECT_EQ(ccr::go_time(ccr::SystemTime(seconds(1767225600))), "2026-01-01T00:00:00Z");
	EXPECT_EQ(ccr::go_time(std::nullopt), "0001-01-01T00:00:00Z");
	// encoding/json's HTML-safe escapes.
	EXPECT_EQ(ccr::go_json(nlohmann::ordered_json{{"a", "<&>\u2028"}}), "{\"a\":\"\\u003c\\u0026\\u003e\\u2028\"}");
}

// Everything the caller says about the container lands in each file, as
// containerd's encoding/json would write it, byte for byte.
TEST_F(ArchiveExport, CallerMetadataIsWrittenAsContainerdWritesIt)
{
	write_file(bundle_ + "/config.json",
		   "{\"ociVersion\":\"1.0.2\",\"process\":{\"user\":{\"uid\":1000,\"gid\":100,"
		   "\"additionalGids\":[10,20]}},\"root\":{\"path\":\"rootfs\"}}");
	spec_.pid = 4321;
	opts_.archive.container_name = "web";
	opts_.archive.image_name = "docker.io/library/busybox:1.36";
	opts_.archive.image_ref = "docker.io/library/busybox@sha256:0123";
	opts_.archive.created_ns = 1767225600000000000;      // 2026-01-01T00:00:00Z
	opts_.archive.checkpointed_ns = 1767225660250000000; // a minute and a quarter second later
	ccr::export_archive(archive_, spec_, opts_, std::nullopt);
	auto tar = read_tar(archive_);
	EXPECT_EQ(tar["config.dump"].data,
		  "{\"id\":\"web1\",\"name\":\"web\",\"rootfsImage\":\"docker.io/library/busybox:1.36\","
		  "\"rootfsImageRef\":\"docker.io/library/busybox@sha256:0123\","
		  "\"rootfsImageName\":\"docker.io/library/busybox:1.36\",\"runtime\":\"runc\","
		  "\"createdTime\":\"2026-01-01T00:00:00Z\",\"checkpointedTime\":\"2026-01-01T00:01:00.25Z\","
		  "\"restoredTime\":\"0001-01-01T00:00:00Z\",\"restored\":false}");
	// pid 4321 is not this test's: no start time, so started = created.
	EXPECT_EQ(
		tar["status.dump"].data,
		"{\"id\":\"web1\",\"metadata\":{\"name\":\"web\"},\"state\":1,\"created_at\":1767225600000000000,"
		"\"started_at\":1767225600000000000,\"image\":{\"image\":\"docker.io/library/busybox:1.36\"},"
		"\"image_ref\":\"docker.io/library/busybox@sha256:0123\","
		"\"user\":{\"linux\":{\"uid\":1000,\"gid\":100,\"supplemental_groups\":[10,20]}},\"stop_signal\":23}");
	EXPECT_EQ(tar["status"].data,
		  "{\"Version\":\"v1\",\"Pid\":4321,\"CreatedAt\":1767225600000000000,"
		  "\"StartedAt\":1767225600000000000,\"FinishedAt\":0,\"ExitCode\":0,\"Reason\":\"\",\"Message\":\"\","
		  "\"Resources\":null}");
	json spec_dump = json::parse(tar["spec.dump"].data);
	EXPECT_EQ(spec_dump["annotations"]["io.kubernetes.cri.container-name"], "web");
	EXPECT_EQ(spec_dump["annotations"]["io.kubernetes.cri.image-name"], "docker.io/library/busybox:1.36");
}

// A config that already carries the engine's annotations is kept byte for
// byte.
TEST_F(ArchiveExport, AnnotatedConfigIsKeptByteForByte)
{
	const std::string config = "{\"ociVersion\": \"1.0.2\",\n \"annotations\": {"
				   "\"io.kubernetes.cri.container-type\": \"container\", "
				   "\"io.kubernetes.cri.container-name\": \"web1\"}}\n";
	write_file(bundle_ + "/config.json", config);
	ccr::export_archive(archive_, spec_, opts_, std::nullopt);
	EXPECT_EQ(read_tar(archive_)["spec.dump"].data, config);
}

// CRI-O's archive: its annotations in spec.dump, no containerd status files.
TEST_F(ArchiveExport, CriOEngineWritesCriOsAnnotations)
{
	opts_.archive.engine = "cri-o";
	opts_.archive.container_name = "web";
	opts_.archive.created_ns = 1767225600000000000;
	ccr::export_archive(archive_, spec_, opts_, std::nullopt);
	auto tar = read_tar(archive_);
	EXPECT_EQ(tar.count("status.dump"), 0u);
	EXPECT_EQ(tar.count("status"), 0u);
	json a = json::parse(tar["spec.dump"].data)["annotations"];
	EXPECT_EQ(a["io.container.manager"], "cri-o");
	EXPECT_EQ(a["io.kubernetes.cri-o.Metadata"], "{\"name\":\"web\"}");
	EXPECT_EQ(a["io.kubernetes.cri-o.Created"], "2026-01-01T00:00:00Z");
	EXPECT_EQ(json::parse(tar["config.dump"].data)["name"], "web");
}

TEST(ArchiveMetadata, CApiSettersCheckTheirArguments)
{
	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	auto code = [](ccr_error *e) {
		ccr_error_code c = e ? ccr_error_code_of(e) : CCR_OK;
		ccr_error_free(e);
		return c;
	};
	EXPECT_EQ(code(ccr_options_set_archive_engine(o, "podman")), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(code(ccr_options_set_archive_engine(o, nullptr)), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(code(ccr_options_set_archive_engine(o, "cri-o")), CCR_OK);
	EXPECT_EQ(code(ccr_options_set_archive_container_name(o, nullptr)), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(code(ccr_options_set_archive_image(o, "busybox", nullptr)), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(code(ccr_options_set_archive_image(o, "busybox", "")), CCR_OK);
	EXPECT_EQ(code(ccr_options_set_archive_times(o, -1, 0)), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(code(ccr_options_set_archive_times(o, 2, 1)), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(code(ccr_options_set_archive_times(o, 1, 2)), CCR_OK);
	EXPECT_EQ(code(ccr_options_set_archive_times(nullptr, 1, 2)), CCR_ERR_INVALID_ARGUMENT);
	ccr_options_free(o);
}

// A file that shrank under the writer: refused, and the stream abandoned
// without padding the entry to the size its header promised.
TEST(TarWriter, ShrunkFileIsRefusedWithoutPadding)
{
	char tmpl[] = "/tmp/ccr-tar-writer-test-XXXXXX";
	int out = ::mkstemp(tmpl);
	ASSERT_GE(out, 0);
	::unlink(tmpl);
	char src_tmpl[] = "/tmp/ccr-tar-writer-src-XXXXXX";
	int src = ::mkstemp(src_tmpl);
	ASSERT_GE(src, 0);
	::unlink(src_tmpl);
	ASSERT_EQ(::write(src, "0123456789", 10), 10);
	ASSERT_EQ(::lseek(src, 0, SEEK_SET), 0);
	struct stat st {};
	ASSERT_EQ(::fstat(src, &st), 0);
	st.st_size = off_t(4) << 30; // what the header will promise

	auto start = std::chrono::steady_clock::now();
	ccr::Error e = error_of([&] {
		ccr::TarWriter tar(out, "test archive");
		tar.add_file("pages-1.img", src, st);
	});
	EXPECT_EQ(e.code(), CCR_ERR_IMAGE) << e.message();
	EXPECT_NE(e.message().find("shrank"), std::string::npos) << e.message();
	struct stat written {};
	ASSERT_EQ(::fstat(out, &written), 0);
	EXPECT_LT(written.st_size, 1 << 20) << "the abandoned entry was padded into the file";
	EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
	::close(out);
	::close(src);
}

} // namespace
