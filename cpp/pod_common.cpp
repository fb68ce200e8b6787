// SPDX-License-Identifier: Apache-2.0
#include "pod_common.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <algorithm>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "criu_safe_stop.hpp"
#include "error.hpp"
#include "host_command.hpp"
#include "mountinfo.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

using namespace std::chrono_literals;

// xtables' own lock may be held by another program for a moment (-w waits).
constexpr auto kIptablesLimit = 5s;
constexpr const char *kLockChain = "CCR-POD";

std::string hierarchy_dir(const CgroupHierarchy &h, std::string path)
{
	if (!h.root.empty() && h.root != "/" && path.rfind(h.root, 0) == 0 &&
	    (path.size() == h.root.size() || path[h.root.size()] == '/'))
		path = path.substr(h.root.size());
	if (path.empty() || path == "/")
		return h.mountpoint;
	return h.mountpoint + (path[0] == '/' ? "" : "/") + path;
}

bool settled_frozen(const Freezer &f)
{
	try {
		if (f.v2)
			return read_small_file(f.dir + "/cgroup.events").find("frozen 1") != std::string::npos;
		return read_small_file(f.dir + "/freezer.state").rfind("FROZEN", 0) == 0;
	} catch (const Error &) {
		return false;
	}
}

void write_state(const Freezer &f, bool frozen)
{
	std::string file = f.dir + (f.v2 ? "/cgroup.freeze" : "/freezer.state");
	UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
	if (!fd)
		throw_errno("cannot open " + file);
	std::string value = f.v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
	if (::write(fd.get(), value.data(), value.size()) < 0)
		throw_errno("cannot write " + value + " to " + file);
}

std::vector<std::string> in_netns(const std::string &netns, std::vector<std::string> argv)
{
	argv.insert(argv.begin(), {"nsenter", "--net=" + netns, "--"});
	return argv;
}

std::string lock_rules()
{
	return std::string("*filter\n:") + kLockChain + " - [0:0]\n-A " + kLockChain + " -j DROP\n-I INPUT -j " +
	       kLockChain + "\n-I OUTPUT -j " + kLockChain + "\nCOMMIT\n";
}

std::string unlock_rules()
{
	return std::string("*filter\n-D INPUT -j ") + kLockChain + "\n-D OUTPUT -j " + kLockChain + "\n-F " +
	       kLockChain + "\n-X " + kLockChain + "\nCOMMIT\n";
}

} // namespace

Freezer pod_freezer(const std::string &cgroup_parent, const std::vector<CgroupHierarchy> &hierarchies)
{
	for (const auto &h : hierarchies)
		if (!h.v2 && std::find(h.controllers.begin(), h.controllers.end(), "freezer") != h.controllers.end())
			return Freezer{hierarchy_dir(h, cgroup_parent), false};
	bool has_v1 = std::any_of(hierarchies.begin(), hierarchies.end(), [](auto &h) { return !h.v2; });
	if (!has_v1)
		for (const auto &h : hierarchies)
			if (h.v2)
				return Freezer{hierarchy_dir(h, cgroup_parent), true};
	return {};
}

bool self_frozen(const Freezer &f)
{
	try {
		if (f.v2)
			return read_small_file(f.dir + "/cgroup.freeze").rfind("1", 0) == 0;
		return read_small_file(f.dir + "/freezer.self_freezing").rfind("1", 0) == 0;
	} catch (const Error &) {
		return false;
	}
}

void freeze_now(const Freezer &f, std::chrono::milliseconds limit)
{
	write_state(f, true);
	auto until = std::chrono::steady_clock::now() + limit;
	for (int i = 1;; i++) {
		if (settled_frozen(f))
			return;
		if (std::chrono::steady_clock::now() >= until)
			break;
		// A v1 freezer can stay FREEZING when a task was busy in the
		// kernel: asking again now and then lets it finish.
		if (!f.v2 && i % 100 == 0)
			write_state(f, true);
		std::this_thread::sleep_for(200us);
	}
	f.thaw();
	throw Error(CCR_ERR_SYSTEM,
		    "the pod's cgroup " + f.dir + " did not freeze within " + std::to_string(limit.count()) + " ms");
}

