// SPDX-License-Identifier: Apache-2.0
// Stress test of stopping CRIU (issue #18): checkpoints and restores of a
// container holding 64 MiB of touched, random memory are canceled, or run
// out of a time limit, at random points, hundreds of times. After every
// stopped checkpoint the container must answer with its counter carrying
// on; after every stopped restore nothing may be left and the next restore
// must bring the container back. The memory's checksum is compared with the
// one taken at the start every few rounds and at the end: a page CRIU
// damaged stays damaged, so a later comparison finds it.
//
// Real runc and CRIU, through the installed-style libccr.so. ctest label
// "stress"; scripts/test.sh runs it once, in the plain pass.
// CCR_STRESS_STOPS (default 300: checkpoints and restores stopped) and
// CCR_STRESS_SEED change the run.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "ccr.h"
#include "harness.hpp"

using namespace e2e;

namespace {

// 48 MiB from /dev/urandom, base64: a 64 MiB shell variable that the shell
// keeps touched for its whole life. "sum" answers with the counter and the
// variable's md5; anything else with the counter.
std::vector<std::string> memory_workload()
{
	return {"sh", "-c",
		"x=$(head -c 50331648 /dev/urandom | base64); i=0; echo ready; while read line; do i=$((i+1)); "
		"if [ \"$line\" = sum ]; then echo \"sum $i $(echo \"$x\" | md5sum)\"; else echo \"$line $i\"; fi; "
		"done"};
}

// Cancels `options` after `delay`, unless disarmed first. The options must
// outlive the canceller.
class DelayedCancel {
public:
	DelayedCancel(ccr_options *options, std::chrono::microseconds delay)
	    : thread_([this, options, delay] {
		      std::unique_lock lock(mu_);
		      if (!cv_.wait_for(lock, delay, [this] { return disarmed_; })) {
			      ccr_error_free(ccr_options_cancel(options));
			      fired_ = true;
		      }
	      })
	{}
	~DelayedCancel() { disarm(); }
	// Returns whether the cancel was sent.
	bool disarm()
	{
		{
			std::lock_guard lock(mu_);
			disarmed_ = true;
		}
		cv_.notify_all();
		if (thread_.joinable())
			thread_.join();
		return fired_;
	}

private:
	std::mutex mu_;
	std::condition_variable cv_;
	bool disarmed_ = false;
	bool fired_ = false;
	std::thread thread_;
};

struct Stop {
	bool by_cancel = false; // else a time limit
	std::chrono::microseconds at{0};
};

// Runs one checkpoint or restore with a stop at `stop.at`: a cancel from
// another thread, or the options' time limit.
ErrorPtr stopped_checkpoint(const Container &c, const std::string &images, const Stop &stop)
{
	ContainerPtr h = c.handle();
	OptionsPtr o = make_options(images);
	if (!stop.by_cancel)
		expect_ok(
			ccr_options_set_timeout_ms(o.get(), uint32_t(std::max<long long>(1, stop.at.count() / 1000))));
	std::optional<DelayedCancel> cancel;
	if (stop.by_cancel)
		cancel.emplace(o.get(), stop.at);
	ErrorPtr err(ccr_checkpoint(nullptr, h.get(), o.get()));
	cancel.reset();
	return err;
}

ErrorPtr stopped_restore(Container &c, const std::string &images, const Stop *stop)
{
	ContainerPtr h = c.handle();
	Pipes p = Pipes::make();
	expect_ok(ccr_container_set_stdio(h.get(), p.container_stdin(), p.container_stdout(), p.container_stderr()));
	OptionsPtr o = make_options(images);
	if (stop && !stop->by_cancel)
		expect_ok(
			ccr_options_set_timeout_ms(o.get(), uint32_t(std::max<long long>(1, stop->at.count() / 1000))));
	std::optional<DelayedCancel> cancel;
	if (stop && stop->by_cancel)
		cancel.emplace(o.get(), stop->at);
	ccr_result *r = nullptr;
	ErrorPtr err(ccr_restore(&r, h.get(), o.get()));
	ResultPtr res(r);
	cancel.reset();
	if (err)
		return err;
	c.adopt_pid(ccr_result_pid(res.get()));
	c.use_pipes(std::move(p));
	return nullptr;
}

bool is_stop(const ErrorPtr &e)
{
	int code = ccr_error_code_of(e.get());
	return code == CCR_ERR_CANCELED || code == CCR_ERR_TIMEOUT;
}

// Processes left in the container's cgroup (and below it).
std::vector<std::string> processes_in(const std::string &cgroup)
{
	std::vector<std::string> out;
	std::string dir = cgroup_dir(cgroup_v2_host() ? "" : "freezer", cgroup);
	std::error_code ec;
	if (!std::filesystem::exists(dir, ec))
		return out;
	for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
	     !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
		if (it->path().filename() == "cgroup.procs") {
			std::string procs = read_file(it->path().string());
			if (procs.empty())
				continue;
			// What each is, to tell a slow exit from a process ccr missed.
			std::string what = it->path().string() + ":";
			std::istringstream pids(procs);
			for (std::string pid; pids >> pid;) {
				std::string status, wchan;
				try {
					status = read_file("/proc/" + pid + "/status");
					wchan = read_file("/proc/" + pid + "/wchan");
				} catch (...) {
				}
				std::string brief;
				std::istringstream lines(status);
				for (std::string l; std::getline(lines, l);)
					if (l.rfind("Name:", 0) == 0 || l.rfind("State:", 0) == 0 ||
					    l.rfind("PPid:", 0) == 0 || l.rfind("NSpid:", 0) == 0)
						brief += " " + l;
				what += " [" + pid + brief + " wchan " + wchan + "]";
			}
			out.push_back(what);
		}
	return out;
}

long env_number(const char *name, long fallback)
{
	const char *v = std::getenv(name);
	return v && *v ? std::strtol(v, nullptr, 10) : fallback;
}

} // namespace

