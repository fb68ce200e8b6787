// SPDX-License-Identifier: Apache-2.0
// `ccr pod checkpoint|restore DIR`: a pod's containers at one freeze
// (ccr_pod_checkpoint, ccr_pod_restore).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli.hpp"

namespace cli {
namespace {

struct PodContainer {
	std::string id, bundle;
	int pid = 0;
};

// "ID:BUNDLE[:PID]"; false when malformed.
bool parse_container(const std::string &text, PodContainer &out)
{
	size_t first = text.find(':');
	if (first == std::string::npos || first == 0)
		return false;
	out.id = text.substr(0, first);
	std::string rest = text.substr(first + 1);
	size_t last = rest.rfind(':');
	if (last != std::string::npos) {
		std::string pid = rest.substr(last + 1);
		char *end = nullptr;
		long v = std::strtol(pid.c_str(), &end, 10);
		if (pid.empty() || *end || v <= 0 || v > 0x7fffffff)
			return false;
		out.pid = int(v);
		rest = rest.substr(0, last);
	}
	if (rest.empty())
		return false;
	std::error_code ec;
	out.bundle = std::filesystem::absolute(rest, ec).string();
	return true;
}

int pod_notify(const ccr_notify *n, void *payload)
{
	const char *who = ccr_notify_container(n);
	static_cast<Progress *>(payload)->phase(std::string(who ? who : "") + ": " + ccr_notify_script(n));
	return 0;
}

void print_pod_log(ccr_log_level level, const char *message, void *)
{
	std::fprintf(stderr, "ccr: %s: %s\n",
		     level == CCR_LOG_ERROR     ? "error"
		     : level == CCR_LOG_WARNING ? "warning"
						: "log",
		     message);
}

} // namespace

int pod(const Args &a)
{
	const std::string &action = a.positionals.at(0), &dir = a.positionals.at(1);
	bool restore = action == "restore";
	if (!restore && action != "checkpoint") {
		std::fprintf(stderr, "ccr pod: ACTION is checkpoint or restore, not \"%s\"\n", action.c_str());
		return kUsage;
	}
	std::vector<PodContainer> members;
	for (const auto &text : a.list("--container")) {
		PodContainer c;
		if (!parse_container(text, c)) {
			std::fprintf(stderr, "ccr pod: --container takes ID:BUNDLE or ID:BUNDLE:PID, not \"%s\"\n",
				     text.c_str());
			return kUsage;
		}
		members.push_back(c);
	}
	std::string id = a.get("--pod-id", "pod");
	ccr_pod *p = nullptr;
	ccr_options *o = nullptr;
	if (ccr_error *e = ccr_pod_new(&p, id.c_str()))
		return report_error(e, a);
	if (ccr_error *e = ccr_options_new(&o)) {
		ccr_pod_free(p);
		return report_error(e, a);
	}
	ccr_error *e = ccr_pod_set_cgroup_parent(p, a.get("--cgroup-parent").c_str());
	if (!e && a.values.count("--netns"))
		e = ccr_pod_set_network_ns(p, a.get("--netns").c_str());
	for (const auto &m : members) {
		if (e)
			break;
		ccr_container *c = nullptr;
		e = ccr_container_new(&c, m.id.c_str());
		if (!e)
			e = ccr_container_set_bundle(c, m.bundle.c_str());
		if (!e && m.pid)
			e = ccr_container_set_pid(c, m.pid);
		if (!e)
			e = ccr_pod_add_container(p, c, nullptr);
		ccr_container_free(c);
	}
	if (!e && a.values.count("--criu"))
		e = ccr_options_set_criu_path(o, a.get("--criu").c_str());
	if (!e && a.values.count("--timeout-ms"))
		e = ccr_options_set_timeout_ms(o, uint32_t(a.number("--timeout-ms")));
	if (!e)
		e = ccr_options_set_leave_running(o, a.has("--leave-running"));
	if (!e)
		e = ccr_options_set_tcp_established(o, a.has("--tcp-established"));
	if (!e && (a.has("--verbose") || a.has("--debug")))
		e = ccr_options_set_log(o, a.has("--debug") ? CCR_LOG_DEBUG : CCR_LOG_INFO, print_pod_log, nullptr,
					nullptr);
	Progress progress(!a.quiet && !a.has("--verbose") && !a.has("--debug"), "", 0);
	if (!e)
		e = ccr_options_set_notify(o, pod_notify, &progress, nullptr);
	ccr_pod_result *r = nullptr;
	if (!e)
		e = restore ? ccr_pod_restore(&r, p, dir.c_str(), o) : ccr_pod_checkpoint(&r, p, dir.c_str(), o);
	progress.done();
	int rc = kOk;
	if (e) {
		rc = report_error(e, a);
	} else if (a.json) {
		Json doc = {{"ok", true}, {"command", "pod"}, {"action", action}, {"pod", id}, {"dir", dir}};
		Json containers = Json::array();
		for (size_t i = 0; i < ccr_pod_result_count(r); i++) {
			const ccr_result *one = ccr_pod_result_container(r, i);
			Json c = {{"id", ccr_pod_result_container_id(r, i)}};
			if (restore)
				c["pid"] = ccr_result_pid(one);
			c["stats"] = stats_json(one);
			c["warnings"] = warnings_json(one);
			containers.push_back(c);
		}
		doc["containers"] = containers;
		uint64_t v = 0;
		if (ccr_pod_stat_of(&v, r, CCR_POD_STAT_FROZEN_TIME_US))
			doc["frozen_time_us"] = v;
		if (ccr_pod_stat_of(&v, r, CCR_POD_STAT_WALL_TIME_US))
			doc["wall_time_us"] = v;
		Json warnings = Json::array();
		for (size_t i = 0; i < ccr_pod_result_warning_count(r); i++)
			warnings.push_back(ccr_pod_result_warning(r, i));
		doc["warnings"] = warnings;
		print_json(doc);
	} else {
		for (size_t i = 0; i < ccr_pod_result_warning_count(r); i++)
			std::fprintf(stderr, "ccr: warning: %s\n", ccr_pod_result_warning(r, i));
		for (size_t i = 0; i < ccr_pod_result_count(r); i++) {
			const ccr_result *one = ccr_pod_result_container(r, i);
			for (size_t w = 0; w < ccr_result_warning_count(one); w++)
				std::fprintf(stderr, "ccr: warning: %s: %s\n", ccr_pod_result_container_id(r, i),
					     ccr_result_warning(one, w));
			if (restore)
				std::fprintf(stderr, "ccr: restored container %s, init pid %d\n",
					     ccr_pod_result_container_id(r, i), ccr_result_pid(one));
		}
		uint64_t frozen = 0;
		if (!restore && ccr_pod_stat_of(&frozen, r, CCR_POD_STAT_FROZEN_TIME_US))
			std::fprintf(stderr, "ccr: checkpointed pod %s into %s (frozen for %llu ms)\n", id.c_str(),
				     dir.c_str(), (unsigned long long)(frozen / 1000));
	}
	ccr_pod_result_free(r);
	ccr_options_free(o);
	ccr_pod_free(p);
	return rc;
}

} // namespace cli
