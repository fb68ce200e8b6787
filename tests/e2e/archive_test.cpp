// SPDX-License-Identifier: Apache-2.0
// Checkpoint archives end to end: a real container checkpointed with ccr,
// exported, read by checkpointctl (the CRI ecosystem's reader: if it accepts
// the archive, kubelet's, CRI-O's and Podman's tooling can too), imported into
// a fresh directory and restored from there, carrying on where it stopped.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ccr.h"
#include "harness.hpp"

using namespace e2e;

namespace {

bool under_ci()
{
	const char *ci = std::getenv("CI");
	return ci && std::string(ci) == "true";
}

// checkpointctl from PATH, or where scripts/bootstrap.sh's `go install` puts
// it; "" when it is nowhere.
std::string checkpointctl()
{
	std::string found = find_in_path("checkpointctl");
	if (!found.empty())
		return found;
	std::vector<std::string> candidates = {"/usr/local/bin/checkpointctl"};
	if (const char *gobin = std::getenv("GOBIN"))
		candidates.push_back(std::string(gobin) + "/checkpointctl");
	if (const char *home = std::getenv("HOME"))
		candidates.push_back(std::string(home) + "/go/bin/checkpointctl");
	for (const auto &c : candidates)
		if (::access(c.c_str(), X_OK) == 0)
			return c;
	return "";
}

class Archive : public ::testing::Test {
protected:
	void SetUp() override { require_prerequisites(); }

	// Fails under CI=true, skips elsewhere: CI must prove the format.
	void require_checkpointctl()
	{
		ctl_ = checkpointctl();
		if (!ctl_.empty())
			return;
		if (under_ci())
			FAIL() << "checkpointctl is missing (CI=true); scripts/bootstrap.sh installs it with "
				  "`go install github.com/checkpoint-restore/checkpointctl@<version>`";
		GTEST_SKIP() << "checkpointctl is not installed; run scripts/bootstrap.sh";
	}

	ErrorPtr export_archive(const Container &c, const std::string &archive, const std::string &images,
				const char *rootfs_diff = nullptr)
	{
		ContainerPtr h = c.handle();
		OptionsPtr o = make_options(images);
		return ErrorPtr(ccr_archive_export(archive.c_str(), h.get(), o.get(), rootfs_diff));
	}

	std::string ctl_;
};

// The whole path: checkpoint, export, checkpointctl show and inspect --stats,
// import, restore from the imported images with the original bundle.
TEST_F(Archive, ExportShowInspectImportRestore)
{
	require_checkpointctl();
	if (IsSkipped() || HasFatalFailure())
		return;
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");

	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(c.pid()));

	// A writable layer with one changed file and one whiteout (a file
	// deleted from the image below), as an overlayfs upper directory has.
	const std::string upper = c.dir() / "upper";
	ASSERT_EQ(::mkdir(upper.c_str(), 0755), 0);
	write_file(upper + "/changed", "changed in the container\n");
	ASSERT_EQ(::mknod((upper + "/deleted").c_str(), S_IFCHR | 0600, 0), 0);

	const std::string archive = c.dir() / "checkpoint.tar";
	err = export_archive(c, archive, images, upper.c_str());
	ASSERT_FALSE(err) << describe(err);
	struct stat st {};
	ASSERT_EQ(::stat(archive.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600u);

	CmdResult show = run({ctl_, "show", archive});
	ASSERT_TRUE(show.ok()) << "checkpointctl show failed:\n" << show.output;
	EXPECT_NE(show.output.find(c.id().substr(0, 12)), std::string::npos) << show.output;
	EXPECT_NE(show.output.find("runc"), std::string::npos) << show.output;
	EXPECT_NE(show.output.find("ROOT FS DIFF SIZE"), std::string::npos) << show.output;

	CmdResult inspect = run({ctl_, "inspect", "--stats", archive});
	ASSERT_TRUE(inspect.ok()) << "checkpointctl inspect --stats failed:\n" << inspect.output;
	EXPECT_NE(inspect.output.find("ID: " + c.id()), std::string::npos) << inspect.output;
	EXPECT_NE(inspect.output.find("CRIU dump statistics"), std::string::npos) << inspect.output;
	EXPECT_NE(inspect.output.find("Pages written:"), std::string::npos) << inspect.output;
	EXPECT_NE(inspect.output.find("Checkpointed:"), std::string::npos) << inspect.output;

	// The process tree comes from the CRIU images themselves.
	CmdResult tree = run({ctl_, "inspect", "--ps-tree", archive});
	EXPECT_TRUE(tree.ok()) << tree.output;
	EXPECT_NE(tree.output.find("sh"), std::string::npos) << tree.output;

	const std::string imported = c.dir() / "imported";
	err.reset(ccr_archive_import(archive.c_str(), imported.c_str()));
	ASSERT_FALSE(err) << describe(err);
	EXPECT_EQ(read_file(imported + "/deleted.files"), "[\"/deleted\"]\n");
	EXPECT_TRUE(path_exists(imported + "/rootfs-diff.tar"));
	EXPECT_TRUE(path_exists(imported + "/checkpoint/descriptors.json"));

	pid_t pid = 0;
	err = restore(c, imported + "/checkpoint", &pid);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid, 0);
	EXPECT_EQ(c.ask("b"), "b 2");
	EXPECT_EQ(c.ask("c"), "c 3");
}

