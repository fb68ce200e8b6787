// Value types for what an operation is asked to do: the C ABI's ccr_options
// handle wraps one Options.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ccr.h"

namespace ccr {

// One notification from CRIU as the callback sees it.
struct NotifyEvent {
	std::string script;
	int pid = 0;
	int fd = -1; // owned by the session; valid during the callback only
};

// The caller's callback. Returns 0 to go on; anything else aborts.
using NotifyCallback = std::function<int(const NotifyEvent &)>;

struct Options {
	std::string criu_path = "criu";
	std::string images_dir;
	std::string work_dir; // empty: the images directory
	std::string parent_path;
	bool pre_dump = false;
	bool leave_running = false;
	bool tcp_established = false;
	bool ext_unix_sk = false;
	bool shell_job = false;
	bool file_locks = false;
	bool auto_dedup = false;
	bool leave_stopped = false;
	unsigned empty_ns = 0;
	ccr_cgroup_mode cgroup_mode = CCR_CGROUP_DEFAULT;
	int log_level = 4;
	std::string log_file; // empty: by operation
	std::optional<std::string> criu_config_file;
	std::string lsm_profile;
	std::string lsm_mount_context;
	std::chrono::milliseconds timeout{0};
	NotifyCallback notify;
};

} // namespace ccr
