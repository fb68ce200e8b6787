// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the ccr command-line tool: parsed arguments, output in
// text or JSON, exit codes by error class, and the progress line.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ccr.h"

namespace cli {

// Exit codes, by what the user should do about the failure.
enum Exit : int {
	kOk = 0,
	kUsage = 2,       // the command line is wrong
	kBadInput = 3,    // an argument, the config or a path is wrong
	kNotFound = 4,    // the container, a directory or CRIU is missing
	kCriu = 5,        // CRIU failed, died or spoke garbage
	kUnsupported = 6, // this kernel or CRIU lacks a feature
	kInterrupted = 7, // time limit or cancellation
	kCallback = 8,    // (library users only) a callback failed
	kImage = 9,       // the images are damaged
	kSystem = 10,     // the system refused something, or a bug
	kContinue = -1    // (parse_args) the command line is good: go on
};
int exit_code_for(ccr_error_code code);

struct Args {
	std::string command;
	std::map<std::string, std::string> values;             // --name VALUE, by long name
	std::map<std::string, std::vector<std::string>> lists; // repeatable --name VALUE
	std::vector<std::string> flags;                        // --name
	std::vector<std::string> positionals;                  // plain arguments, in order
	bool json = false;
	bool quiet = false;
	bool has(const std::string &flag) const;
	std::string get(const std::string &name, const std::string &fallback = "") const;
	std::vector<std::string> list(const std::string &name) const;
	// A numeric option's value (parse_args checked it), or `fallback`.
	unsigned long long number(const std::string &name, unsigned long long fallback = 0) const;
};

// Parses argv against the command's known options; unknown ones are errors.
// Paths come out absolute (relative ones are taken from the current
// directory), deprecated names as their replacements (with a note on
// stderr). Returns kContinue for a command to run, or the exit code once
// the help, the version, a completion script or why the command line is
// wrong has been printed.
int parse_args(int argc, char **argv, Args &out);

// Every command's help text; usage() prints the overview.
int usage(const std::string &command, bool to_stdout);

using Json = nlohmann::ordered_json;

// Prints `doc` as one line of JSON on stdout.
void print_json(const Json &doc);

// Prints an error the way the output mode wants, frees it, and returns the
// exit code for it.
int report_error(ccr_error *err, const Args &args);

// `ccr pod checkpoint|restore DIR` (cli_pod.cpp).
int pod(const Args &args);

// Host settings that slow CRIU down or make an option fail, one sentence
// each (ccr check).
std::vector<std::string> host_notes();

// The host's cgroup layout and ccr's freezer on it: a word for --json
// ("hybrid", "v1", ...) and a phrase for people.
const char *layout_name(ccr_cgroup_layout layout);
const char *freezer_name(ccr_freezer_kind freezer);
const char *layout_description(ccr_cgroup_layout layout);
const char *freezer_description(ccr_freezer_kind freezer);

// The statistics of a result as a JSON object, or as aligned text lines.
Json stats_json(const ccr_result *result);
std::string stats_text(const ccr_result *result);
// The warnings of a result as a JSON array of strings.
Json warnings_json(const ccr_result *result);

// A one-line progress display on a terminal: the phase CRIU is in, and while
// memory is written, bytes written so far against the container's resident
// memory. Inactive (prints nothing) when stderr is not a terminal.
class Progress {
public:
	Progress(bool enabled, std::string images_dir, uint64_t expected_bytes);
	~Progress();
	Progress(const Progress &) = delete;
	Progress &operator=(const Progress &) = delete;
	void phase(const std::string &name);
	void done();

private:
	void draw();
	void loop();
	bool enabled_;
	std::string images_dir_;
	uint64_t expected_bytes_;
	std::mutex mutex_;
	std::condition_variable wake_;
	std::string phase_;
	bool stop_ = false;
	std::thread thread_;
	std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// The resident memory of a process and its descendants' cgroup, in bytes, or
// 0 when unknown.
uint64_t resident_bytes(int pid);

} // namespace cli