#ifdef CCR_CLI_PATH
// The cells of checkpointctl show's one data row, by column header. Its
// table is aligned text: columns apart by two spaces or more, a line of
// dashes under the headers.
std::map<std::string, std::string> show_row(const std::string &table)
{
	auto cells = [](const std::string &line) {
		std::vector<std::string> out;
		size_t at = 0;
		while (at < line.size()) {
			size_t gap = line.find("  ", at);
			std::string cell = line.substr(at, gap == std::string::npos ? std::string::npos : gap - at);
			if (!cell.empty())
				out.push_back(cell);
			if (gap == std::string::npos)
				break;
			at = line.find_first_not_of(' ', gap);
		}
		return out;
	};
	std::vector<std::string> lines;
	std::istringstream in(table);
	for (std::string line; std::getline(in, line);)
		lines.push_back(line);
	std::map<std::string, std::string> out;
	for (size_t i = 0; i + 2 < lines.size(); i++) {
		if (lines[i].rfind("CONTAINER", 0) != 0 || lines[i + 1].rfind("---", 0) != 0)
			continue;
		auto headers = cells(lines[i]);
		auto values = cells(lines[i + 2]);
		for (size_t k = 0; k < headers.size(); k++)
			out[headers[k]] = k < values.size() ? values[k] : "";
	}
	return out;
}

// The Go toolchain that runs tests/archive_compat; "" when missing.
std::string go_tool()
{
	std::string found = find_in_path("go");
	if (found.empty() && ::access("/usr/local/go/bin/go", X_OK) == 0)
		found = "/usr/local/go/bin/go";
	return found;
}

// What the caller knows about the container (name, image, reference,
// creation time) goes through `ccr export` into every file containerd 2.4
// writes, field for field (tests/archive_compat decodes each into
// containerd's and checkpointctl's own Go types and marshals it back to the
// same bytes), and checkpointctl show fills every column from them.
TEST_F(Archive, ExportedMetadataIsContainerdsAndFillsCheckpointctlShow)
{
	require_checkpointctl();
	if (IsSkipped() || HasFatalFailure())
		return;
	const std::string go = go_tool();
	if (go.empty()) {
		if (under_ci())
			FAIL() << "go is missing (CI=true): tests/archive_compat needs the Go toolchain";
		GTEST_SKIP() << "go is not installed: tests/archive_compat needs it";
	}
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const pid_t init = c.pid();
	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images);
	ASSERT_FALSE(err) << describe(err);

	const std::string image = "docker.io/library/busybox:1.36";
	const std::string ref = "docker.io/library/busybox@sha256:"
				"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const std::string created = "2026-01-02T03:04:05.123456789Z";
	const std::string archive = c.dir() / "web.tar";
	CmdResult ex = run({CCR_CLI_PATH, "export", "--id", c.id(), "--pid", std::to_string(init), "--bundle",
			    c.bundle(), "--image-path", images, "--name", "web", "--image", image, "--image-ref", ref,
			    "--created", created, archive});
	ASSERT_TRUE(ex.ok()) << ex.output;

	CmdResult show = run({ctl_, "show", archive});
	ASSERT_TRUE(show.ok()) << show.output;
	auto row = show_row(show.output);
	ASSERT_FALSE(row.empty()) << "no table in:\n" << show.output;
	for (const auto &[column, cell] : row)
		EXPECT_FALSE(cell.empty()) << "column " << column << " is empty:\n" << show.output;
	EXPECT_EQ(row["CONTAINER"], "web") << show.output;
	EXPECT_EQ(row["IMAGE"], image) << show.output;
	EXPECT_EQ(row["ID"], c.id().substr(0, 12)) << show.output;
	EXPECT_EQ(row["RUNTIME"], "runc") << show.output;
	EXPECT_EQ(row["CREATED"], "2026-01-02T03:04:05Z") << show.output;
	EXPECT_EQ(row["ENGINE"], "containerd") << show.output;
	EXPECT_FALSE(row["CHKPT SIZE"].empty()) << show.output;

	const std::string imported = c.dir() / "imported";
	err.reset(ccr_archive_import(archive.c_str(), imported.c_str()));
	ASSERT_FALSE(err) << describe(err);
	CmdResult compat =
		run({go, "-C", std::string(CCR_SOURCE_DIR) + "/tests/archive_compat", "run", ".", "-dir", imported,
		     "-name", "web", "-image", image, "-ref", ref, "-created", created, "-pid", std::to_string(init)});
	EXPECT_TRUE(compat.ok()) << compat.output;
	EXPECT_NE(compat.output.find("archive matches containerd's writer"), std::string::npos) << compat.output;
}
#endif

