// SPDX-License-Identifier: Apache-2.0
// What a pod checkpoint and a pod restore share: the pod's freezer, the
// lock on its shared network namespace, its metadata file, each member's
// options, and running the members' CRIUs side by side.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <atomic>
#include <string>
#include <vector>

#include "cgroups.hpp"
#include "pod.hpp"

namespace ccr {

// The freezer of the pod's parent cgroup: the v1 freezer hierarchy's
// directory, or the v2 cgroup on a v2-only host (as freezer_of() picks).
Freezer pod_freezer(const std::string &cgroup_parent, const std::vector<CgroupHierarchy> &hierarchies);

// Whether a container's own freezer is frozen by itself (v1
// freezer.self_freezing, v2 cgroup.freeze), not only through its parent.
bool self_frozen(const Freezer &f);

// Freezes `f` and waits until every task in it is frozen; throws
// CCR_ERR_SYSTEM when that does not happen within `limit` (the freezer is
// thawed again then).
void freeze_now(const Freezer &f, std::chrono::milliseconds limit);

// Drops every packet in the network namespace at `netns_path` (an iptables
// chain CCR-POD that INPUT and OUTPUT jump to) while it lives: a connection
// between two containers of the pod then never sees a reset from a peer
// that is being dumped or is not restored yet.
class PodNetworkLock {
public:
	PodNetworkLock() = default;
	explicit PodNetworkLock(std::string netns_path);
	PodNetworkLock(const PodNetworkLock &) = delete;
	PodNetworkLock &operator=(const PodNetworkLock &) = delete;
	~PodNetworkLock() { unlock(); }
	// Best effort, never throws; returns "" or what went wrong.
	std::string unlock() noexcept;

private:
	std::string netns_;
	bool v6_ = false;
};

// What pod.json records.
struct PodMetadata {
	std::string id;
	std::string cgroup_parent;
	std::string network_ns;
	bool paused = false; // the pod's parent cgroup was frozen
	struct Member {
		std::string id;
		bool self_frozen = false; // the container's own freezer was
	};
	std::vector<Member> members;
};
void write_pod_metadata(int dir_fd, const PodMetadata &m);
PodMetadata read_pod_metadata(int dir_fd, const std::string &dir_path);

// Stops the pod operation when one member fails or the caller cancels.
// abort() only raises a flag: each member's notify callback then fails
// CRIU's next notification, and CRIU undoes what it did itself (with
// tcp_established it takes the sockets out of repair mode; a CRIU killed
// instead would leave them in it, and the connection dead). Each member
// also has a cancellation of its own, which kills its CRIU at a safe point
// as for one container: tripped only when a caller's cancel is not
// answered within kSafeStopBound (a CRIU that sends no notification).
class PodAbort {
public:
	PodAbort(size_t members, std::shared_ptr<Cancellation> caller);
	~PodAbort();
	PodAbort(const PodAbort &) = delete;
	PodAbort &operator=(const PodAbort &) = delete;
	std::shared_ptr<Cancellation> member(size_t i) const { return members_[i]; }
	void abort() noexcept;
	bool aborted() const noexcept { return aborted_; }

private:
	std::vector<std::shared_ptr<Cancellation>> members_;
	std::shared_ptr<Cancellation> caller_;
	std::atomic<bool> aborted_{false};
	Cancellation done_;
	std::thread watcher_;
};

// Holds each member's CRIU at one notification (the checkpoint's
// post-dump, the restore's pre-resume) until every member got there, so
// that none goes past the point of no return alone.
class PodBarrier {
public:
	explicit PodBarrier(size_t members) : left_(members) {}
	// Throws CCR_ERR_CANCELED when the pod was aborted meanwhile (another
	// member failed, or the caller canceled).
	void arrive_and_wait(const PodAbort &abort);

private:
	std::mutex lock_;
	std::condition_variable all_;
	size_t left_;
};

// The options member `i` runs with: its own (or the pod's), with the pod's
// directories, cancellation, time limit, log and notify callback (called
// one at a time, with the member's id in the event).
Options member_options(const PodSpec &pod, size_t i, const Options &pod_opts, const std::string &images_dir,
		       const std::string &work_dir, std::shared_ptr<Cancellation> cancellation,
		       std::shared_ptr<std::mutex> notify_lock);

// Runs body(i) for every i < n on threads of its own and waits for all;
// what each threw, or null.
std::vector<std::exception_ptr> run_side_by_side(size_t n, const std::function<void(size_t)> &body);

// The first error that is not a stop caused by the pod's own abort (a
// cancel that reached a member because another failed), else the first.
size_t root_cause(const std::vector<std::exception_ptr> &errors);

// Rethrows errors[i] prefixed with "pod <id>: ", as an Error.
[[noreturn]] void rethrow_for_pod(const std::exception_ptr &error, const std::string &pod_id);

// Checks ids (unique, non-empty) and the cgroup parent of `pod`.
void require_valid_pod(const PodSpec &pod);

} // namespace ccr

namespace ccr {

// Creates the pod's parent cgroup in every hierarchy where it is missing
// (a v1 cpuset gets its parent's CPUs and memory nodes), so that the
// members' restores, side by side, find it whole. remove() takes away
// what was created (when empty again); commit() keeps it.
class PodCgroupParent {
public:
	PodCgroupParent(const std::string &cgroup_parent, const std::vector<CgroupHierarchy> &hierarchies);
	PodCgroupParent(const PodCgroupParent &) = delete;
	PodCgroupParent &operator=(const PodCgroupParent &) = delete;
	~PodCgroupParent() { remove(); }
	void remove() noexcept;
	void commit() { created_.clear(); }

private:
	std::vector<std::string> created_;
};

// A network namespace bound at `path` (as `ip netns add` makes one) with
// its loopback up, when nothing is there yet; removed again by remove()
// unless committed. When `path` exists it is left alone.
class PodNetworkNamespace {
public:
	explicit PodNetworkNamespace(const std::string &path);
	PodNetworkNamespace(const PodNetworkNamespace &) = delete;
	PodNetworkNamespace &operator=(const PodNetworkNamespace &) = delete;
	~PodNetworkNamespace() { remove(); }
	bool created() const { return !path_.empty(); }
	void remove() noexcept;
	void commit() { path_.clear(); }

private:
	std::string path_;
};

} // namespace ccr
