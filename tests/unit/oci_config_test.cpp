// SPDX-License-Identifier: Apache-2.0
// parse_oci_config(): what it takes from a config.json, and errors that name
// the exact field that is wrong, so a caller can fix their config from the
// message alone.
#include "oci_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "container_spec.hpp"
#include "error.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

ccr::Error error_of(const std::function<void()> &fn)
{
	try {
		fn();
	} catch (const ccr::Error &e) {
		return e;
	}
	return ccr::Error(CCR_OK, "");
}

// The CCR_ERR_CONFIG message for a document; fails the test if it parses.
std::string config_error(const json &doc)
{
	auto e = error_of([&] { ccr::parse_oci_config(doc, "test.json"); });
	EXPECT_EQ(e.code(), CCR_ERR_CONFIG) << doc.dump() << " -> " << e.message();
	return e.message();
}

#define EXPECT_NAMES(doc, field)                                                                                       \
	do {                                                                                                           \
		std::string msg_ = config_error(doc);                                                                  \
		EXPECT_NE(msg_.find(field), std::string::npos) << "\"" << field << "\" not in: " << msg_;              \
		EXPECT_NE(msg_.find("test.json"), std::string::npos) << msg_;                                          \
	} while (0)

json sample()
{
	return json::parse(R"({
		"ociVersion": "1.0.2",
		"process": {"terminal": true, "args": ["sh"]},
		"root": {"path": "rootfs", "readonly": true},
		"mounts": [
			{"destination": "/proc", "type": "proc", "source": "proc"},
			{"destination": "/etc/hosts", "type": "bind", "source": "/var/lib/web1/hosts",
			 "options": ["rbind", "ro"]},
			{"destination": "/data", "type": "none", "source": "/srv/data", "options": ["rbind", "rw"]},
			{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
			 "options": ["nosuid", "ro"]}
		],
		"annotations": {"org.criu.config": "/etc/criu/web1.conf", "other": ""},
		"linux": {
			"cgroupsPath": "/ccr/web1",
			"maskedPaths": ["/proc/kcore", "/proc/acpi"],
			"devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}],
			"namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/web1"}]
		}
	})");
}

TEST(OciConfig, ParsesTheFieldsCheckpointNeeds)
{
	ccr::OciConfig c = ccr::parse_oci_config(sample(), "test.json");
	EXPECT_EQ(c.root_path, "rootfs");
	EXPECT_TRUE(c.terminal);
	ASSERT_EQ(c.mounts.size(), 4u);
	EXPECT_EQ(c.mounts[1].destination, "/etc/hosts");
	EXPECT_EQ(c.mounts[1].source, "/var/lib/web1/hosts");
	EXPECT_EQ(c.mounts[1].type, "bind");
	EXPECT_EQ(c.mounts[1].options, (std::vector<std::string>{"rbind", "ro"}));
	EXPECT_FALSE(c.mounts[0].is_bind());
	EXPECT_TRUE(c.mounts[1].is_bind());
	EXPECT_TRUE(c.mounts[2].is_bind()) << "an rbind option makes a bind whatever the type";
	EXPECT_FALSE(c.mounts[3].is_bind());
	EXPECT_EQ(c.annotations.at("org.criu.config"), "/etc/criu/web1.conf");
	EXPECT_EQ(c.annotations.at("other"), "");
	EXPECT_EQ(c.cgroups_path, "/ccr/web1");
	EXPECT_EQ(c.masked_paths, (std::vector<std::string>{"/proc/kcore", "/proc/acpi"}));
	EXPECT_EQ(c.device_paths, (std::vector<std::string>{"/dev/fuse"}));
	ASSERT_EQ(c.devices.size(), 1u);
	EXPECT_EQ(c.devices[0].path, "/dev/fuse");
	EXPECT_EQ(c.devices[0].type, "c");
	EXPECT_EQ(c.devices[0].major, 10);
	EXPECT_EQ(c.devices[0].minor, 229);
	ASSERT_EQ(c.namespaces.size(), 2u);
	ASSERT_NE(c.find_namespace("network"), nullptr);
	EXPECT_EQ(c.find_namespace("network")->path, "/var/run/netns/web1");
	EXPECT_EQ(c.find_namespace("pid")->path, "");
	EXPECT_EQ(c.find_namespace("cgroup"), nullptr);
}

