// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <stdlib.h>
#define CCR_NO_DEPRECATED_WARNINGS // the binding offers every setter, these two included
#include <ccr/ccr.h>
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"syscall"
	"time"
)

// This file turns the Go option structs into ccr_options setter calls.
// Fields at their zero value are not passed, so libccr's defaults apply.

// apply sets the shared options on o.
func (opts *Options) apply(s *setter, o *C.ccr_options) {
	s.str(opts.ImagesDir, func(v *C.char) *C.ccr_error { return C.ccr_options_set_images_dir(o, v) })
	s.str(opts.WorkDir, func(v *C.char) *C.ccr_error { return C.ccr_options_set_work_dir(o, v) })
	s.str(opts.CriuPath, func(v *C.char) *C.ccr_error { return C.ccr_options_set_criu_path(o, v) })
	s.str(opts.CriuConfigFile, func(v *C.char) *C.ccr_error { return C.ccr_options_set_criu_config_file(o, v) })
	if opts.Timeout != 0 {
		ms, err := durationUnits(opts.Timeout, time.Millisecond, "Timeout")
		s.fail(err)
		s.call(func() *C.ccr_error { return C.ccr_options_set_timeout_ms(o, C.uint32_t(ms)) })
	}
	if opts.CriuTimeout != 0 {
		sec, err := durationUnits(opts.CriuTimeout, time.Second, "CriuTimeout")
		s.fail(err)
		s.call(func() *C.ccr_error { return C.ccr_options_set_criu_timeout(o, C.uint32_t(sec)) })
	}
	if opts.LogLevel != nil {
		s.call(func() *C.ccr_error { return C.ccr_options_set_log_level(o, C.int(*opts.LogLevel)) })
	}
	s.str(opts.LogFile, func(v *C.char) *C.ccr_error { return C.ccr_options_set_log_file(o, v) })
	s.flag(opts.LogToStderr, func(v C.int) *C.ccr_error { return C.ccr_options_set_log_to_stderr(o, v) })
	s.flag(opts.DisplayStats, func(v C.int) *C.ccr_error { return C.ccr_options_set_display_stats(o, v) })
	s.flag(opts.TCPEstablished, func(v C.int) *C.ccr_error { return C.ccr_options_set_tcp_established(o, v) })
	s.flag(opts.ExtUnixSockets, func(v C.int) *C.ccr_error { return C.ccr_options_set_ext_unix_sk(o, v) })
	s.flag(opts.ShellJob, func(v C.int) *C.ccr_error { return C.ccr_options_set_shell_job(o, v) })
	s.flag(opts.FileLocks, func(v C.int) *C.ccr_error { return C.ccr_options_set_file_locks(o, v) })
	s.flag(opts.AutoDedup, func(v C.int) *C.ccr_error { return C.ccr_options_set_auto_dedup(o, v) })
	s.flag(opts.LazyPages, func(v C.int) *C.ccr_error { return C.ccr_options_set_lazy_pages(o, v) })
	s.flag(opts.Unprivileged, func(v C.int) *C.ccr_error { return C.ccr_options_set_unprivileged(o, v) })
	if opts.EmptyNamespaces != 0 {
		s.call(func() *C.ccr_error { return C.ccr_options_set_empty_ns(o, C.unsigned(opts.EmptyNamespaces)) })
	}
	if opts.CgroupMode != CgroupDefault {
		s.call(func() *C.ccr_error {
			return C.ccr_options_set_cgroup_mode(o, C.ccr_cgroup_mode(opts.CgroupMode))
		})
	}
	if opts.GhostLimit != 0 {
		s.call(func() *C.ccr_error { return C.ccr_options_set_ghost_limit(o, C.uint32_t(opts.GhostLimit)) })
	}
	if opts.CPUCap != nil {
		s.call(func() *C.ccr_error { return C.ccr_options_set_cpu_cap(o, C.uint32_t(*opts.CPUCap)) })
	}
	if t := opts.TLS; t != nil {
		s.call(func() *C.ccr_error {
			ca, crl := cStringOrNil(t.CACert), cStringOrNil(t.CACRL)
			cert, key := cStringOrNil(t.Cert), cStringOrNil(t.Key)
			defer freeCString(ca)
			defer freeCString(crl)
			defer freeCString(cert)
			defer freeCString(key)
			return C.ccr_options_set_tls(o, 1, ca, crl, cert, key, cBool(t.NoCNVerify))
		})
	}
	for _, m := range opts.ExtMounts {
		s.str2(m.Key, m.Value, func(k, v *C.char) *C.ccr_error { return C.ccr_options_add_ext_mount(o, k, v) })
	}
	s.flag(opts.AutoExtMounts, func(v C.int) *C.ccr_error { return C.ccr_options_set_auto_ext_mnt(o, v) })
	s.flag(opts.ExtSharing, func(v C.int) *C.ccr_error { return C.ccr_options_set_ext_sharing(o, v) })
	s.flag(opts.ExtMasters, func(v C.int) *C.ccr_error { return C.ccr_options_set_ext_masters(o, v) })
	for _, fs := range opts.EnableFS {
		s.arg(fs, func(v *C.char) *C.ccr_error { return C.ccr_options_add_enable_fs(o, v) })
	}
	for _, r := range opts.External {
		s.arg(r, func(v *C.char) *C.ccr_error { return C.ccr_options_add_external(o, v) })
	}
	// Notify is installed by the operation itself (notify.go): it always
	// needs the trampoline, for cancellation. So is Log (log.go), which
	// needs the operation's handle too; its level is checked here, also
	// without Log, so that a bad one never goes unnoticed.
	s.fail(checkLogLevel(opts.LogMaxLevel))
}

