// SPDX-License-Identifier: Apache-2.0
#include "oci_config.hpp"

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fcntl.h>

#include "error.hpp"
#include "regular_file.hpp"

namespace ccr {
namespace {

using nlohmann::json;

// Real configs are a few KiB; this only stops a huge file early.
constexpr size_t kMaxConfigBytes = 16u << 20;

std::string field_name(const std::string &where, const char *key)
{
	return where.empty() ? std::string(key) : where + "." + key;
}

[[noreturn]] void bad(const std::string &origin, const std::string &what)
{
	throw Error(CCR_ERR_CONFIG, "OCI config " + origin + ": " + what);
}

std::string string_at(const json &obj, const char *key, const std::string &origin, const std::string &where)
{
	auto it = obj.find(key);
	if (it == obj.end() || it->is_null())
		return {};
	if (!it->is_string())
		bad(origin, field_name(where, key) + " must be a string");
	return it->get<std::string>();
}

const json *array_at(const json &obj, const char *key, const std::string &origin, const std::string &where)
{
	auto it = obj.find(key);
	if (it == obj.end() || it->is_null())
		return nullptr;
	if (!it->is_array())
		bad(origin, field_name(where, key) + " must be an array");
	return &*it;
}

std::vector<std::string> strings_at(const json &obj, const char *key, const std::string &origin,
				    const std::string &where)
{
	std::vector<std::string> out;
	const json *arr = array_at(obj, key, origin, where);
	if (!arr)
		return out;
	for (size_t i = 0; i < arr->size(); i++) {
		if (!(*arr)[i].is_string())
			bad(origin, field_name(where, key) + "[" + std::to_string(i) + "] must be a string");
		out.push_back((*arr)[i].get<std::string>());
	}
	return out;
}

} // namespace

bool OciMount::is_bind() const
{
	if (type == "bind")
		return true;
	for (const auto &o : options)
		if (o == "bind" || o == "rbind")
			return true;
	return false;
}

const OciNamespace *OciConfig::find_namespace(const std::string &type) const
{
	for (const auto &ns : namespaces)
		if (ns.type == type)
			return &ns;
	return nullptr;
}

OciConfig parse_oci_config(const json &doc, const std::string &origin)
{
	if (!doc.is_object())
		bad(origin, "the document must be a JSON object");
	OciConfig cfg;

	if (auto root = doc.find("root"); root != doc.end() && !root->is_null()) {
		if (!root->is_object())
			bad(origin, "root must be an object");
		cfg.root_path = string_at(*root, "path", origin, "root");
	}
	if (auto proc = doc.find("process"); proc != doc.end() && proc->is_object()) {
		if (auto t = proc->find("terminal"); t != proc->end() && !t->is_null()) {
			if (!t->is_boolean())
				bad(origin, "process.terminal must be a boolean");
			cfg.terminal = t->get<bool>();
		}
	}
	if (const json *mounts = array_at(doc, "mounts", origin, "")) {
		for (size_t i = 0; i < mounts->size(); i++) {
			const json &m = (*mounts)[i];
			std::string where = "mounts[" + std::to_string(i) + "]";
			if (!m.is_object())
				bad(origin, where + " must be an object");
			OciMount mount;
			mount.destination = string_at(m, "destination", origin, where);
			if (mount.destination.empty())
				bad(origin, where + ".destination is missing");
			mount.source = string_at(m, "source", origin, where);
			mount.type = string_at(m, "type", origin, where);
			mount.options = strings_at(m, "options", origin, where);
			cfg.mounts.push_back(std::move(mount));
		}
	}
	if (auto ann = doc.find("annotations"); ann != doc.end() && !ann->is_null()) {
		if (!ann->is_object())
			bad(origin, "annotations must be an object");
		for (auto it = ann->begin(); it != ann->end(); ++it) {
			if (!it->is_string())
				bad(origin, "annotations." + it.key() + " must be a string");
			cfg.annotations[it.key()] = it->get<std::string>();
		}
	}
	if (auto linux_ = doc.find("linux"); linux_ != doc.end() && !linux_->is_null()) {
		if (!linux_->is_object())
			bad(origin, "linux must be an object");
		cfg.masked_paths = strings_at(*linux_, "maskedPaths", origin, "linux");
		cfg.cgroups_path = string_at(*linux_, "cgroupsPath", origin, "linux");
		if (const json *devs = array_at(*linux_, "devices", origin, "linux")) {
			for (size_t i = 0; i < devs->size(); i++) {
				std::string where = "linux.devices[" + std::to_string(i) + "]";
				if (!(*devs)[i].is_object())
					bad(origin, where + " must be an object");
				std::string path = string_at((*devs)[i], "path", origin, where);
				if (path.empty())
					bad(origin, where + ".path is missing");
				cfg.device_paths.push_back(path);
				OciDevice dev;
				dev.path = path;
				dev.type = string_at((*devs)[i], "type", origin, where);
				for (auto [key, out] : {std::pair{"major", &dev.major}, std::pair{"minor", &dev.minor}})
					if (auto n = (*devs)[i].find(key);
					    n != (*devs)[i].end() && n->is_number_integer())
						*out = n->get<int64_t>();
				cfg.devices.push_back(std::move(dev));
			}
		}
		if (const json *nss = array_at(*linux_, "namespaces", origin, "linux")) {
			for (size_t i = 0; i < nss->size(); i++) {
				std::string where = "linux.namespaces[" + std::to_string(i) + "]";
				if (!(*nss)[i].is_object())
					bad(origin, where + " must be an object");
				OciNamespace ns;
				ns.type = string_at((*nss)[i], "type", origin, where);
				ns.path = string_at((*nss)[i], "path", origin, where);
				if (ns.type.empty())
					bad(origin, where + ".type is missing");
				cfg.namespaces.push_back(std::move(ns));
			}
		}
	}
	return cfg;
}

OciConfig load_oci_config(const ContainerSpec &spec)
{
	if (spec.config_json)
		return parse_oci_config(*spec.config_json, "(config JSON)");
	std::string path = spec.config_path;
	if (path.empty()) {
		if (spec.bundle.empty())
			throw Error(CCR_ERR_INVALID_ARGUMENT,
				    "container " + spec.id + " has no bundle and no config: set one");
		path = spec.bundle + "/config.json";
	}
	// The caller's path, followed like any path it gives; but a fifo or a
	// device there must not hang the operation before it starts.
	UniqueFd fd = open_regular_file(AT_FDCWD, path, true, CCR_ERR_CONFIG, "OCI config " + path, CCR_ERR_CONFIG);
	json doc = json::parse(read_whole_file(fd.get(), kMaxConfigBytes, "OCI config " + path), nullptr, false);
	if (doc.is_discarded())
		bad(path, "not valid JSON");
	return parse_oci_config(doc, path);
}

std::string resolve_rootfs(const ContainerSpec &spec, const OciConfig &config)
{
	std::string root = spec.rootfs;
	if (root.empty()) {
		root = config.root_path;
		if (root.empty())
			throw Error(CCR_ERR_CONFIG,
				    "container " + spec.id + ": the OCI config has no root.path and no rootfs was set");
		if (root[0] != '/') {
			if (spec.bundle.empty())
				throw Error(CCR_ERR_CONFIG,
					    "root.path \"" + root + "\" is relative but no bundle was set");
			root = spec.bundle + "/" + root;
		}
	}
	char real[PATH_MAX];
	if (!::realpath(root.c_str(), real))
		throw_errno("rootfs " + root);
	return real;
}

} // namespace ccr
