// SPDX-License-Identifier: Apache-2.0
// The pod handles and operations of the C ABI.
#include "capi_internal.hpp"
#include "pod.hpp"

using namespace ccr::capi;

struct ccr_pod {
	ccr::PodSpec spec;
};

struct ccr_pod_result {
	std::vector<std::string> ids;
	std::vector<ccr_result> containers;
	std::optional<uint64_t> frozen_time_us;
	std::optional<uint64_t> wall_time_us;
	std::vector<std::string> warnings;
};

namespace {

ccr_pod_result *to_c(ccr::PodResult &&r)
{
	auto out = std::make_unique<ccr_pod_result>();
	out->ids = std::move(r.ids);
	for (auto &c : r.containers) {
		ccr_result one;
		one.pid = c.pid;
		one.stats = c.stats;
		one.warnings = std::move(c.warnings);
		out->containers.push_back(std::move(one));
	}
	out->frozen_time_us = r.frozen_time_us;
	out->wall_time_us = r.wall_time_us;
	out->warnings = std::move(r.warnings);
	return out.release();
}

template <class Operation>
ccr_error *run_pod(ccr_pod_result **out, const ccr_pod *pod, const char *dir, const ccr_options *options, Operation op)
{
	return firewall([&] {
		const auto &p = require(pod, "pod");
		const auto &o = require(options, "options");
		std::string d = require_string(dir, "directory");
		ccr::PodResult r = op(p.spec, d, o.opts);
		ccr_pod_result *c = to_c(std::move(r));
		if (out)
			*out = c;
		else
			delete c;
	});
}

} // namespace

extern "C" {

ccr_error *ccr_pod_new(ccr_pod **out, const char *id)
{
	return firewall([&] {
		require(out, "out");
		std::string name = require_string(id, "id");
		if (!valid_id(name))
			invalid("pod id \"" + name + "\" is not valid: use letters, digits, '.', '_' and '-'");
		auto p = std::make_unique<ccr_pod>();
		p->spec.id = name;
		*out = p.release();
	});
}

void ccr_pod_free(ccr_pod *pod)
{
	delete pod;
}

ccr_error *ccr_pod_set_cgroup_parent(ccr_pod *pod, const char *path)
{
	return firewall([&] {
		auto &p = require(pod, "pod");
		std::string s = require_string(path, "cgroup parent");
		while (s.size() > 1 && s.back() == '/')
			s.pop_back();
		bool bad = s.empty() || s[0] != '/' || s == "/";
		for (size_t pos = 0; !bad && pos < s.size();) {
			size_t next = s.find('/', pos + 1);
			std::string part =
				s.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
			bad = part.empty() || part == "." || part == "..";
			pos = next == std::string::npos ? s.size() : next;
		}
		if (bad)
			invalid("pod cgroup parent \"" + s +
				"\" must be an absolute cgroup path below the root, without empty, . or .. parts");
		p.spec.cgroup_parent = s;
	});
}

ccr_error *ccr_pod_set_network_ns(ccr_pod *pod, const char *path)
{
	return firewall([&] {
		auto &p = require(pod, "pod");
		std::string s = require_string(path, "network namespace path");
		if (!s.empty() && s[0] != '/')
			invalid("pod network namespace path \"" + s + "\" must be absolute");
		p.spec.network_ns = s;
	});
}

ccr_error *ccr_pod_add_container(ccr_pod *pod, const ccr_container *container, const ccr_options *options)
{
	return firewall([&] {
		auto &p = require(pod, "pod");
		const auto &c = require(container, "container");
		for (const auto &m : p.spec.members)
			if (m.spec.id == c.spec.id)
				invalid("pod " + p.spec.id + " has a container " + c.spec.id + " already");
		ccr::PodMember m;
		m.spec = c.spec;
		if (options)
			m.opts = options->opts;
		p.spec.members.push_back(std::move(m));
	});
}

void ccr_pod_result_free(ccr_pod_result *result)
{
	delete result;
}

size_t ccr_pod_result_count(const ccr_pod_result *result)
{
	return result ? result->containers.size() : 0;
}

const char *ccr_pod_result_container_id(const ccr_pod_result *result, size_t index)
{
	if (!result || index >= result->ids.size())
		return nullptr;
	return result->ids[index].c_str();
}

const ccr_result *ccr_pod_result_container(const ccr_pod_result *result, size_t index)
{
	if (!result || index >= result->containers.size())
		return nullptr;
	return &result->containers[index];
}

int ccr_pod_stat_of(uint64_t *out, const ccr_pod_result *result, ccr_pod_stat which)
{
	if (!out || !result)
		return 0;
	std::optional<uint64_t> v;
	switch (enum_arg(which)) {
	case CCR_POD_STAT_FROZEN_TIME_US:
		v = result->frozen_time_us;
		break;
	case CCR_POD_STAT_WALL_TIME_US:
		v = result->wall_time_us;
		break;
	}
	if (!v)
		return 0;
	*out = *v;
	return 1;
}

size_t ccr_pod_result_warning_count(const ccr_pod_result *result)
{
	return result ? result->warnings.size() : 0;
}

const char *ccr_pod_result_warning(const ccr_pod_result *result, size_t index)
{
	if (!result || index >= result->warnings.size())
		return nullptr;
	return result->warnings[index].c_str();
}

ccr_error *ccr_pod_checkpoint(ccr_pod_result **out, const ccr_pod *pod, const char *dir, const ccr_options *options)
{
	return run_pod(out, pod, dir, options, ccr::pod_checkpoint);
}

ccr_error *ccr_pod_restore(ccr_pod_result **out, const ccr_pod *pod, const char *dir, const ccr_options *options)
{
	return run_pod(out, pod, dir, options, ccr::pod_restore);
}

const char *ccr_notify_container(const ccr_notify *notify)
{
	if (!notify || notify->event->container.empty())
		return nullptr;
	return notify->event->container.c_str();
}

} // extern "C"