TEST(OciConfig, MinimalDocument)
{
	ccr::OciConfig c = ccr::parse_oci_config(json::object(), "test.json");
	EXPECT_EQ(c.root_path, "");
	EXPECT_FALSE(c.terminal);
	EXPECT_TRUE(c.mounts.empty());
	EXPECT_TRUE(c.namespaces.empty());
	// null means absent, as Go's encoding/json writes it.
	json doc = {{"mounts", nullptr}, {"linux", nullptr}, {"annotations", nullptr}, {"root", nullptr}};
	EXPECT_NO_THROW(ccr::parse_oci_config(doc, "test.json"));
}

TEST(OciConfig, DocumentMustBeAnObject)
{
	EXPECT_NAMES(json::array(), "JSON object");
	EXPECT_NAMES(json("text"), "JSON object");
}

TEST(OciConfig, MountErrorsNameTheMount)
{
	json doc = sample();
	doc["mounts"][1].erase("destination");
	EXPECT_NAMES(doc, "mounts[1].destination");

	doc = sample();
	doc["mounts"][2]["destination"] = 42;
	EXPECT_NAMES(doc, "mounts[2].destination");

	doc = sample();
	doc["mounts"][1]["source"] = json::array();
	EXPECT_NAMES(doc, "mounts[1].source");

	doc = sample();
	doc["mounts"][3]["type"] = true;
	EXPECT_NAMES(doc, "mounts[3].type");

	doc = sample();
	doc["mounts"][1]["options"] = "rbind";
	EXPECT_NAMES(doc, "mounts[1].options");

	doc = sample();
	doc["mounts"][2]["options"][1] = 7;
	EXPECT_NAMES(doc, "mounts[2].options[1]");

	doc = sample();
	doc["mounts"][0] = "proc";
	EXPECT_NAMES(doc, "mounts[0]");

	doc = sample();
	doc["mounts"] = json::object();
	EXPECT_NAMES(doc, "mounts must be an array");
}

TEST(OciConfig, LinuxErrorsNameTheField)
{
	json doc = sample();
	doc["linux"]["devices"][0].erase("path");
	EXPECT_NAMES(doc, "linux.devices[0].path");

	doc = sample();
	doc["linux"]["devices"].push_back("fuse");
	EXPECT_NAMES(doc, "linux.devices[1]");

	doc = sample();
	doc["linux"]["namespaces"][1].erase("type");
	EXPECT_NAMES(doc, "linux.namespaces[1].type");

	doc = sample();
	doc["linux"]["namespaces"][1]["path"] = 3;
	EXPECT_NAMES(doc, "linux.namespaces[1].path");

	doc = sample();
	doc["linux"]["maskedPaths"][1] = json::object();
	EXPECT_NAMES(doc, "linux.maskedPaths[1]");

	doc = sample();
	doc["linux"]["cgroupsPath"] = 5;
	EXPECT_NAMES(doc, "linux.cgroupsPath");

	doc = sample();
	doc["linux"] = json::array();
	EXPECT_NAMES(doc, "linux must be an object");
}

TEST(OciConfig, OtherErrorsNameTheField)
{
	json doc = sample();
	doc["root"]["path"] = 1;
	EXPECT_NAMES(doc, "root.path");

	doc = sample();
	doc["root"] = "rootfs";
	EXPECT_NAMES(doc, "root must be an object");

	doc = sample();
	doc["process"]["terminal"] = "yes";
	EXPECT_NAMES(doc, "process.terminal");

	doc = sample();
	doc["annotations"]["org.criu.config"] = 1;
	EXPECT_NAMES(doc, "annotations.org.criu.config");

	doc = sample();
	doc["annotations"] = json::array();
	EXPECT_NAMES(doc, "annotations must be an object");
}

