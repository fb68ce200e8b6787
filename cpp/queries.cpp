// SPDX-License-Identifier: Apache-2.0
// Version and feature questions, each asked of a CRIU of its own.
#include "criu_version.hpp"
#include "operation_common.hpp"
#include "operations.hpp"

namespace ccr {

unsigned criu_version(const Options &opts)
{
	std::string identity = criu_binary_identity(opts.criu_path);
	if (auto cached = cached_criu_version(identity))
		return *cached;
	CriuLaunch launch;
	launch.criu_path = opts.criu_path;
	CriuSession session = start_criu_session(launch, deadline_of(opts), opts.cancellation);
	unsigned version = ask_criu_version(session, false);
	session.finish();
	remember_criu_version(identity, version);
	return version;
}

unsigned criu_features(const Options &opts)
{
	CriuLaunch launch;
	launch.criu_path = opts.criu_path;
	CriuSession session = start_criu_session(launch, deadline_of(opts), opts.cancellation);
	unsigned features = ask_criu_features(session, false);
	session.finish();
	return features;
}

} // namespace ccr