TEST(Stress, StoppingCriuAtRandomPointsNeverCostsTheContainer)
{
	require_prerequisites();
	const long target = env_number("CCR_STRESS_STOPS", 300);
	const unsigned seed = unsigned(env_number("CCR_STRESS_SEED", long(std::random_device{}())));
	std::cout << "[   STRESS ] " << target << " stops, CCR_STRESS_SEED=" << seed << std::endl;
	std::mt19937 rng(seed);

	Container c(ContainerOptions{.args = memory_workload()});
	c.start();
	ASSERT_EQ(c.read_line(60s), "ready");
	const std::string first = c.ask("sum", 30s);
	ASSERT_EQ(first.rfind("sum 1 ", 0), 0u) << first;
	const std::string checksum = first.substr(6);
	int counter = 1;
	auto expect_alive = [&](const std::string &when) {
		counter++;
		std::string want = "n " + std::to_string(counter);
		std::string got = c.ask("n", 20s);
		EXPECT_EQ(got, want) << when;
		return got == want;
	};
	auto expect_memory = [&](const std::string &when) {
		counter++;
		std::string got = c.ask("sum", 30s);
		EXPECT_EQ(got, "sum " + std::to_string(counter) + " " + checksum) << when;
		return got == "sum " + std::to_string(counter) + " " + checksum;
	};

	// Calibrate: how long an unhindered checkpoint and restore take, so the
	// stops land anywhere in them (and a little past).
	const std::string images = c.dir() / "images";
	auto t0 = std::chrono::steady_clock::now();
	ASSERT_FALSE(checkpoint(c, images)) << "the calibrating checkpoint failed";
	auto dump_time = std::chrono::steady_clock::now() - t0;
	ASSERT_TRUE(wait_gone(c.pid()));
	c.delete_runc_container();
	t0 = std::chrono::steady_clock::now();
	ErrorPtr first_restore = stopped_restore(c, images, nullptr);
	ASSERT_FALSE(first_restore) << describe(first_restore);
	auto restore_time = std::chrono::steady_clock::now() - t0;
	ASSERT_TRUE(expect_memory("after the calibrating restore"));
	std::cout << "[   STRESS ] checkpoint "
		  << std::chrono::duration_cast<std::chrono::milliseconds>(dump_time).count() << " ms, restore "
		  << std::chrono::duration_cast<std::chrono::milliseconds>(restore_time).count() << " ms" << std::endl;
	// A stop anywhere before post-dump stops a checkpoint (it is held until
	// then); up to twice the checkpoint's time, about half of them come
	// too late and the container goes through a restore, itself stopped
	// anywhere up to 1.25 times the restore's time.
	auto span = [](std::chrono::steady_clock::duration d, int num, int den) {
		return std::chrono::duration_cast<std::chrono::microseconds>(d * num / den);
	};
	const auto dump_span = span(dump_time, 2, 1), restore_span = span(restore_time, 5, 4);
	auto random_stop = [&](std::chrono::microseconds within) {
		Stop s;
		s.by_cancel = rng() % 2 == 0;
		s.at = std::chrono::microseconds(std::uniform_int_distribution<long long>(0, within.count())(rng));
		return s;
	};

	int dumps_stopped = 0, dumps_finished = 0, restores_stopped = 0, restores_finished = 0;
	auto started = std::chrono::steady_clock::now();
	long round = 0;
	while (dumps_stopped + restores_stopped < target && round < 4 * target && !HasFailure()) {
		round++;
		std::filesystem::remove_all(images);
		const std::string where = "round " + std::to_string(round) + " (seed " + std::to_string(seed) + ")";
		Stop stop = random_stop(dump_span);
		const pid_t before = c.pid();
		ErrorPtr err = stopped_checkpoint(c, images, stop);
		if (err) {
			ASSERT_TRUE(is_stop(err)) << where << ": " << describe(err);
			dumps_stopped++;
			EXPECT_TRUE(alive(before)) << where << ": the container died";
			EXPECT_EQ(c.freezer_state(), "THAWED") << where;
			EXPECT_TRUE(children_named("criu").empty()) << where << ": a CRIU was left";
			ASSERT_TRUE(expect_alive(where + ", checkpoint stopped at " + std::to_string(stop.at.count()) +
						 " us by " + (stop.by_cancel ? "cancel" : "time limit") + ": " +
						 describe(err)));
		} else {
			// The stop came after CRIU's last notification: the
			// checkpoint stands, and the container comes back from it.
			dumps_finished++;
			ASSERT_TRUE(wait_gone(before)) << where;
			for (int attempt = 0;; attempt++) {
				Stop rs = random_stop(restore_span);
				ErrorPtr rerr = stopped_restore(c, images, attempt < 3 ? &rs : nullptr);
				if (!rerr) {
					restores_finished++;
					break;
				}
				ASSERT_TRUE(is_stop(rerr)) << where << ": " << describe(rerr);
				restores_stopped++;
				EXPECT_TRUE(children_named("criu").empty()) << where << ": a CRIU was left";
				EXPECT_TRUE(children_named("sh").empty()) << where << ": a restored process was left";
				EXPECT_EQ(processes_in(c.cgroup_path()), std::vector<std::string>{})
					<< where << ": " << describe(rerr);
			}
			ASSERT_TRUE(expect_alive(where + ", restored"));
		}
		if (round % 10 == 0)
			ASSERT_TRUE(expect_memory(where));
	}
	ASSERT_TRUE(expect_memory("at the end"));
	auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
	std::cout << "[   STRESS ] " << round << " checkpoints in " << took.count() << " s: " << dumps_stopped
		  << " stopped, " << dumps_finished << " finished; restores: " << restores_stopped << " stopped, "
		  << restores_finished << " finished"
		  << (HasFailure() ? ""
				   : "; the container answered after every one and its memory checksum never changed")
		  << std::endl;
	::testing::Test::RecordProperty("dumps_stopped", dumps_stopped);
	::testing::Test::RecordProperty("restores_stopped", restores_stopped);
	// The stops must have landed inside the operations, not all before or
	// after them, or the test proves nothing.
	EXPECT_GT(dumps_stopped, round / 5);
	EXPECT_GT(restores_stopped, 0);
	EXPECT_GT(dumps_finished, 0);
}