// apply sets the checkpoint options on o.
func (opts *CheckpointOptions) apply(s *setter, o *C.ccr_options) {
	opts.Options.apply(s, o)
	s.flag(opts.LeaveRunning, func(v C.int) *C.ccr_error { return C.ccr_options_set_leave_running(o, v) })
	s.flag(opts.AllowProcessesOutsideTree, func(v C.int) *C.ccr_error {
		return C.ccr_options_set_allow_processes_outside_tree(o, v)
	})
	s.flag(opts.PreDump, func(v C.int) *C.ccr_error { return C.ccr_options_set_pre_dump(o, v) })
	if opts.PreDumpMode != PreDumpDefault {
		s.call(func() *C.ccr_error {
			return C.ccr_options_set_pre_dump_mode(o, C.ccr_pre_dump_mode(opts.PreDumpMode))
		})
	}
	s.str(opts.ParentPath, func(v *C.char) *C.ccr_error { return C.ccr_options_set_parent_path(o, v) })
	s.flag(opts.TrackMem, func(v C.int) *C.ccr_error { return C.ccr_options_set_track_mem(o, v) })
	if ps := opts.PageServer; ps != nil {
		s.arg(ps.Address, func(a *C.char) *C.ccr_error {
			return C.ccr_options_set_page_server(o, a, C.int(ps.Port))
		})
	}
	if f := opts.PageServerFile; f != nil {
		s.call(func() *C.ccr_error { return C.ccr_options_set_page_server_fd(o, fileFd(f)) })
	}
	if f := opts.PidfdStoreFile; f != nil {
		s.call(func() *C.ccr_error { return C.ccr_options_set_pidfd_store_fd(o, fileFd(f)) })
	}
	s.flag(opts.TCPSkipInFlight, func(v C.int) *C.ccr_error { return C.ccr_options_set_tcp_skip_in_flight(o, v) })
	if opts.NetworkLock != NetworkLockDefault {
		s.call(func() *C.ccr_error {
			return C.ccr_options_set_network_lock(o, C.ccr_network_lock(opts.NetworkLock))
		})
	}
	s.flag(opts.LinkRemap, func(v C.int) *C.ccr_error { return C.ccr_options_set_link_remap(o, v) })
	s.flag(opts.ForceIrmap, func(v C.int) *C.ccr_error { return C.ccr_options_set_force_irmap(o, v) })
	for _, p := range opts.IrmapScanPaths {
		s.arg(p, func(v *C.char) *C.ccr_error { return C.ccr_options_add_irmap_scan_path(o, v) })
	}
	for _, p := range opts.SkipMounts {
		s.arg(p, func(v *C.char) *C.ccr_error { return C.ccr_options_add_skip_mount(o, v) })
	}
	for _, ino := range opts.UnixSocketInodes {
		s.call(func() *C.ccr_error { return C.ccr_options_add_unix_sk_inode(o, C.uint32_t(ino)) })
	}
	for _, c := range opts.CgroupDumpControllers {
		s.arg(c, func(v *C.char) *C.ccr_error { return C.ccr_options_add_cgroup_dump_controller(o, v) })
	}
	if opts.FreezeCgroup != nil {
		s.call(func() *C.ccr_error {
			v := C.CString(*opts.FreezeCgroup) // "" is meaningful here: not NULL
			defer freeCString(v)
			return C.ccr_options_set_freeze_cgroup(o, v)
		})
	}
	s.str(opts.CgroupProps, func(v *C.char) *C.ccr_error { return C.ccr_options_set_cgroup_props(o, v) })
	s.str(opts.CgroupPropsFile, func(v *C.char) *C.ccr_error { return C.ccr_options_set_cgroup_props_file(o, v) })
	if f := opts.StatusFile; f != nil && s.err == nil {
		// libccr closes the status descriptor when the checkpoint that
		// uses it ends: give it a duplicate so the *os.File stays valid.
		// Set last, so no later setter can fail with the duplicate handed
		// over. (A checkpoint that fails before it takes the descriptor
		// over, e.g. for a missing pid, leaves the duplicate open: ccr.h
		// does not say which failures close it.)
		fd, err := dupCloexec(f)
		if err != nil {
			s.fail(err)
		} else {
			s.call(func() *C.ccr_error { return C.ccr_options_set_status_fd(o, C.int(fd)) })
			if s.err != nil {
				syscall.Close(fd) // refused: still ours
			}
		}
	}
}

