// SPDX-License-Identifier: Apache-2.0
// A pod checkpoint: freeze the pod's parent cgroup once, hand each
// container's freezer the freeze, dump every container with a CRIU of its
// own side by side, and only when the last is done thaw the pod (or kill
// it). A failure anywhere puts every container back as it was and removes
// the checkpoint directory (docs/pod.md).
#include <signal.h>
#include <sys/stat.h>

#include <optional>

#include "error.hpp"
#include "log.hpp"
#include "pod_common.hpp"
#include "secure_dir.hpp"
#include "stopwatch.hpp"

namespace ccr {
namespace {

using namespace std::chrono_literals;

// How long the pod's cgroup may take to freeze.
constexpr auto kPodFreezeLimit = 10s;

// The freezer of each member, which must lie below the pod's.
std::vector<Freezer> member_freezers(const PodSpec &pod, const Freezer &pod_f,
				     const std::vector<CgroupHierarchy> &hierarchies)
{
	std::vector<Freezer> out;
	for (const auto &m : pod.members) {
		if (m.spec.pid <= 0)
			throw Error(CCR_ERR_INVALID_ARGUMENT,
				    "pod " + pod.id + ": container " + m.spec.id + " has no init pid");
		if (::kill(m.spec.pid, 0) != 0 && errno == ESRCH)
			throw Error(CCR_ERR_NOT_FOUND,
				    "pod " + pod.id + ": container " + m.spec.id + "'s process " +
					    std::to_string(m.spec.pid) + " does not exist",
				    ESRCH);
		Freezer f = freezer_of(m.spec.pid, hierarchies);
		if (!f || f.v2 != pod_f.v2 || f.dir.rfind(pod_f.dir + "/", 0) != 0)
			throw Error(CCR_ERR_INVALID_ARGUMENT, "pod " + pod.id + ": container " + m.spec.id +
								      "'s freezer cgroup " +
								      (f ? f.dir : std::string("(none)")) +
								      " is not below the pod's cgroup " + pod_f.dir);
		out.push_back(f);
	}
	return out;
}

// Puts the pod back in the state it had: the pod's freezer as it was, each
// member's own freezer as it was. Never throws.
void put_back(const Freezer &pod_f, bool pod_paused, const std::vector<Freezer> &freezers,
	      const std::vector<bool> &self) noexcept
{
	if (pod_paused)
		pod_f.freeze();
	for (size_t i = 0; i < freezers.size(); i++)
		if (!self[i])
			freezers[i].thaw();
	if (!pod_paused)
		pod_f.thaw();
}

} // namespace

PodResult pod_checkpoint(const PodSpec &pod, const std::string &dir, const Options &opts)
{
	Stopwatch wall;
	const auto &log = opts.log;
	require_valid_pod(pod);
	if (opts.pre_dump)
		throw Error(CCR_ERR_UNSUPPORTED, "pod " + pod.id + ": a pod pre-dump is not supported");
	if (dir.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "pod " + pod.id + ": no checkpoint directory was given");
	struct stat st;
	if (::lstat(dir.c_str(), &st) == 0)
		throw Error(CCR_ERR_INVALID_ARGUMENT,
			    "pod " + pod.id + ": the checkpoint directory " + dir + " exists already");
	auto hierarchies = host_cgroup_hierarchies();
	Freezer pod_f = pod_freezer(pod.cgroup_parent, hierarchies);
	if (!pod_f)
		throw Error(CCR_ERR_UNSUPPORTED,
			    "pod " + pod.id + ": the host has no freezer cgroup to freeze it with");
	if (::stat(pod_f.dir.c_str(), &st) != 0)
		throw_errno_as(CCR_ERR_NOT_FOUND, "pod " + pod.id + ": its cgroup " + pod_f.dir);
	std::vector<Freezer> freezers = member_freezers(pod, pod_f, hierarchies);
	if (!pod.network_ns.empty() && ::stat(pod.network_ns.c_str(), &st) != 0)
		throw_errno_as(CCR_ERR_NOT_FOUND, "pod " + pod.id + ": its network namespace " + pod.network_ns);

	TempDir made;
	{
		UniqueFd fd = open_private_dir(dir, true, "pod checkpoint directory");
		made = TempDir(dir, std::move(fd));
	}
	const size_t n = pod.members.size();
	std::vector<std::string> work_dirs;
	for (const auto &m : pod.members) {
		work_dirs.push_back(dir + "/" + m.spec.id);
		open_private_dir(work_dirs.back(), true, "container checkpoint directory");
	}

	PodMetadata meta;
	meta.id = pod.id;
	meta.cgroup_parent = pod.cgroup_parent;
	meta.network_ns = pod.network_ns;
	meta.paused = pod_f.frozen();
	std::vector<bool> self(n);
	for (size_t i = 0; i < n; i++) {
		self[i] = self_frozen(freezers[i]);
		meta.members.push_back({pod.members[i].spec.id, self[i]});
	}
	log_info(log, "checkpoint of pod {} ({} containers, cgroup {}{}) into {}", pod.id, n, pod_f.dir,
		 meta.paused ? ", paused: stays paused" : "", dir);

	PodAbort abort(n, opts.cancellation);
	auto notify_lock = std::make_shared<std::mutex>();
	PodBarrier barrier(n);
	std::vector<Options> member_opts;
	for (size_t i = 0; i < n; i++) {
		member_opts.push_back(member_options(pod, i, opts, work_dirs[i] + "/checkpoint", work_dirs[i],
						     abort.member(i), notify_lock));
		// CRIU finds the container's freezer frozen, so with
		// leave_running it freezes it again when done: ccr thaws the
		// pod once every dump is done.
		Options &o = member_opts.back();
		o.leave_running = opts.leave_running;
		o.freeze_cgroup.reset();
		// No CRIU goes past post-dump (its images written, the tasks
		// still held and, with tcp_established, their sockets still in
		// repair mode) before every CRIU got there: until then a
		// failure anywhere lets every container go on as it was; after
		// it, each CRIU kills its container (without leave_running:
		// sockets in repair mode close without a word to their peers)
		// or lets it go frozen.
		auto user = o.notify;
		o.notify = [user, &barrier, &abort](const NotifyEvent &ev) {
			if (abort.aborted())
				throw Error(CCR_ERR_CANCELED, "another container of the pod failed");
			int rc = user ? user(ev) : 0;
			if (rc == 0 && ev.script == "post-dump")
				barrier.arrive_and_wait(abort);
			return rc;
		};
	}

	// One freeze for the whole pod: the parent's freezer stops every task
	// at once. Each member's own freezer then takes the freeze over, so
	// that the parent can be thawed again: CRIU thaws a container's
	// freezer once it holds the tasks, which a frozen parent would defeat.
	// The tasks stay frozen throughout.
	Stopwatch frozen;
	std::optional<PodNetworkLock> net_lock;
	try {
		if (!meta.paused)
			freeze_now(pod_f, kPodFreezeLimit);
		for (const auto &f : freezers)
			f.freeze();
		if (!pod.network_ns.empty())
			net_lock.emplace(pod.network_ns);
		pod_f.thaw();
		log_debug(log, "pod {} frozen in {} us", pod.id, frozen.elapsed_us());
	} catch (...) {
		put_back(pod_f, meta.paused, freezers, self);
		throw;
	}

	PodResult result;
	result.containers.resize(n);
	std::vector<std::exception_ptr> errors = run_side_by_side(n, [&](size_t i) {
		try {
			result.containers[i] = checkpoint(pod.members[i].spec, member_opts[i]);
		} catch (...) {
			abort.abort();
			throw;
		}
	});
	// A cancel that came after every CRIU had finished changes nothing:
	// the checkpoint is complete (and, without leave_running, the pod
	// gone), so it stands.
	size_t failed = root_cause(errors);
	if (failed < n) {
		// Every container is held by its own freezer (checkpoint()
		// freezes a container it found frozen again when CRIU fails).
		put_back(pod_f, meta.paused, freezers, self);
		if (net_lock)
			net_lock->unlock();
		std::string gone;
		for (size_t i = 0; i < n && !opts.leave_running; i++)
			if (!errors[i])
				gone += (gone.empty() ? "" : ", ") + pod.members[i].spec.id;
		if (gone.empty()) {
			made.remove();
			log_warning(log, "checkpoint of pod {} failed; every container is back as it was", pod.id);
			rethrow_for_pod(errors[failed], pod.id);
		}
		// Only a CRIU that died after every CRIU had reached post-dump
		// gets here: the others had stopped their containers, whose
		// images are complete. They are kept.
		made.release();
		log_warning(log, "checkpoint of pod {} failed after {} had been stopped", pod.id, gone);
		try {
			std::rethrow_exception(errors[failed]);
		} catch (Error &e) {
			e.appended("; the checkpoint of " + gone +
				   " had completed and stopped them: their images stay in " + dir);
		} catch (...) {
		}
		rethrow_for_pod(errors[failed], pod.id);
	}

	try {
		write_pod_metadata(made.fd(), meta);
	} catch (...) {
		put_back(pod_f, meta.paused, freezers, self);
		made.remove();
		throw;
	}
	// The checkpoint is complete: from here on nothing may fail it.
	// Without leave_running every CRIU has killed its container; with it
	// every container waits frozen.
	if (opts.leave_running && meta.paused)
		pod_f.freeze();
	if (net_lock)
		if (std::string why = net_lock->unlock(); !why.empty())
			result.warnings.push_back(why);
	for (size_t i = 0; i < n; i++)
		if (!self[i] || !opts.leave_running)
			freezers[i].thaw();
	result.frozen_time_us = frozen.elapsed_us();
	if (net_lock)
		if (std::string why = net_lock->unlock(); !why.empty())
			result.warnings.push_back(why);
	made.release();
	for (const auto &m : pod.members)
		result.ids.push_back(m.spec.id);
	result.wall_time_us = wall.elapsed_us();
	log_info(log, "pod {} checkpointed in {} ms, frozen for {} ms", pod.id, *result.wall_time_us / 1000,
		 *result.frozen_time_us / 1000);
	return result;
}

} // namespace ccr
