// SPDX-License-Identifier: Apache-2.0
#include "namespaces.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "error.hpp"

namespace ccr {
namespace {

struct External {
	const char *oci_type;
	const char *criu_name;
	const char *key;
};
constexpr External kExternals[] = {{"network", "net", "extRootNetNS"}, {"pid", "pid", "extRootPidNS"}};

} // namespace

std::vector<std::string> dump_external_namespaces(const OciConfig &config)
{
	std::vector<std::string> out;
	for (const auto &e : kExternals) {
		const OciNamespace *ns = config.find_namespace(e.oci_type);
		if (!ns || ns->path.empty())
			continue;
		struct stat st;
		if (::stat(ns->path.c_str(), &st) != 0)
			throw_errno(std::string(e.oci_type) + " namespace " + ns->path);
		out.push_back(std::string(e.criu_name) + "[" + std::to_string(st.st_ino) + "]:" + e.key);
	}
	return out;
}

RestoreNamespaces restore_namespaces(const OciConfig &config, int first_fd)
{
	RestoreNamespaces out;
	for (const auto &e : kExternals) {
		const OciNamespace *ns = config.find_namespace(e.oci_type);
		if (!ns || ns->path.empty())
			continue;
		UniqueFd fd(::open(ns->path.c_str(), O_RDONLY | O_CLOEXEC));
		if (!fd)
			throw_errno(std::string(e.oci_type) + " namespace " + ns->path);
		out.inherit_fds.emplace_back(e.key, first_fd + int(out.fds.size()));
		out.fds.push_back(std::move(fd));
	}
	for (const auto &ns : config.namespaces) {
		if (ns.path.empty() || ns.type == "network" || ns.type == "pid" || ns.type == "mount")
			continue;
		if (ns.type == "cgroup")
			throw Error(CCR_ERR_CONFIG,
				    "restoring into an existing cgroup namespace (" + ns.path +
					    ") is not supported by CRIU; remove its path from the config");
		out.join_ns.push_back({ns.type, ns.path});
	}
	return out;
}

} // namespace ccr