PodNetworkLock::PodNetworkLock(std::string netns_path) : netns_(std::move(netns_path))
{
	HostCommandResult r = run_host_command(in_netns(netns_, {"iptables-restore", "-w", "--noflush"}), lock_rules(),
					       kIptablesLimit);
	if (!r.ok()) {
		std::string why = r.started ? r.output : "nsenter or iptables-restore could not be run";
		netns_.clear();
		throw Error(CCR_ERR_SYSTEM, "cannot lock the pod's network namespace with iptables: " + why);
	}
	// IPv6 as well where the namespace has it; a host without ip6tables
	// has no IPv6 connections to protect.
	v6_ = run_host_command(in_netns(netns_, {"ip6tables-restore", "-w", "--noflush"}), lock_rules(), kIptablesLimit)
		      .ok();
}

std::string PodNetworkLock::unlock() noexcept
{
	if (netns_.empty())
		return "";
	std::string failed;
	try {
		HostCommandResult r = run_host_command(in_netns(netns_, {"iptables-restore", "-w", "--noflush"}),
						       unlock_rules(), kIptablesLimit);
		if (!r.ok())
			failed = "cannot remove the iptables chain " + std::string(kLockChain) + " from " + netns_ +
				 ": " + r.output;
		if (v6_)
			run_host_command(in_netns(netns_, {"ip6tables-restore", "-w", "--noflush"}), unlock_rules(),
					 kIptablesLimit);
	} catch (...) {
		failed = "out of memory while unlocking the pod's network";
	}
	netns_.clear();
	return failed;
}

