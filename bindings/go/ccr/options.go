// SPDX-License-Identifier: Apache-2.0

package ccr

import (
	"os"
	"syscall"
	"time"
)

// Options are the settings Checkpoint and Restore share. They are plain
// values: the zero value of every field keeps libccr's default, so only set
// what you need. Fields whose zero value is a meaningful setting different
// from the default are pointers (use Ptr: LogLevel: ccr.Ptr(0)).
//
// CheckpointOptions and RestoreOptions embed Options and add the settings
// that only that operation reads; where ccr.h says a setter applies to
// "both", its field is here. Each field names its ccr_options_* setter.
type Options struct {
	// ImagesDir is the images directory (required). Checkpoint creates it
	// 0700 when missing; an existing one must not be a symlink nor
	// writable by group or others. (set_images_dir)
	ImagesDir string
	// WorkDir is CRIU's work directory, for its log and statistics.
	// Default: ImagesDir. (set_work_dir)
	WorkDir string
	// CriuPath is the CRIU binary. Default: "criu" from PATH. (set_criu_path)
	CriuPath string
	// CriuConfigFile is a CRIU configuration file. (set_criu_config_file)
	CriuConfigFile string

	// Notify is called for every CRIU notification ("pre-dump",
	// "post-restore", ...) on the goroutine that called Checkpoint or
	// Restore. Returning an error aborts the operation: the call returns an
	// *Error with CodeCallback that wraps it. See NotifyFunc. (set_notify)
	Notify NotifyFunc
	// Log receives ccr's own log lines, those at LogMaxLevel or more
	// severe, on the goroutine that called Checkpoint or Restore and only
	// during the call. CRIU's own log is another thing: it goes to LogFile,
	// at LogLevel. nil (the default): ccr logs nothing. See LogFunc and
	// LogToSlog. (set_log)
	Log LogFunc
	// LogMaxLevel is the least severe level passed to Log: LogError,
	// LogWarning, LogInfo or LogDebug; 0 means LogInfo. Any other value is
	// CodeInvalidArgument. (set_log)
	LogMaxLevel LogLevel
	// Timeout limits the whole operation; 0 means none. When it runs out
	// CRIU is killed where that is safe for the container (up to 10 s
	// later, see docs/reliability.md) and the call returns CodeTimeout.
	// Rounded up to whole
	// milliseconds; at most about 49 days. For a caller's deadline prefer
	// the context, which gives CodeCanceled wrapping
	// context.DeadlineExceeded. (set_timeout_ms)
	Timeout time.Duration
	// CriuTimeout is CRIU's own limit for freezing and similar waits,
	// rounded up to whole seconds. (set_criu_timeout)
	CriuTimeout time.Duration

	// LogLevel is CRIU's log level, 0 (none) to 4 (debug); nil keeps the
	// default 4. (ccr's own log is Log and LogMaxLevel.) (set_log_level)
	LogLevel *int
	// LogFile is CRIU's log file name inside WorkDir (no slashes).
	// Default "dump.log", "pre-dump.log" or "restore.log". (set_log_file)
	LogFile string
	// LogToStderr sends CRIU's log to its stderr instead. (set_log_to_stderr)
	LogToStderr bool
	// DisplayStats asks CRIU to print statistics to its log. (set_display_stats)
	DisplayStats bool

	TCPEstablished bool // established TCP connections (set_tcp_established)
	ExtUnixSockets bool // external unix sockets (set_ext_unix_sk)
	ShellJob       bool // session and terminal are the caller's (set_shell_job)
	FileLocks      bool // file locks (set_file_locks)
	AutoDedup      bool // deduplicate pages against the parent (set_auto_dedup)
	LazyPages      bool // lazy pages; needs FeatureLazyPages (set_lazy_pages)
	Unprivileged   bool // run CRIU without root, with capabilities (set_unprivileged)

	// EmptyNamespaces are namespaces CRIU creates empty instead of
	// restoring, as CLONE_NEW* flags; only CloneNewNet today. (set_empty_ns)
	EmptyNamespaces uint
	// CgroupMode is how CRIU handles cgroups. (set_cgroup_mode)
	CgroupMode CgroupMode
	// GhostLimit is the largest deleted-but-open file CRIU copies into
	// the images, in bytes; 0 keeps CRIU's default (1 MiB). (set_ghost_limit)
	GhostLimit uint32
	// CPUCap is CRIU's cpu-cap mask; nil keeps CRIU's default. (set_cpu_cap)
	CPUCap *uint32
	// TLS secures page-server connections; nil leaves TLS off. (set_tls)
	TLS *TLSOptions

	// ExtMounts adds external mounts: on checkpoint Key is the mountpoint
	// and Value the name recorded; on restore Key is that name and Value
	// the host path. (add_ext_mount)
	ExtMounts []KeyValue
	// AutoExtMounts, ExtSharing and ExtMasters let CRIU treat unknown
	// mounts as external, with their sharing and master options.
	// (set_auto_ext_mnt, set_ext_sharing, set_ext_masters)
	AutoExtMounts, ExtSharing, ExtMasters bool
	// EnableFS allows mounts of these file system types. (add_enable_fs)
	EnableFS []string
	// External adds generic CRIU external resources ("dev[maj/min]:name",
	// "net[ino]:key", "mnt[path]:name", "unix[ino]"). (add_external)
	External []string
}