// An archive whose spec.dump asks for a host directory to be bind-mounted
// (what CVE-2024-8676 exploited in CRI-O): the restore takes mounts from the
// caller's bundle only, so the host directory never appears.
TEST_F(Archive, RestoreIgnoresTheArchiveSpec)
{
	Container c;
	c.start();
	ASSERT_EQ(c.ask("a"), "a 1");
	const std::string images = c.dir() / "images";
	ErrorPtr err = checkpoint(c, images);
	ASSERT_FALSE(err) << describe(err);
	EXPECT_TRUE(wait_gone(c.pid()));

	const std::string archive = c.dir() / "checkpoint.tar";
	err = export_archive(c, archive, images);
	ASSERT_FALSE(err) << describe(err);

	// Rewrite spec.dump with an extra bind mount of a host directory.
	TempDir host("ccr-e2e-archive-host");
	write_file(host / "secret", "host secret\n");
	const std::string unpacked = c.dir() / "unpacked";
	ASSERT_EQ(::mkdir(unpacked.c_str(), 0700), 0);
	CmdResult x = run({"tar", "-xf", archive, "-C", unpacked});
	ASSERT_TRUE(x.ok()) << x.output;
	nlohmann::json spec = nlohmann::json::parse(read_file(unpacked + "/spec.dump"));
	spec["mounts"].push_back(bind_mount(host.path(), "/evil"));
	write_file(unpacked + "/spec.dump", spec.dump());
	const std::string tampered = c.dir() / "tampered.tar";
	CmdResult t = run({"tar", "-cf", tampered, "-C", unpacked, "."});
	ASSERT_TRUE(t.ok()) << t.output;

	const std::string imported = c.dir() / "imported";
	err.reset(ccr_archive_import(tampered.c_str(), imported.c_str()));
	ASSERT_FALSE(err) << describe(err);
	pid_t pid = 0;
	err = restore(c, imported + "/checkpoint", &pid);
	ASSERT_FALSE(err) << describe(err);
	ASSERT_GT(pid, 0);
	std::string mountinfo = read_file("/proc/" + std::to_string(pid) + "/mountinfo");
	EXPECT_EQ(mountinfo.find(" /evil "), std::string::npos) << mountinfo;
	EXPECT_EQ(c.ask("b"), "b 2");
}

// A hostile archive (a symlink out of the destination, then a file through
// it) is refused before the restore is even possible, and nothing is made.
TEST_F(Archive, HostileArchiveIsRefusedByTheLibrary)
{
	TempDir dir("ccr-e2e-archive-hostile");
	const std::string src = dir / "src";
	const std::string canary = dir / "canary";
	ASSERT_EQ(::mkdir(src.c_str(), 0700), 0);
	ASSERT_EQ(::mkdir(canary.c_str(), 0700), 0);
	ASSERT_EQ(::mkdir((src + "/checkpoint").c_str(), 0700), 0);
	write_file(src + "/checkpoint/inventory.img", "x");
	ASSERT_EQ(::symlink(canary.c_str(), (src + "/checkpoint/out").c_str()), 0);
	const std::string archive = dir / "hostile.tar";
	CmdResult t = run({"tar", "-cf", archive, "-C", src, "checkpoint"});
	ASSERT_TRUE(t.ok()) << t.output;

	const std::string dest = dir / "dest";
	ErrorPtr err(ccr_archive_import(archive.c_str(), dest.c_str()));
	ASSERT_TRUE(err);
	EXPECT_EQ(ccr_error_code_of(err.get()), CCR_ERR_IMAGE) << describe(err);
	EXPECT_NE(std::string(ccr_error_message(err.get())).find("checkpoint/out"), std::string::npos) << describe(err);
	EXPECT_FALSE(path_exists(dest));
}

} // namespace