void write_pod_metadata(int dir_fd, const PodMetadata &m)
{
	nlohmann::ordered_json j;
	j["ccrPod"] = 1;
	j["id"] = m.id;
	j["cgroupParent"] = m.cgroup_parent;
	j["networkNamespace"] = m.network_ns;
	j["paused"] = m.paused;
	j["containers"] = nlohmann::ordered_json::array();
	for (const auto &c : m.members)
		j["containers"].push_back(
			{{"id", c.id}, {"checkpoint", c.id + "/checkpoint"}, {"paused", c.self_frozen}});
	std::string text = j.dump(2) + "\n";
	UniqueFd fd(::openat(dir_fd, kPodMetadataFile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
	if (!fd)
		throw_errno(std::string("cannot create ") + kPodMetadataFile);
	for (size_t off = 0; off < text.size();) {
		ssize_t n = ::write(fd.get(), text.data() + off, text.size() - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_errno(std::string("cannot write ") + kPodMetadataFile);
		off += size_t(n);
	}
}

PodMetadata read_pod_metadata(int dir_fd, const std::string &dir_path)
{
	const std::string where = dir_path + "/" + kPodMetadataFile;
	UniqueFd fd(::openat(dir_fd, kPodMetadataFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
	if (!fd)
		throw_errno_as(errno == ENOENT ? CCR_ERR_NOT_FOUND : CCR_ERR_SYSTEM,
			       where + " (not a pod checkpoint?)");
	std::string text;
	char buf[4096];
	for (;;) {
		ssize_t n = ::read(fd.get(), buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_errno("cannot read " + where);
		if (n == 0)
			break;
		text.append(buf, size_t(n));
		if (text.size() > (1 << 20))
			throw Error(CCR_ERR_IMAGE, where + " is larger than 1 MiB");
	}
	PodMetadata m;
	try {
		auto j = nlohmann::json::parse(text);
		if (j.at("ccrPod").get<int>() != 1)
			throw Error(CCR_ERR_IMAGE, where + ": unknown version " + j.at("ccrPod").dump());
		m.id = j.at("id").get<std::string>();
		m.cgroup_parent = j.at("cgroupParent").get<std::string>();
		m.network_ns = j.at("networkNamespace").get<std::string>();
		m.paused = j.at("paused").get<bool>();
		std::set<std::string> seen;
		for (const auto &c : j.at("containers")) {
			PodMetadata::Member member{c.at("id").get<std::string>(), c.at("paused").get<bool>()};
			if (member.id.empty() || member.id.find('/') != std::string::npos || member.id[0] == '.' ||
			    !seen.insert(member.id).second)
				throw Error(CCR_ERR_IMAGE,
					    where + ": bad or repeated container id \"" + member.id + "\"");
			m.members.push_back(member);
		}
	} catch (const nlohmann::json::exception &e) {
		throw Error(CCR_ERR_IMAGE, where + " is not a pod checkpoint's metadata: " + e.what());
	}
	return m;
}

PodAbort::PodAbort(size_t members, std::shared_ptr<Cancellation> caller) : caller_(std::move(caller))
{
	for (size_t i = 0; i < members; i++)
		members_.push_back(std::make_shared<Cancellation>());
	if (caller_ && caller_->canceled())
		throw Error(CCR_ERR_CANCELED, "the operation was canceled");
	watcher_ = std::thread([this] {
		pollfd p[2] = {{done_.fd(), POLLIN, 0}, {caller_ ? caller_->fd() : -1, POLLIN, 0}};
		for (;;) {
			int r = ::poll(p, 2, -1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 || p[0].revents)
				return;
			if (p[1].revents) {
				abort();
				// Give the members' CRIUs the time a single
				// operation gives one to reach a safe point.
				pollfd done{done_.fd(), POLLIN, 0};
				int left = int(std::chrono::milliseconds(kSafeStopBound).count());
				while (::poll(&done, 1, left) < 0 && errno == EINTR) {
				}
				if (!done.revents)
					for (auto &c : members_)
						c->cancel();
				return;
			}
		}
	});
}

PodAbort::~PodAbort()
{
	done_.cancel();
	watcher_.join();
}

void PodAbort::abort() noexcept
{
	aborted_ = true;
}

void PodBarrier::arrive_and_wait(const PodAbort &abort)
{
	std::unique_lock<std::mutex> hold(lock_);
	if (left_ > 0)
		left_--;
	if (left_ == 0)
		all_.notify_all();
	while (left_ > 0) {
		if (abort.aborted())
			throw Error(CCR_ERR_CANCELED, "another container of the pod failed");
		all_.wait_for(hold, std::chrono::milliseconds(10));
	}
}

Options member_options(const PodSpec &pod, size_t i, const Options &pod_opts, const std::string &images_dir,
		       const std::string &work_dir, std::shared_ptr<Cancellation> cancellation,
		       std::shared_ptr<std::mutex> notify_lock)
{
	const PodMember &m = pod.members[i];
	Options o = m.opts ? *m.opts : pod_opts;
	o.images_dir = images_dir;
	o.work_dir = work_dir;
	o.parent_path.clear();
	o.pre_dump = false;
	o.timeout = pod_opts.timeout;
	o.log = pod_opts.log;
	o.cancellation = std::move(cancellation);
	o.status_fd = std::make_shared<std::atomic<int>>(-1);
	// The pod's network namespace is locked once, by the pod operation
	// (PodNetworkLock): each CRIU locking and unlocking the one namespace
	// on its own would take the lock away while others still need it.
	if (!pod.network_ns.empty())
		o.network_lock = CCR_NETWORK_LOCK_SKIP;
	o.notify = nullptr;
	if (pod_opts.notify) {
		auto notify = pod_opts.notify;
		std::string id = m.spec.id;
		o.notify = [notify, id, notify_lock](const NotifyEvent &ev) {
			NotifyEvent mine = ev;
			mine.container = id;
			std::lock_guard<std::mutex> hold(*notify_lock);
			return notify(mine);
		};
	}
	return o;
}

std::vector<std::exception_ptr> run_side_by_side(size_t n, const std::function<void(size_t)> &body)
{
	std::vector<std::exception_ptr> errors(n);
	std::vector<std::thread> threads;
	threads.reserve(n);
	for (size_t i = 0; i < n; i++) {
		try {
			threads.emplace_back([&, i] {
				try {
					body(i);
				} catch (...) {
					errors[i] = std::current_exception();
				}
			});
		} catch (...) {
			errors[i] = std::current_exception();
		}
	}
	for (auto &t : threads)
		t.join();
	return errors;
}

size_t root_cause(const std::vector<std::exception_ptr> &errors)
{
	size_t first = errors.size();
	for (size_t i = 0; i < errors.size(); i++) {
		if (!errors[i])
			continue;
		if (first == errors.size())
			first = i;
		try {
			std::rethrow_exception(errors[i]);
		} catch (const Error &e) {
			if (e.code() != CCR_ERR_CANCELED)
				return i;
		} catch (...) {
			return i;
		}
	}
	return first;
}

[[noreturn]] void rethrow_for_pod(const std::exception_ptr &error, const std::string &pod_id)
{
	try {
		std::rethrow_exception(error);
	} catch (Error &e) {
		e.prefixed("pod " + pod_id);
		throw;
	} catch (const std::bad_alloc &) {
		throw;
	} catch (const std::exception &e) {
		throw Error(CCR_ERR_INTERNAL, "pod " + pod_id + ": " + e.what());
	}
}

void require_valid_pod(const PodSpec &pod)
{
	if (pod.members.empty())
		throw Error(CCR_ERR_INVALID_ARGUMENT, "pod " + pod.id + " has no containers");
	if (pod.cgroup_parent.empty() || pod.cgroup_parent[0] != '/' || pod.cgroup_parent == "/" ||
	    pod.cgroup_parent.find("/..") != std::string::npos || pod.cgroup_parent.find("/./") != std::string::npos)
		throw Error(CCR_ERR_INVALID_ARGUMENT, "pod " + pod.id + ": its cgroup parent \"" + pod.cgroup_parent +
							      "\" must be an absolute cgroup path below the root");
	std::set<std::string> ids;
	for (const auto &m : pod.members)
		if (!ids.insert(m.spec.id).second)
			throw Error(CCR_ERR_INVALID_ARGUMENT,
				    "pod " + pod.id + ": container " + m.spec.id + " is in it twice");
}

} // namespace ccr

namespace ccr {
namespace {

void copy_cpuset(const std::string &parent, const std::string &dir)
{
	for (const char *file : {"cpuset.cpus", "cpuset.mems"}) {
		std::string value = read_small_file(parent + "/" + file);
		UniqueFd fd(::open((dir + "/" + file).c_str(), O_WRONLY | O_CLOEXEC));
		if (!fd || ::write(fd.get(), value.data(), value.size()) < 0)
			throw_errno("cannot set " + dir + "/" + file);
	}
}

// Brings the loopback of the calling thread's network namespace up.
void loopback_up()
{
	UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!sock)
		throw_errno("cannot open a socket in the new network namespace");
	ifreq ifr{};
	std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0)
		throw_errno("cannot read the flags of lo");
	ifr.ifr_flags |= IFF_UP;
	if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0)
		throw_errno("cannot bring lo up");
}

} // namespace

PodCgroupParent::PodCgroupParent(const std::string &cgroup_parent, const std::vector<CgroupHierarchy> &hierarchies)
{
	try {
		for (const auto &h : hierarchies) {
			std::string target = hierarchy_dir(h, cgroup_parent);
			if (target.size() <= h.mountpoint.size())
				continue;
			std::string dir = h.mountpoint;
			std::string rest = target.substr(h.mountpoint.size());
			bool cpuset =
				std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end();
			size_t pos = 0;
			while (pos < rest.size()) {
				size_t next = rest.find('/', pos + 1);
				std::string part =
					rest.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
				pos = next == std::string::npos ? rest.size() : next;
				if (part == "/" || part.empty())
					continue;
				std::string parent = dir;
				dir += part;
				if (::mkdir(dir.c_str(), 0755) == 0) {
					created_.push_back(dir);
					if (cpuset)
						copy_cpuset(parent, dir);
				} else if (errno != EEXIST) {
					throw_errno("cannot create cgroup " + dir);
				}
			}
		}
	} catch (...) {
		remove();
		throw;
	}
}

void PodCgroupParent::remove() noexcept
{
	for (auto it = created_.rbegin(); it != created_.rend(); ++it)
		::rmdir(it->c_str());
	created_.clear();
}

PodNetworkNamespace::PodNetworkNamespace(const std::string &path)
{
	struct stat st;
	if (::lstat(path.c_str(), &st) == 0)
		return;
	UniqueFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444));
	if (!file)
		throw_errno("cannot create the pod's network namespace file " + path);
	file.reset();
	path_ = path;
	// A thread of its own enters a new network namespace and binds it at
	// `path`; the rest of the process keeps its namespace.
	std::exception_ptr failed;
	std::thread maker([&] {
		try {
			if (::unshare(CLONE_NEWNET) < 0)
				throw_errno("cannot create a network namespace");
			loopback_up();
			std::string self = "/proc/self/task/" + std::to_string(::gettid()) + "/ns/net";
			if (::mount(self.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) < 0)
				throw_errno("cannot bind the new network namespace at " + path);
		} catch (...) {
			failed = std::current_exception();
		}
	});
	maker.join();
	if (failed) {
		remove();
		std::rethrow_exception(failed);
	}
}

void PodNetworkNamespace::remove() noexcept
{
	if (path_.empty())
		return;
	::umount2(path_.c_str(), MNT_DETACH);
	::unlink(path_.c_str());
	path_.clear();
}

} // namespace ccr