// ---- from files, and the rootfs -------------------------------------------------

class OciConfigFiles : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ccr-oci-config-test-XXXXXX";
		ASSERT_NE(::mkdtemp(tmpl), nullptr);
		bundle_ = tmpl;
		fs::create_directories(bundle_ + "/rootfs");
		spec_.id = "web1";
		spec_.bundle = bundle_;
	}
	void TearDown() override
	{
		std::error_code ec;
		fs::remove_all(bundle_, ec);
	}
	std::string bundle_;
	ccr::ContainerSpec spec_;
};

TEST_F(OciConfigFiles, ReadsBundleConfigAndResolvesRelativeRoot)
{
	std::ofstream(bundle_ + "/config.json") << sample().dump();
	ccr::OciConfig c = ccr::load_oci_config(spec_);
	EXPECT_EQ(c.root_path, "rootfs");
	EXPECT_EQ(ccr::resolve_rootfs(spec_, c), fs::canonical(bundle_ + "/rootfs").string());
}

TEST_F(OciConfigFiles, BrokenFileNamesItsPath)
{
	std::ofstream(bundle_ + "/config.json") << "{ not json";
	auto e = error_of([&] { ccr::load_oci_config(spec_); });
	EXPECT_EQ(e.code(), CCR_ERR_CONFIG);
	EXPECT_NE(e.message().find(bundle_ + "/config.json"), std::string::npos) << e.message();
}

TEST_F(OciConfigFiles, MissingFileIsAConfigError)
{
	auto e = error_of([&] { ccr::load_oci_config(spec_); });
	EXPECT_EQ(e.code(), CCR_ERR_CONFIG);
	EXPECT_NE(e.message().find(bundle_ + "/config.json"), std::string::npos) << e.message();
}

TEST_F(OciConfigFiles, ConfigJsonWinsOverTheBundle)
{
	spec_.config_json = json{{"root", {{"path", "/elsewhere"}}}};
	EXPECT_EQ(ccr::load_oci_config(spec_).root_path, "/elsewhere");
}

TEST_F(OciConfigFiles, RootfsErrors)
{
	ccr::OciConfig none;
	EXPECT_EQ(error_of([&] { ccr::resolve_rootfs(spec_, none); }).code(), CCR_ERR_CONFIG);
	ccr::OciConfig missing;
	missing.root_path = "no-such-rootfs";
	EXPECT_EQ(error_of([&] { ccr::resolve_rootfs(spec_, missing); }).code(), CCR_ERR_NOT_FOUND);
	// An explicit rootfs wins over the config.
	spec_.rootfs = bundle_ + "/rootfs";
	EXPECT_EQ(ccr::resolve_rootfs(spec_, missing), fs::canonical(bundle_ + "/rootfs").string());
}

} // namespace

// A fifo (or any file that is not a regular one) given as the config is
// refused at once: open() of a fifo without a writer blocked the whole
// checkpoint or restore before. After 10 s the test opens the other end so a
// hung load returns, and fails.
TEST(OciConfig, AFifoAsTheConfigIsRefusedWithoutBlocking)
{
	char tmpl[] = "/tmp/ccr-oci-fifo-XXXXXX";
	ASSERT_NE(::mkdtemp(tmpl), nullptr);
	const std::string fifo = std::string(tmpl) + "/config.json";
	ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
	ccr::ContainerSpec spec;
	spec.id = "web1";
	spec.config_path = fifo;
	auto load = std::async(std::launch::async, [&] { return error_of([&] { ccr::load_oci_config(spec); }); });
	if (load.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
		ADD_FAILURE() << "loading a fifo as the OCI config did not return within 10 s";
		int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (w >= 0)
			::close(w);
	}
	ccr::Error e = load.get();
	EXPECT_EQ(e.code(), CCR_ERR_CONFIG) << e.message();
	EXPECT_NE(e.message().find(fifo + " is a fifo, not a regular file"), std::string::npos) << e.message();
	fs::remove_all(tmpl);
}
