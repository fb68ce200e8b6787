// SPDX-License-Identifier: Apache-2.0
#include "criu_version.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>

#include "criu_exchange.hpp"
#include "error.hpp"

namespace ccr {
namespace {

// Answers per CRIU binary identity: "<identity>" for the version,
// "<identity>|features" for the feature mask.
std::mutex cache_mutex;
std::map<std::string, unsigned> &cache()
{
	static std::map<std::string, unsigned> answers;
	return answers;
}

std::optional<unsigned> cached(const std::string &key)
{
	std::lock_guard lock(cache_mutex);
	auto it = cache().find(key);
	if (it == cache().end())
		return std::nullopt;
	return it->second;
}

void remember(const std::string &key, unsigned value)
{
	std::lock_guard lock(cache_mutex);
	cache()[key] = value;
}

std::string find_in_path(const std::string &name)
{
	const char *path = std::getenv("PATH");
	std::istringstream dirs(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	for (std::string dir; std::getline(dirs, dir, ':');) {
		std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
		if (::access(candidate.c_str(), X_OK) == 0)
			return candidate;
	}
	return {};
}

} // namespace

unsigned version_number(const criu::criu_version &v)
{
	return unsigned(v.major_number()) * 10000 + unsigned(v.minor_number()) * 100 + unsigned(v.sublevel());
}

std::string criu_binary_identity(const std::string &criu_path)
{
	std::string path = criu_path.find('/') == std::string::npos ? find_in_path(criu_path) : criu_path;
	struct stat st;
	if (path.empty() || ::stat(path.c_str(), &st) != 0)
		throw Error(CCR_ERR_CRIU_START,
			    "cannot start criu: " + criu_path + (path.empty() ? " is not in PATH" : " does not exist") +
				    "; install CRIU >= 4.1 or set the criu path",
			    ENOENT);
	std::ostringstream id;
	id << path << '|' << st.st_dev << '|' << st.st_ino << '|' << st.st_size << '|' << st.st_mtim.tv_sec << '.'
	   << st.st_mtim.tv_nsec;
	return id.str();
}

std::optional<unsigned> cached_criu_version(const std::string &identity)
{
	return cached(identity);
}

void remember_criu_version(const std::string &identity, unsigned version)
{
	remember(identity, version);
}

std::optional<unsigned> cached_criu_fact(const std::string &identity, const std::string &fact)
{
	return cached(identity + "|" + fact);
}

void remember_criu_fact(const std::string &identity, const std::string &fact, unsigned value)
{
	remember(identity + "|" + fact, value);
}

std::string criu_path_of(const std::string &identity)
{
	// path|dev|ino|size|mtime: the path may hold '|' itself, the rest not.
	size_t end = identity.size();
	for (int fields = 0; fields < 4 && end != std::string::npos && end > 0; fields++)
		end = identity.rfind('|', end - 1);
	return end == std::string::npos ? identity : identity.substr(0, end);
}

unsigned ask_criu_version(CriuSession &session, bool keep_open)
{
	criu::criu_req req;
	req.set_type(criu::VERSION);
	req.set_keep_open(keep_open);
	criu::criu_resp resp = exchange(session, req, nullptr, "criu version query");
	if (!resp.has_version())
		throw Error(CCR_ERR_PROTOCOL, "criu answered the version query without a version");
	return version_number(resp.version());
}

void require_supported(unsigned version)
{
	if (version < kMinCriuVersion)
		throw Error(CCR_ERR_UNSUPPORTED,
			    "criu " + std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) +
				    " is too old: ccr needs criu >= 3.16 (4.1 or later recommended)");
}

unsigned ask_criu_features(CriuSession &session, bool keep_open)
{
	criu::criu_req req;
	req.set_type(criu::FEATURE_CHECK);
	req.set_keep_open(keep_open);
	req.mutable_features()->set_mem_track(true);
	req.mutable_features()->set_lazy_pages(true);
	req.mutable_features()->set_pidfd_store(true);
	criu::criu_resp resp = exchange(session, req, nullptr, "criu feature check");
	// The answer, not the question: each field says what CRIU found.
	const auto &f = resp.features();
	unsigned mask = 0;
	if (f.has_mem_track() && f.mem_track())
		mask |= CCR_FEATURE_MEM_TRACK;
	if (f.has_lazy_pages() && f.lazy_pages())
		mask |= CCR_FEATURE_LAZY_PAGES;
	if (f.has_pidfd_store() && f.pidfd_store())
		mask |= CCR_FEATURE_PIDFD_STORE;
	return mask;
}

unsigned features_needed(const Options &opts, bool restore)
{
	unsigned needed = 0;
	if (!restore && (opts.pre_dump || opts.track_mem || !opts.parent_path.empty()))
		needed |= CCR_FEATURE_MEM_TRACK;
	if (opts.lazy_pages)
		needed |= CCR_FEATURE_LAZY_PAGES;
	if (opts.pidfd_store_fd >= 0 && !restore)
		needed |= CCR_FEATURE_PIDFD_STORE;
	return needed;
}

void require_features(CriuSession &session, const std::string &identity, unsigned needed)
{
	if (!needed)
		return;
	std::string key = identity + "|features";
	unsigned have;
	if (auto c = cached(key)) {
		have = *c;
	} else {
		have = ask_criu_features(session, true);
		remember(key, have);
	}
	unsigned missing = needed & ~have;
	if (!missing)
		return;
	std::string names;
	auto add = [&](unsigned bit, const char *name, const char *why) {
		if (missing & bit)
			names += std::string(names.empty() ? "" : ", ") + name + " (" + why + ")";
	};
	add(CCR_FEATURE_MEM_TRACK, "MemTrack", "pre-dump and incremental dumps need the kernel's soft-dirty bit");
	add(CCR_FEATURE_LAZY_PAGES, "LazyPages", "lazy pages need userfaultfd");
	add(CCR_FEATURE_PIDFD_STORE, "PidfdStore", "the pidfd store needs pidfd_open and pidfd_getfd");
	throw Error(CCR_ERR_UNSUPPORTED, "missing feature: " + names);
}

} // namespace ccr
