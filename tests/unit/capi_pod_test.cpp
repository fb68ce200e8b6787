// SPDX-License-Identifier: Apache-2.0
// The pod part of the C ABI as a C caller sees it: wrong arguments come back
// as typed errors naming what is wrong, before anything is frozen or made.
#include "ccr.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

namespace {

struct Err {
	ccr_error *e;
	explicit Err(ccr_error *e) : e(e) {}
	Err(const Err &) = delete;
	~Err() { ccr_error_free(e); }
	ccr_error_code code() const { return ccr_error_code_of(e); }
	std::string message() const
	{
		const char *m = ccr_error_message(e);
		return m ? m : "";
	}
};

struct Pod {
	ccr_pod *p = nullptr;
	Pod() { EXPECT_EQ(ccr_pod_new(&p, "web"), nullptr); }
	~Pod() { ccr_pod_free(p); }
};

} // namespace

TEST(CapiPod, BadIdsAndPathsAreInvalidArguments)
{
	ccr_pod *p = nullptr;
	EXPECT_EQ(Err(ccr_pod_new(nullptr, "web")).code(), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(Err(ccr_pod_new(&p, nullptr)).code(), CCR_ERR_INVALID_ARGUMENT);
	Err bad_id(ccr_pod_new(&p, "a/b"));
	EXPECT_EQ(bad_id.code(), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_NE(bad_id.message().find("a/b"), std::string::npos) << bad_id.message();
	EXPECT_EQ(p, nullptr);

	Pod pod;
	for (const char *bad : {"", "/", "relative", "/a/../b", "/a//b", "/a/./b", "/.."}) {
		Err e(ccr_pod_set_cgroup_parent(pod.p, bad));
		EXPECT_EQ(e.code(), CCR_ERR_INVALID_ARGUMENT) << bad;
		EXPECT_NE(e.message().find("cgroup parent"), std::string::npos) << e.message();
	}
	EXPECT_EQ(ccr_pod_set_cgroup_parent(pod.p, "/kubepods/pod1/"), nullptr);
	EXPECT_EQ(Err(ccr_pod_set_cgroup_parent(nullptr, "/x")).code(), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(Err(ccr_pod_set_network_ns(pod.p, "run/netns/x")).code(), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(ccr_pod_set_network_ns(pod.p, "/run/netns/x"), nullptr);
	EXPECT_EQ(Err(ccr_pod_add_container(pod.p, nullptr, nullptr)).code(), CCR_ERR_INVALID_ARGUMENT);
}

TEST(CapiPod, AContainerTwiceIsRefused)
{
	Pod pod;
	ccr_container *c = nullptr;
	ASSERT_EQ(ccr_container_new(&c, "app"), nullptr);
	EXPECT_EQ(ccr_pod_add_container(pod.p, c, nullptr), nullptr);
	Err twice(ccr_pod_add_container(pod.p, c, nullptr));
	EXPECT_EQ(twice.code(), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_NE(twice.message().find("app"), std::string::npos) << twice.message();
	ccr_container_free(c);
}

// A checkpoint without containers, or into a directory that exists, fails
// before anything is made; a restore from a directory without pod.json
// says so.
TEST(CapiPod, OperationsCheckTheirArgumentsFirst)
{
	ccr_options *o = nullptr;
	ASSERT_EQ(ccr_options_new(&o), nullptr);
	char tmpl[] = "/tmp/ccr-unit-pod-XXXXXX";
	ASSERT_NE(mkdtemp(tmpl), nullptr);
	std::string dir = tmpl;

	Pod empty;
	ASSERT_EQ(ccr_pod_set_cgroup_parent(empty.p, "/ccr-unit-pod"), nullptr);
	Err none(ccr_pod_checkpoint(nullptr, empty.p, (dir + "/ckpt").c_str(), o));
	EXPECT_EQ(none.code(), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_NE(none.message().find("no containers"), std::string::npos) << none.message();

	Pod pod;
	ASSERT_EQ(ccr_pod_set_cgroup_parent(pod.p, "/ccr-unit-pod"), nullptr);
	ccr_container *c = nullptr;
	ASSERT_EQ(ccr_container_new(&c, "app"), nullptr);
	ASSERT_EQ(ccr_container_set_pid(c, getpid()), nullptr);
	ASSERT_EQ(ccr_pod_add_container(pod.p, c, nullptr), nullptr);
	ccr_container_free(c);
	Err exists(ccr_pod_checkpoint(nullptr, pod.p, dir.c_str(), o));
	EXPECT_EQ(exists.code(), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_NE(exists.message().find("exists already"), std::string::npos) << exists.message();
	EXPECT_EQ(Err(ccr_pod_checkpoint(nullptr, pod.p, nullptr, o)).code(), CCR_ERR_INVALID_ARGUMENT);
	EXPECT_EQ(Err(ccr_pod_checkpoint(nullptr, nullptr, dir.c_str(), o)).code(), CCR_ERR_INVALID_ARGUMENT);

	ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
	Err no_meta(ccr_pod_restore(nullptr, pod.p, dir.c_str(), o));
	EXPECT_EQ(no_meta.code(), CCR_ERR_NOT_FOUND) << no_meta.message();
	EXPECT_NE(no_meta.message().find("pod.json"), std::string::npos) << no_meta.message();

	struct stat st;
	EXPECT_NE(stat((dir + "/ckpt").c_str(), &st), 0) << "a failed checkpoint made its directory";
	rmdir(dir.c_str());
	ccr_options_free(o);
}

TEST(CapiPod, ResultAccessorsTakeNull)
{
	EXPECT_EQ(ccr_pod_result_count(nullptr), 0u);
	EXPECT_EQ(ccr_pod_result_container(nullptr, 0), nullptr);
	EXPECT_EQ(ccr_pod_result_container_id(nullptr, 0), nullptr);
	EXPECT_EQ(ccr_pod_result_warning_count(nullptr), 0u);
	EXPECT_EQ(ccr_pod_result_warning(nullptr, 0), nullptr);
	uint64_t v = 0;
	EXPECT_EQ(ccr_pod_stat_of(&v, nullptr, CCR_POD_STAT_FROZEN_TIME_US), 0);
	EXPECT_EQ(ccr_notify_container(nullptr), nullptr);
	ccr_pod_result_free(nullptr);
	ccr_pod_free(nullptr);
}
