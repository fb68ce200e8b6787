// SPDX-License-Identifier: Apache-2.0
// ccr_container: the container description's constructor and setters.
#include <nlohmann/json.hpp>

#include "capi_internal.hpp"

using namespace ccr::capi;

namespace {

std::string require_absolute(const char *path, const char *name)
{
	std::string p = require_string(path, name);
	if (p.empty() || p[0] != '/')
		invalid(std::string(name) + " must be an absolute path, not \"" + p + "\"");
	return p;
}

} // namespace

extern "C" {

ccr_error *ccr_container_new(ccr_container **out, const char *id)
{
	return firewall([&] {
		require(out, "out");
		std::string name = require_string(id, "id");
		if (!valid_id(name))
			invalid("container id \"" + name + "\" is not valid: use letters, digits, '.', '_' and '-'");
		auto c = std::make_unique<ccr_container>();
		c->spec.id = name;
		*out = c.release();
	});
}

void ccr_container_free(ccr_container *container)
{
	delete container;
}

ccr_error *ccr_container_set_pid(ccr_container *container, int pid)
{
	return firewall([&] {
		auto &c = require(container, "container");
		if (pid <= 0)
			invalid("pid " + std::to_string(pid) + " is not a process id");
		c.spec.pid = pid;
	});
}

ccr_error *ccr_container_set_process_tree(ccr_container *container, int enable)
{
	return firewall([&] { require(container, "container").spec.process_tree = enable != 0; });
}

ccr_error *ccr_container_set_bundle(ccr_container *container, const char *path)
{
	return firewall([&] { require(container, "container").spec.bundle = require_absolute(path, "bundle"); });
}

ccr_error *ccr_container_set_config_path(ccr_container *container, const char *path)
{
	return firewall([&] {
		auto &c = require(container, "container");
		std::string p = require_string(path, "config path");
		if (p.empty())
			invalid("config path is empty");
		c.spec.config_path = p;
		c.spec.config_json.reset();
	});
}

ccr_error *ccr_container_set_config_json(ccr_container *container, const char *json)
{
	return firewall([&] {
		auto &c = require(container, "container");
		auto doc = nlohmann::json::parse(require_string(json, "config JSON"), nullptr, false);
		if (doc.is_discarded() || !doc.is_object())
			throw ccr::Error(CCR_ERR_CONFIG, "the OCI config JSON is not a JSON object");
		c.spec.config_json = std::move(doc);
	});
}

ccr_error *ccr_container_set_rootfs(ccr_container *container, const char *path)
{
	return firewall([&] { require(container, "container").spec.rootfs = require_absolute(path, "rootfs"); });
}

ccr_error *ccr_container_set_state_dir(ccr_container *container, const char *path)
{
	return firewall(
		[&] { require(container, "container").spec.state_dir = require_absolute(path, "state directory"); });
}

ccr_error *ccr_container_set_cgroup_path(ccr_container *container, const char *controller, const char *path)
{
	return firewall([&] {
		auto &c = require(container, "container");
		std::string p = require_string(path, "cgroup path");
		if (p.empty() || p[0] != '/')
			invalid("cgroup path must start with '/', not \"" + p + "\"");
		c.spec.cgroup_paths[controller ? controller : ""] = p;
	});
}

ccr_error *ccr_container_set_stdio(ccr_container *container, int stdin_fd, int stdout_fd, int stderr_fd)
{
	return firewall([&] {
		auto &c = require(container, "container");
		int fds[3] = {stdin_fd, stdout_fd, stderr_fd};
		for (int i = 0; i < 3; i++)
			if (fds[i] < -1)
				invalid("stdio descriptor " + std::to_string(fds[i]) + " is not valid");
		for (int i = 0; i < 3; i++)
			c.spec.stdio[i] = fds[i];
	});
}

} // extern "C"
