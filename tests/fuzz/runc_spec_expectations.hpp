// SPDX-License-Identifier: Apache-2.0
// What restore() expects of the images of the e2e busybox container (the
// config `runc spec` writes, with its five new namespaces) on this hybrid
// host: runc's mounts, masked files, devices and v1 cgroup binds. The fuzz
// target and the image verifier's unit tests check the seeds against it.
#pragma once

#include "image_verifier.hpp"

namespace ccr::testing {

inline ImageExpectations runc_spec_expectations()
{
	ImageExpectations e;
	e.new_namespaces = {"pid", "network", "ipc", "uts", "mount"};
	e.config_mounts = {{"/proc", "proc", "proc", false},
			   {"/dev", "tmpfs", "tmpfs", false},
			   {"/dev/pts", "devpts", "devpts", false},
			   {"/dev/shm", "tmpfs", "shm", false},
			   {"/dev/mqueue", "mqueue", "mqueue", false},
			   {"/sys", "sysfs", "sysfs", true},
			   {"/sys/fs/cgroup", "cgroup", "cgroup", true}};
	e.dev_mounts = {"/dev/pts", "/dev/shm", "/dev/mqueue"};
	e.ext_mount_keys = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
	for (const char *h : {"systemd", "pids", "blkio", "freezer", "devices", "memory", "cpuset", "cpuacct", "cpu"})
		e.ext_mount_keys.insert(std::string("/sys/fs/cgroup/") + h);
	const struct {
		const char *path;
		int64_t major, minor;
	} devices[] = {{"/dev/null", 1, 3},    {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},    {"/dev/random", 1, 8},
		       {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},  {"/dev/console", 5, 1}, {"/dev/ptmx", 5, 2}};
	for (const auto &d : devices)
		e.devices[d.path] = {'c', d.major, d.minor};
	return e;
}

} // namespace ccr::testing
