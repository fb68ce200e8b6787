// SPDX-License-Identifier: Apache-2.0
// A pod restore: the pod's parent cgroup and shared network namespace
// first, then every container with a CRIU of its own side by side, each
// held before its tasks resume until all are restored, so the pod resumes
// together; on any failure nothing of the pod is left (docs/pod.md).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <optional>
#include <thread>

#include "error.hpp"
#include "log.hpp"
#include "pod_common.hpp"
#include "processes_outside_tree.hpp"
#include "secure_dir.hpp"
#include "stopwatch.hpp"

namespace ccr {
namespace {

using namespace std::chrono_literals;

// Takes away a member that was restored when another failed: every
// process in its cgroups, then the cgroups it was given.
void take_away(int pid) noexcept
{
	try {
		std::vector<std::string> dirs;
		for (const auto &h : host_cgroup_hierarchies())
			for (const auto &m : read_proc_cgroup(pid))
				if ((h.v2 && m.controllers.empty() && m.hierarchy == 0) ||
				    (!h.v2 && m.controllers == h.controller_key()))
					dirs.push_back(h.mountpoint + (m.path == "/" ? "" : m.path));
		Freezer f = freezer_of(pid, host_cgroup_hierarchies());
		for (const auto &d : dirs)
			for (int p : processes_in_cgroup_tree(d))
				::kill(p, SIGKILL);
		f.thaw();
		::kill(pid, SIGKILL);
		while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
		}
		for (int i = 0; i < 200; i++) {
			bool empty = true;
			for (const auto &d : dirs)
				empty = empty && processes_in_cgroup_tree(d).empty();
			if (empty)
				break;
			std::this_thread::sleep_for(10ms);
		}
		for (const auto &d : dirs)
			::rmdir(d.c_str());
	} catch (...) {
		// Best effort: the error the caller gets names the failure.
	}
}

} // namespace

PodResult pod_restore(const PodSpec &pod, const std::string &dir, const Options &opts)
{
	Stopwatch wall;
	const auto &log = opts.log;
	require_valid_pod(pod);
	if (dir.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "pod " + pod.id + ": no checkpoint directory was given");
	UniqueFd dir_fd = open_private_dir(dir, false, "pod checkpoint directory");
	PodMetadata meta = read_pod_metadata(dir_fd.get(), dir);

	// Members are matched to the checkpoint's containers by id, as CRI
	// matches container configs by name.
	const size_t n = meta.members.size();
	std::vector<size_t> member_of(n);
	for (size_t i = 0; i < n; i++) {
		auto it = std::find_if(pod.members.begin(), pod.members.end(),
				       [&](const PodMember &m) { return m.spec.id == meta.members[i].id; });
		if (it == pod.members.end())
			throw Error(CCR_ERR_INVALID_ARGUMENT, "pod " + pod.id + ": the checkpoint in " + dir +
								      " has container " + meta.members[i].id +
								      ", which the pod description lacks");
		member_of[i] = size_t(it - pod.members.begin());
	}
	if (pod.members.size() != n)
		for (const auto &m : pod.members)
			if (std::none_of(meta.members.begin(), meta.members.end(),
					 [&](const PodMetadata::Member &c) { return c.id == m.spec.id; }))
				throw Error(CCR_ERR_INVALID_ARGUMENT, "pod " + pod.id + ": container " + m.spec.id +
									      " is not in the checkpoint in " + dir);
	// The namespace comes from the caller, never from pod.json: the
	// restore creates a bind mount at that path when nothing is there, and a
	// pod directory (an imported archive) is not trusted to name host paths.
	if (pod.network_ns.empty() && !meta.network_ns.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "pod " + pod.id + ": the checkpoint in " + dir +
							      " shares a network namespace (" + meta.network_ns +
							      "): name the pod's with ccr_pod_set_network_ns()");
	const std::string &netns = pod.network_ns;
	log_info(log, "restore of pod {} ({} containers{}) from {}", pod.id, n, meta.paused ? ", paused" : "", dir);

	auto hierarchies = host_cgroup_hierarchies();
	Freezer pod_f = pod_freezer(pod.cgroup_parent, hierarchies);
	PodCgroupParent parent(pod.cgroup_parent, hierarchies);
	std::optional<PodNetworkNamespace> made_netns;
	std::optional<PodNetworkLock> net_lock;
	if (!netns.empty()) {
		made_netns.emplace(netns);
		if (made_netns->created())
			log_debug(log, "created the pod's network namespace at {}", netns);
		// No connection between two containers may see a reset while
		// one of them is restored and the other is not yet.
		net_lock.emplace(netns);
	}

	PodAbort abort(n, opts.cancellation);
	auto notify_lock = std::make_shared<std::mutex>();
	PodBarrier barrier(n);
	std::vector<Options> member_opts;
	for (size_t i = 0; i < n; i++) {
		std::string work = dir + "/" + meta.members[i].id;
		Options o = member_options(pod, member_of[i], opts, work + "/checkpoint", work, abort.member(i),
					   notify_lock);
		// The namespace the checkpoint recorded is the pod's too, and
		// locked once, by this restore (member_options()).
		if (!netns.empty())
			o.network_lock = CCR_NETWORK_LOCK_SKIP;
		auto user = o.notify;
		o.notify = [user, &barrier, &abort](const NotifyEvent &ev) {
			if (abort.aborted())
				throw Error(CCR_ERR_CANCELED, "another container of the pod failed");
			int rc = user ? user(ev) : 0;
			if (rc == 0 && ev.script == "pre-resume")
				barrier.arrive_and_wait(abort);
			return rc;
		};
		member_opts.push_back(std::move(o));
	}

	PodResult result;
	result.containers.resize(n);
	std::vector<std::exception_ptr> errors = run_side_by_side(n, [&](size_t i) {
		try {
			result.containers[i] = restore(pod.members[member_of[i]].spec, member_opts[i]);
		} catch (...) {
			abort.abort();
			throw;
		}
	});
	// A cancel that came after every restore had finished changes
	// nothing: the pod runs.
	size_t failed = root_cause(errors);
	if (failed < n) {
		// A failed member's restore took itself away; one that
		// succeeded goes now.
		for (size_t i = 0; i < n; i++)
			if (!errors[i] && result.containers[i].pid > 0)
				take_away(result.containers[i].pid);
		if (net_lock)
			net_lock->unlock();
		parent.remove();
		if (made_netns)
			made_netns->remove();
		log_warning(log, "restore of pod {} failed; nothing of it is left", pod.id);
		rethrow_for_pod(errors[failed], pod.id);
	}
	parent.commit();
	if (made_netns)
		made_netns->commit();

	// The pod runs from here on: nothing may fail it now. The images
	// record each container's freezer as frozen (CRIU found it so, since
	// the pod was frozen for the checkpoint), so every container is put
	// in the state the checkpoint recorded explicitly.
	for (size_t i = 0; i < n; i++) {
		Freezer f = freezer_of(result.containers[i].pid, hierarchies);
		if (meta.members[i].self_frozen)
			f.freeze();
		else
			f.thaw();
	}
	if (meta.paused && pod_f)
		pod_f.freeze();
	if (net_lock)
		if (std::string why = net_lock->unlock(); !why.empty())
			result.warnings.push_back(why);
	for (const auto &m : meta.members)
		result.ids.push_back(m.id);
	result.wall_time_us = wall.elapsed_us();
	log_info(log, "pod {} restored in {} ms", pod.id, *result.wall_time_us / 1000);
	return result;
}

} // namespace ccr
