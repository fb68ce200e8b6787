// SPDX-License-Identifier: Apache-2.0
// Checkpoint archives in the C ABI: export to and import from the layout
// kubelet, CRI-O, Podman and containerd use.
#include <chrono>
#include <optional>

#include "archive_export.hpp"
#include "archive_import.hpp"
#include "capi_internal.hpp"
#include "pod_archive.hpp"

using namespace ccr::capi;

namespace {

// The import limits and stop conditions `options` (may be NULL) ask for.
std::pair<ccr::ImportLimits, ccr::ImportControl> import_settings(const ccr_options *options)
{
	ccr::ImportLimits limits;
	ccr::ImportControl control;
	if (options) {
		const ccr::Options &o = options->opts;
		if (o.import_max_entries)
			limits.max_entries = o.import_max_entries;
		if (o.import_max_bytes)
			limits.max_entry_bytes = limits.max_total_bytes = o.import_max_bytes;
		if (o.import_max_ratio)
			limits.max_ratio = o.import_max_ratio;
		control.cancellation = o.cancellation;
		if (o.timeout.count() > 0)
			control.deadline = std::chrono::steady_clock::now() + o.timeout;
	}
	return {limits, control};
}

std::pair<std::string, std::string> two_paths(const char *archive_path, const char *dir, const char *dir_name)
{
	std::string path = require_string(archive_path, "archive_path");
	std::string d = require_string(dir, dir_name);
	if (path.empty())
		invalid("archive_path is empty");
	if (d.empty())
		invalid(std::string(dir_name) + " is empty");
	return {path, d};
}

} // namespace

extern "C" {

ccr_error *ccr_archive_export(const char *archive_path, const ccr_container *container, const ccr_options *options,
			      const char *rootfs_diff_dir)
{
	return firewall([&] {
		std::string path = require_string(archive_path, "archive_path");
		if (path.empty())
			invalid("archive_path is empty");
		const auto &c = require(container, "container");
		const auto &o = require(options, "options");
		std::optional<std::string> diff;
		if (rootfs_diff_dir) {
			if (!*rootfs_diff_dir)
				invalid("rootfs_diff_dir is empty (pass NULL for none)");
			diff = rootfs_diff_dir;
		}
		ccr::export_archive(path, c.spec, o.opts, diff);
	});
}

ccr_error *ccr_archive_import(const char *archive_path, const char *dest_dir)
{
	return ccr_archive_import_with_options(archive_path, dest_dir, nullptr);
}

ccr_error *ccr_archive_import_with_options(const char *archive_path, const char *dest_dir, const ccr_options *options)
{
	return firewall([&] {
		auto [path, dest] = two_paths(archive_path, dest_dir, "dest_dir");
		auto [limits, control] = import_settings(options);
		ccr::import_archive(path, dest, limits, control);
	});
}

ccr_error *ccr_pod_archive_export(const char *archive_path, const char *pod_dir, const ccr_options *options)
{
	return firewall([&] {
		auto [path, dir] = two_paths(archive_path, pod_dir, "pod_dir");
		const auto &o = require(options, "options");
		ccr::export_pod_archive(path, dir, o.opts);
	});
}

ccr_error *ccr_pod_archive_import(const char *archive_path, const char *dest_dir, const ccr_options *options)
{
	return firewall([&] {
		auto [path, dest] = two_paths(archive_path, dest_dir, "dest_dir");
		auto [limits, control] = import_settings(options);
		ccr::import_pod_archive(path, dest, limits, control);
	});
}

} // extern "C"