// CheckpointOptions are the settings of Checkpoint.
type CheckpointOptions struct {
	Options

	// LeaveRunning keeps the container running after the checkpoint.
	// (set_leave_running)
	LeaveRunning bool
	// AllowProcessesOutsideTree checkpoints although processes in the
	// container's cgroup are not in its init's tree (runc exec): they are
	// left out, each named in Result.Warnings. Without it the checkpoint
	// fails naming them. (set_allow_processes_outside_tree)
	AllowProcessesOutsideTree bool
	// PreDump takes a memory-only pre-dump; the container keeps running.
	// Needs FeatureMemTrack. (set_pre_dump)
	PreDump bool
	// PreDumpMode is how a pre-dump reads memory; 0 keeps CRIU's default.
	// (set_pre_dump_mode)
	PreDumpMode PreDumpMode
	// ParentPath names a previous pre-dump's images, relative to ImagesDir.
	// (set_parent_path)
	ParentPath string
	// TrackMem tracks memory changes for a later dump. (set_track_mem)
	TrackMem bool

	// PageServer sends pages to a CRIU page server. (set_page_server)
	PageServer *PageServer
	// PageServerFile sends pages over this connected socket. It stays
	// yours. (set_page_server_fd)
	PageServerFile *os.File
	// StatusFile gets one '\0' byte when CRIU is ready to serve lazy pages,
	// like runc's --status-fd. ccr closes the descriptor it is given, so the
	// binding hands it a duplicate: StatusFile stays yours. (set_status_fd)
	StatusFile *os.File
	// PidfdStoreFile is a unix socket CRIU keeps pidfds in across
	// pre-dumps. It stays yours. (set_pidfd_store_fd)
	PidfdStoreFile *os.File

	TCPSkipInFlight bool // skip in-flight TCP connections (set_tcp_skip_in_flight)
	// NetworkLock is how CRIU locks the network while it works; a restore
	// uses the method the images record. (set_network_lock)
	NetworkLock NetworkLock
	LinkRemap   bool // link-remap deleted open files (set_link_remap)
	ForceIrmap  bool // resolve inotify watches by scanning paths (set_force_irmap)
	// IrmapScanPaths are where CRIU looks for inotify/fanotify targets.
	// (add_irmap_scan_path)
	IrmapScanPaths []string
	// SkipMounts leaves these mountpoints out. (add_skip_mount)
	SkipMounts []string
	// UnixSocketInodes marks external unix sockets by inode; CRIU prefers
	// External "unix[ino]". (add_unix_sk_inode)
	UnixSocketInodes []uint32
	// CgroupDumpControllers dumps only these controllers' cgroups.
	// (add_cgroup_dump_controller)
	CgroupDumpControllers []string
	// FreezeCgroup is the freezer cgroup to freeze with; nil means the
	// container's own, Ptr("") means ptrace alone. (set_freeze_cgroup)
	FreezeCgroup *string
	// CgroupProps (YAML text) or CgroupPropsFile (a file of it) says which
	// cgroup properties CRIU saves into the images; CRIU reads them while
	// dumping only. (set_cgroup_props, set_cgroup_props_file)
	CgroupProps, CgroupPropsFile string
}