// apply sets the restore options on o.
func (opts *RestoreOptions) apply(s *setter, o *C.ccr_options) {
	opts.Options.apply(s, o)
	s.flag(opts.LeaveStopped, func(v C.int) *C.ccr_error { return C.ccr_options_set_leave_stopped(o, v) })
	s.str(opts.LSMProfile, func(v *C.char) *C.ccr_error { return C.ccr_options_set_lsm_profile(o, v) })
	s.str(opts.LSMMountContext, func(v *C.char) *C.ccr_error { return C.ccr_options_set_lsm_mount_context(o, v) })
	s.str(opts.ConsoleSocket, func(v *C.char) *C.ccr_error { return C.ccr_options_set_console_socket(o, v) })
	s.flag(opts.TCPClose, func(v C.int) *C.ccr_error { return C.ccr_options_set_tcp_close(o, v) })
	for _, p := range opts.VethPairs {
		s.str2(p.Inside, p.Outside, func(i, x *C.char) *C.ccr_error { return C.ccr_options_add_veth_pair(o, i, x) })
	}
	s.flag(opts.SkipFileRWXCheck, func(v C.int) *C.ccr_error { return C.ccr_options_set_skip_file_rwx_check(o, v) })
	s.optFlag(opts.EvasiveDevices, func(v C.int) *C.ccr_error { return C.ccr_options_set_evasive_devices(o, v) })
	s.flag(opts.MntnsCompatMode, func(v C.int) *C.ccr_error { return C.ccr_options_set_mntns_compat_mode(o, v) })
	for _, in := range opts.InheritFiles {
		if in.File == nil {
			s.fail(&Error{Code: CodeInvalidArgument, Message: fmt.Sprintf("inherit-fd %q has no file", in.Key)})
			continue
		}
		s.arg(in.Key, func(k *C.char) *C.ccr_error {
			return C.ccr_options_add_inherit_fd(o, k, fileFd(in.File))
		})
	}
	for _, j := range opts.JoinNamespaces {
		s.call(func() *C.ccr_error {
			ns, file, extra := cStringOrNil(j.NS), cStringOrNil(j.File), cStringOrNil(j.Extra)
			defer freeCString(ns)
			defer freeCString(file)
			defer freeCString(extra)
			return C.ccr_options_add_join_ns(o, ns, file, extra)
		})
	}
	s.flag(opts.WeakSysctls, func(v C.int) *C.ccr_error { return C.ccr_options_set_weak_sysctls(o, v) })
	for _, r := range opts.CgroupRoots {
		s.str2(r.Controller, r.Path, func(c, p *C.char) *C.ccr_error { return C.ccr_options_add_cgroup_root(o, c, p) })
	}
	s.str(opts.CgroupYard, func(v *C.char) *C.ccr_error { return C.ccr_options_set_cgroup_yard(o, v) })
	for _, a := range opts.ExecCmd {
		// An empty argument is a real argument: pass "" rather than NULL.
		s.call(func() *C.ccr_error {
			v := C.CString(a)
			defer freeCString(v)
			return C.ccr_options_add_exec_cmd(o, v)
		})
	}
}

// durationUnits is d in whole units, rounded up, as a uint32.
func durationUnits(d, unit time.Duration, name string) (uint32, error) {
	if d < 0 {
		return 0, &Error{Code: CodeInvalidArgument, Message: fmt.Sprintf("%s %v is negative", name, d)}
	}
	n := (d + unit - 1) / unit
	if n > math.MaxUint32 {
		return 0, &Error{Code: CodeInvalidArgument, Message: fmt.Sprintf("%s %v is too long", name, d)}
	}
	return uint32(n), nil
}

// dupCloexec duplicates f's descriptor with FD_CLOEXEC set.
func dupCloexec(f *os.File) (int, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return -1, &Error{Code: CodeInvalidArgument, Message: "cannot use the status file: " + err.Error()}
	}
	nfd := -1
	var errno syscall.Errno
	if cerr := sc.Control(func(fd uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		nfd, errno = int(r), e
	}); cerr != nil {
		return -1, &Error{Code: CodeInvalidArgument, Message: "cannot use the status file: " + cerr.Error()}
	}
	if errno != 0 {
		return -1, &Error{Code: CodeSystem, Errno: errno, Message: "cannot duplicate the status descriptor: " + errno.Error()}
	}
	return nfd, nil
}