// RestoreOptions are the settings of Restore.
type RestoreOptions struct {
	Options

	// LeaveStopped keeps the restored processes stopped. (set_leave_stopped)
	LeaveStopped bool
	// LSMProfile and LSMMountContext are the restored container's LSM
	// profile and mount context. (set_lsm_profile, set_lsm_mount_context)
	LSMProfile, LSMMountContext string
	// ConsoleSocket receives the terminal master, like runc's
	// --console-socket. (set_console_socket)
	ConsoleSocket string
	// TCPClose restores established connections closed. (set_tcp_close)
	TCPClose bool
	// VethPairs adds veth pairs (deprecated by CRIU). (add_veth_pair)
	VethPairs []VethPair
	// SkipFileRWXCheck skips files' permission checks. (set_skip_file_rwx_check)
	SkipFileRWXCheck bool
	// EvasiveDevices reopens device files by path; nil keeps the default
	// (on, as runc). (set_evasive_devices)
	EvasiveDevices *bool
	// MntnsCompatMode restores mounts the pre-4.0 way. (set_mntns_compat_mode)
	MntnsCompatMode bool
	// InheritFiles hands CRIU your descriptors for resources named in the
	// images. They stay yours. (add_inherit_fd)
	InheritFiles []InheritFile
	// JoinNamespaces makes the restored tree join existing namespaces.
	// (add_join_ns)
	JoinNamespaces []JoinNamespace
	// WeakSysctls restores sysctls CRIU cannot set without failing.
	// (set_weak_sysctls)
	WeakSysctls bool
	// CgroupRoots restores a controller's cgroups under another path;
	// Controller "" means every controller. (add_cgroup_root)
	CgroupRoots []CgroupRoot
	// CgroupYard is a directory with the cgroup hierarchies mounted.
	// (set_cgroup_yard)
	CgroupYard string
	// ExecCmd is a command CRIU runs after the restore, with the tree
	// frozen. (add_exec_cmd, one call per argument)
	ExecCmd []string
}

// Ptr returns a pointer to v, for the optional fields (LogLevel: Ptr(0)).
func Ptr[T any](v T) *T { return &v }

// CloneNewNet is the only flag EmptyNamespaces accepts today.
const CloneNewNet uint = syscall.CLONE_NEWNET

// CgroupMode is how CRIU handles cgroups (ccr_cgroup_mode).
type CgroupMode int

const (
	CgroupDefault CgroupMode = iota // CRIU's default (soft)
	CgroupSoft
	CgroupFull
	CgroupStrict
	CgroupIgnore
	CgroupNone
	CgroupProps
)

// NetworkLock is how CRIU locks the network (ccr_network_lock).
type NetworkLock int

const (
	NetworkLockDefault  NetworkLock = iota // ccr's choice: nftables where it works, else iptables
	NetworkLockIptables                    // iptables
	NetworkLockNftables                    // nftables
	NetworkLockSkip                        // no lock: only when nothing can reach the container
)

// PreDumpMode is how a pre-dump reads memory (ccr_pre_dump_mode).
type PreDumpMode int

const (
	PreDumpDefault PreDumpMode = 0 // CRIU's default (splice)
	PreDumpSplice  PreDumpMode = 1 // vmsplice into pipes
	PreDumpRead    PreDumpMode = 2 // process_vm_readv: shorter freeze
)

// KeyValue is one external mount.
type KeyValue struct{ Key, Value string }

// PageServer is a CRIU page server's address.
type PageServer struct {
	Address string
	Port    int
}

// TLSOptions enables TLS for page-server connections; empty paths are
// passed as NULL.
type TLSOptions struct {
	CACert, CACRL, Cert, Key string
	NoCNVerify               bool
}

// VethPair is a veth pair: Inside in the container, Outside on the host.
type VethPair struct{ Inside, Outside string }

// InheritFile hands CRIU File for the resource Key of the images.
type InheritFile struct {
	Key  string
	File *os.File
}

// JoinNamespace joins the namespace NS ("ipc", "uts", "time", ...) in the
// namespace file File ("/proc/PID/ns/ipc"); Extra may be "".
type JoinNamespace struct{ NS, File, Extra string }

// CgroupRoot restores Controller's cgroups ("" = all) under Path.
type CgroupRoot struct{ Controller, Path string }
