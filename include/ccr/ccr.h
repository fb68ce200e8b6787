/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccr: checkpoint and restore Linux containers through CRIU.
 *
 * This is the whole stable interface of libccr. It is plain C99; nothing from
 * the C++ core (protobuf, spdlog, the STL) appears here, so a change of CRIU's
 * RPC schema never becomes an ABI change for callers.
 *
 * Conventions used by every function below:
 *  - Functions that can fail return `ccr_error *`: NULL on success, otherwise an
 *    error object the caller owns and releases with ccr_error_free().
 *  - Output parameters come first and are named `out`. On failure `*out` is
 *    left untouched.
 *  - Handles (ccr_container, ccr_options, ccr_result) are not thread-safe: use
 *    one from one thread at a time. Different handles may be used from
 *    different threads at once; the library keeps no global mutable state
 *    beyond an internally locked cache of CRIU's version.
 *  - Strings passed in are copied; the caller may free them after the call.
 *    Strings returned are owned by the object they came from and live as long
 *    as it does.
 *  - Every descriptor ccr opens is O_CLOEXEC; ccr never closes a descriptor the
 *    caller passed in unless the function says so.
 *  - No C++ exception ever leaves the library. Invalid arguments (a NULL handle,
 *    a negative pid) are reported as CCR_ERR_INVALID_ARGUMENT, never as an abort.
 */
#ifndef CCR_H
#define CCR_H

#include <stddef.h>
#include <stdint.h>

#include "ccr_version.h"

#if defined(CCR_BUILDING_LIBRARY)
#define CCR_EXTERN __attribute__((visibility("default")))
#else
#define CCR_EXTERN
#endif

/* Marks a function that stays in the ABI but should not be used in new code
 * (docs/api-stability.md). A wrapper that exposes it on purpose (a binding)
 * defines CCR_NO_DEPRECATED_WARNINGS before including this header. */
#if defined(CCR_BUILDING_LIBRARY) || defined(CCR_NO_DEPRECATED_WARNINGS)
#define CCR_DEPRECATED(why)
#else
#define CCR_DEPRECATED(why) __attribute__((deprecated(why)))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* Version                                                                   */
/* ------------------------------------------------------------------------- */

/* The library's version as CCR_VERSION_NUMBER would spell it. Thread-safe. */
CCR_EXTERN unsigned ccr_version(void);

/* The library's version as "MAJOR.MINOR.PATCH". Static storage. Thread-safe. */
CCR_EXTERN const char *ccr_version_string(void);

/* ------------------------------------------------------------------------- */
/* Errors                                                                    */
/* ------------------------------------------------------------------------- */

/* Stable error codes. New codes may be added at the end; existing values never
 * change. Bindings map each to an exception class or error value. */
typedef enum ccr_error_code {
	CCR_OK = 0,
	/* An argument is wrong: NULL handle, negative pid, empty path, ... */
	CCR_ERR_INVALID_ARGUMENT = 1,
	/* Memory ran out. */
	CCR_ERR_NO_MEMORY = 2,
	/* A system call failed; ccr_error_errno() tells which errno. */
	CCR_ERR_SYSTEM = 3,
	/* Something named does not exist: the pid, a directory, the CRIU binary. */
	CCR_ERR_NOT_FOUND = 4,
	/* The OCI config.json is unreadable or invalid. */
	CCR_ERR_CONFIG = 5,
	/* A path would leave the container's rootfs, or is unsafe (a symlink
	 * where a directory must be, a directory others can write). */
	CCR_ERR_UNSAFE_PATH = 6,
	/* CRIU could not be started (missing binary, exec failure). */
	CCR_ERR_CRIU_START = 7,
	/* CRIU answered that the operation failed. ccr_error_criu_message(),
	 * ccr_error_criu_errno() and ccr_error_log_excerpt() say why. */
	CCR_ERR_CRIU_FAILED = 8,
	/* CRIU exited or closed its socket in the middle of the operation. */
	CCR_ERR_CRIU_DIED = 9,
	/* CRIU sent a message ccr cannot read: garbled, oversized, out of order. */
	CCR_ERR_PROTOCOL = 10,
	/* The installed CRIU or kernel lacks a feature the options ask for;
	 * the message names it ("missing feature: MemTrack"). */
	CCR_ERR_UNSUPPORTED = 11,
	/* The caller's notify callback returned non-zero; the operation was
	 * aborted. Bindings re-raise the error their callback raised. */
	CCR_ERR_CALLBACK = 12,
	/* The operation's time limit ran out; CRIU was stopped. */
	CCR_ERR_TIMEOUT = 13,
	/* ccr_options_cancel() was called; CRIU was stopped. */
	CCR_ERR_CANCELED = 14,
	/* A file in the images directory is missing or malformed. */
	CCR_ERR_IMAGE = 15,
	/* A bug in ccr: an internal invariant broke. Please report it. */
	CCR_ERR_INTERNAL = 16
} ccr_error_code;

/* An error: owned by the caller, released with ccr_error_free(). Immutable,
 * so it may be read from any thread. */
typedef struct ccr_error ccr_error;

/* Releases an error. NULL is allowed and does nothing. */
CCR_EXTERN void ccr_error_free(ccr_error *err);

/* The stable code. NULL reads as CCR_OK. */
CCR_EXTERN ccr_error_code ccr_error_code_of(const ccr_error *err);

/* A short, stable name for a code ("criu-failed"); "unknown" for others.
 * Static storage: never freed, valid for the life of the process. */
CCR_EXTERN const char *ccr_error_code_name(ccr_error_code code);

/* One line that reads well as an exception message, e.g.
 * "checkpoint of pid 4242 failed: criu dump: Can't freeze (errno 16)".
 * Never NULL for a non-NULL err. */
CCR_EXTERN const char *ccr_error_message(const ccr_error *err);

/* The errno behind the error, or 0 when there is none. */
CCR_EXTERN int ccr_error_errno(const ccr_error *err);

/* CRIU's own cr_errno from its response, or 0. */
CCR_EXTERN int ccr_error_criu_errno(const ccr_error *err);

/* CRIU's own cr_errmsg from its response, or NULL when CRIU sent none. */
CCR_EXTERN const char *ccr_error_criu_message(const ccr_error *err);

/* The path of CRIU's log for the failed operation, or NULL. */
CCR_EXTERN const char *ccr_error_log_path(const ccr_error *err);

/* The lines of CRIU's log around each "Error" line (a few lines of context
 * before each), newline-separated, or NULL when there is no log. */
CCR_EXTERN const char *ccr_error_log_excerpt(const ccr_error *err);

/* ------------------------------------------------------------------------- */
/* Container description                                                     */
/* ------------------------------------------------------------------------- */

/* What ccr needs to know about a container: created with ccr_container_new(),
 * released with ccr_container_free(). The same description serves checkpoint
 * and restore. */
typedef struct ccr_container ccr_container;

/* Creates an empty description for the container named `id` (used in
 * directory names and messages; letters, digits, '.', '_' and '-' only).
 * Errors: CCR_ERR_INVALID_ARGUMENT for a NULL out or a bad id. */
CCR_EXTERN ccr_error *ccr_container_new(ccr_container **out, const char *id);

/* Releases a description. NULL is allowed. */
CCR_EXTERN void ccr_container_free(ccr_container *container);

/* The container's init process as seen from the caller's pid namespace.
 * Required for checkpoint; ignored by restore. */
CCR_EXTERN ccr_error *ccr_container_set_pid(ccr_container *container, int pid);

/* Checkpoint refuses a pid that is not a container (checkpoint): the pid
 * must be the init of a pid namespace of its own (pid 1 inside it, not the
 * caller's namespace's init) or, when the container's config joins a pid
 * namespace by path (a pod sharing one), in that very namespace; the freezer cgroup CRIU would freeze must
 * be neither the root of its hierarchy nor the caller's cgroup (or an
 * ancestor of it); otherwise CCR_ERR_INVALID_ARGUMENT before CRIU starts.
 * With `enable` non-zero the pid may be any process: the root of a plain
 * process tree sharing the caller's pid namespace. The freezer rules still
 * hold: a host process usually sits in its hierarchy's root, so name a
 * freezer of its own with ccr_options_set_freeze_cgroup(), or "" to have
 * CRIU stop the tree with ptrace. Default 0. */
CCR_EXTERN ccr_error *ccr_container_set_process_tree(ccr_container *container, int enable);

/* The OCI bundle directory. Its config.json is read unless
 * ccr_container_set_config_path() or ccr_container_set_config_json() says
 * otherwise, and a relative root.path is taken relative to it. */
CCR_EXTERN ccr_error *ccr_container_set_bundle(ccr_container *container, const char *path);

/* Reads the OCI config from this file instead of <bundle>/config.json. */
CCR_EXTERN ccr_error *ccr_container_set_config_path(ccr_container *container, const char *path);

/* Uses this JSON text as the OCI config. Parsed now: CCR_ERR_CONFIG if it
 * is not a JSON object. */
CCR_EXTERN ccr_error *ccr_container_set_config_json(ccr_container *container, const char *json);

/* The container's root filesystem on the host, overriding the config's
 * root.path. Must be an absolute path. */
CCR_EXTERN ccr_error *ccr_container_set_rootfs(ccr_container *container, const char *path);

/* A directory ccr may use for this container's transient state (the restore
 * root mount point). Created 0700 if missing. Default: a fresh private
 * directory under /run/ccr, removed when the operation ends. */
CCR_EXTERN ccr_error *ccr_container_set_state_dir(ccr_container *container, const char *path);

/* The container's cgroup path (relative to each hierarchy's root, e.g.
 * "/ccr/web1"). `controller` NULL sets it for every hierarchy; a name
 * ("memory", "name=systemd") sets it for that v1 hierarchy only.
 * Default: linux.cgroupsPath from the config, else "/<id>". On checkpoint the
 * paths are read from /proc/<pid>/cgroup instead. */
CCR_EXTERN ccr_error *ccr_container_set_cgroup_path(ccr_container *container, const char *controller, const char *path);

/* The descriptors that become the restored container's stdin, stdout and
 * stderr when its images say those were pipes (descriptors.json). -1 leaves
 * the caller's own descriptor of that number. Not closed by ccr. */
CCR_EXTERN ccr_error *ccr_container_set_stdio(ccr_container *container, int stdin_fd, int stdout_fd, int stderr_fd);

/* ------------------------------------------------------------------------- */
/* Notify callbacks                                                          */
/* ------------------------------------------------------------------------- */

/* One notification from CRIU, valid only during the callback. */
typedef struct ccr_notify ccr_notify;

/* The script name CRIU sent: "pre-dump", "post-dump", "network-lock",
 * "network-unlock", "setup-namespaces", "post-setup-namespaces",
 * "pre-restore", "post-restore", "pre-resume", "post-resume",
 * "orphan-pts-master", "status-ready", "query-ext-files", ... */
CCR_EXTERN const char *ccr_notify_script(const ccr_notify *notify);

/* The pid CRIU attached (the restored init for setup-namespaces and
 * post-restore), or 0. */
CCR_EXTERN int ccr_notify_pid(const ccr_notify *notify);

/* The descriptor CRIU sent with the notification (the terminal master for
 * orphan-pts-master), or -1. Owned by ccr: dup() it to keep it. */
CCR_EXTERN int ccr_notify_fd(const ccr_notify *notify);

/* Called for every notification, in the order CRIU sends them, on the thread
 * that called ccr_checkpoint() or ccr_restore(). Return 0 to let CRIU go on;
 * any other value aborts the operation with CCR_ERR_CALLBACK. */
typedef int (*ccr_notify_cb)(const ccr_notify *notify, void *payload);

/* ------------------------------------------------------------------------- */
/* Options                                                                   */
/* ------------------------------------------------------------------------- */

/* How an operation runs: created with ccr_options_new() (all defaults),
 * released with ccr_options_free(). Each setter documents whether it applies
 * to checkpoint, restore or both; the other operation ignores it. */
typedef struct ccr_options ccr_options;

CCR_EXTERN ccr_error *ccr_options_new(ccr_options **out);

/* Releases options; calls the notify payload's finalizer, if any. */
CCR_EXTERN void ccr_options_free(ccr_options *options);

/* The CRIU binary (both). Default: "criu" looked up in PATH. */
CCR_EXTERN ccr_error *ccr_options_set_criu_path(ccr_options *options, const char *path);

/* The images directory (both; required). Checkpoint creates it 0700 when
 * missing; an existing one must not be a symlink nor writable by group or
 * others. */
CCR_EXTERN ccr_error *ccr_options_set_images_dir(ccr_options *options, const char *path);

/* CRIU's work directory, where its log and statistics go (both). Same rules
 * as the images directory. Default: the images directory. */
CCR_EXTERN ccr_error *ccr_options_set_work_dir(ccr_options *options, const char *path);

/* A previous pre-dump's images, relative to the images directory (checkpoint).
 * Must exist. */
CCR_EXTERN ccr_error *ccr_options_set_parent_path(ccr_options *options, const char *path);

/* Takes a pre-dump (memory only, the container keeps running) instead of a
 * full checkpoint (checkpoint). Needs CRIU's MemTrack feature. */
CCR_EXTERN ccr_error *ccr_options_set_pre_dump(ccr_options *options, int enable);

/* Keeps the container running after the checkpoint (checkpoint). Default 0:
 * CRIU stops the container's processes once the images are written. */
CCR_EXTERN ccr_error *ccr_options_set_leave_running(ccr_options *options, int enable);

/* Checkpoints a container although processes in its freezer cgroup are not
 * in its init's process tree (checkpoint). Such a process, typically one
 * started with `runc exec` (its parent is outside the container), is one
 * CRIU does not dump: it is missing after a restore. Default 0: the
 * checkpoint fails with CCR_ERR_UNSUPPORTED naming each such process (pid
 * and command line) before CRIU starts. With 1 the checkpoint goes on, and
 * each process left out is named in a warning on the result. */
CCR_EXTERN ccr_error *ccr_options_set_allow_processes_outside_tree(ccr_options *options, int enable);

/* Checkpoints and restores established TCP connections (both). */
CCR_EXTERN ccr_error *ccr_options_set_tcp_established(ccr_options *options, int enable);

/* Allows external unix sockets (both). */
CCR_EXTERN ccr_error *ccr_options_set_ext_unix_sk(ccr_options *options, int enable);

/* The container is a shell job: its session and terminal are the caller's
 * (both). */
CCR_EXTERN ccr_error *ccr_options_set_shell_job(ccr_options *options, int enable);

/* Checkpoints and restores file locks (both). */
CCR_EXTERN ccr_error *ccr_options_set_file_locks(ccr_options *options, int enable);

/* Deduplicates pages against the parent images (both). */
CCR_EXTERN ccr_error *ccr_options_set_auto_dedup(ccr_options *options, int enable);

/* Namespaces CRIU should create empty rather than restore, as CLONE_NEW*
 * flags; only CLONE_NEWNET is accepted today (both). A network namespace the
 * config names by path is joined on restore all the same, as with runc. */
CCR_EXTERN ccr_error *ccr_options_set_empty_ns(ccr_options *options, unsigned flags);

/* How CRIU handles cgroups (both). */
typedef enum ccr_cgroup_mode {
	CCR_CGROUP_DEFAULT = 0, /* CRIU's default (soft) */
	CCR_CGROUP_SOFT = 1,
	CCR_CGROUP_FULL = 2,
	CCR_CGROUP_STRICT = 3,
	CCR_CGROUP_IGNORE = 4,
	CCR_CGROUP_NONE = 5,
	CCR_CGROUP_PROPS = 6
} ccr_cgroup_mode;
CCR_EXTERN ccr_error *ccr_options_set_cgroup_mode(ccr_options *options, ccr_cgroup_mode mode);

/* CRIU's log level, 0 (none) to 4 (debug) (both). Default 4, as runc. */
CCR_EXTERN ccr_error *ccr_options_set_log_level(ccr_options *options, int level);

/* CRIU's log file name inside the work directory (both). Default
 * "dump.log", "pre-dump.log" or "restore.log". No slashes. */
CCR_EXTERN ccr_error *ccr_options_set_log_file(ccr_options *options, const char *name);

/* A CRIU configuration file (both). Without this, the config's annotation
 * "org.criu.config" decides ("" = none); without the annotation,
 * /etc/criu/ccr.conf if it exists, else /etc/criu/runc.conf if it exists. */
CCR_EXTERN ccr_error *ccr_options_set_criu_config_file(ccr_options *options, const char *path);

/* The notify callback and its payload (both). `free_payload`, if not NULL,
 * is called with the payload when the options are freed or the callback is
 * replaced by a different payload. If this call fails, ccr has not taken the
 * payload: the caller still owns it. A NULL cb removes the callback. */
CCR_EXTERN ccr_error *ccr_options_set_notify(ccr_options *options, ccr_notify_cb cb, void *payload,
					     void (*free_payload)(void *));

/* How much of ccr's own log to pass on (ccr_options_set_log). */
typedef enum ccr_log_level {
	CCR_LOG_ERROR = 1,   /* a clean-up ccr could not finish */
	CCR_LOG_WARNING = 2, /* a failure ccr cleaned up after, a fallback */
	CCR_LOG_INFO = 3,    /* an operation's start, CRIU's pid, its outcome */
	CCR_LOG_DEBUG = 4    /* each decision and notification: for bug reports */
} ccr_log_level;

/* Receives one line of ccr's log, without a newline; `message` is valid
 * during the call only. Called on the thread running the operation while it
 * runs, never after it returns; calls through one options handle never
 * overlap. */
typedef void (*ccr_log_cb)(ccr_log_level level, const char *message, void *payload);

/* Sends ccr's own log (CRIU's goes to its log file) for operations run with
 * these options to `cb`: every line at `max_level` or more severe (both).
 * Without this, ccr logs nothing anywhere. `payload` and `free_payload` as
 * for ccr_options_set_notify(), held apart from the notify payload. A NULL
 * cb removes the log; CCR_ERR_INVALID_ARGUMENT for a level outside
 * CCR_LOG_ERROR..CCR_LOG_DEBUG. */
CCR_EXTERN ccr_error *ccr_options_set_log(ccr_options *options, ccr_log_level max_level, ccr_log_cb cb, void *payload,
					  void (*free_payload)(void *));

/* Whole-operation time limit in milliseconds; 0 means none (both). When it
 * runs out CRIU is killed, the container is thawed (checkpoint) or removed
 * (restore), and the call returns CCR_ERR_TIMEOUT. CRIU is killed only where
 * it waits for ccr, never with its code inside the container: up to 10 s
 * later, after which it is killed anyway and the message says in what state
 * that left the container (docs/reliability.md). */
CCR_EXTERN ccr_error *ccr_options_set_timeout_ms(ccr_options *options, uint32_t ms);

/* Cancels every operation running with these options, from any thread, and
 * makes later ones fail at once: they return CCR_ERR_CANCELED after CRIU is
 * killed (at its next safe point, as for ccr_options_set_timeout_ms()), the
 * container left running and thawed (checkpoint) or everything made for it
 * removed (restore). An operation CRIU completes before that point
 * succeeds. Cancellation cannot be undone: use new options for the next
 * operation. This is the one function that may be called on an options
 * handle while another thread is using it. */
CCR_EXTERN ccr_error *ccr_options_cancel(ccr_options *options);

/* Keeps the restored processes stopped (restore). */
CCR_EXTERN ccr_error *ccr_options_set_leave_stopped(ccr_options *options, int enable);

/* The LSM profile and mount context for the restored container (restore). */
CCR_EXTERN ccr_error *ccr_options_set_lsm_profile(ccr_options *options, const char *profile);
CCR_EXTERN ccr_error *ccr_options_set_lsm_mount_context(ccr_options *options, const char *context);

/* --- Memory transfer: pre-dump, page server, lazy pages ------------------- */

/* Tracks memory changes so a later dump writes only what changed (checkpoint).
 * Implied by ccr_options_set_pre_dump() and ccr_options_set_parent_path(). */
CCR_EXTERN ccr_error *ccr_options_set_track_mem(ccr_options *options, int enable);

/* How a pre-dump reads memory (checkpoint). */
typedef enum ccr_pre_dump_mode {
	CCR_PRE_DUMP_SPLICE = 1, /* CRIU's default: vmsplice into pipes */
	CCR_PRE_DUMP_READ = 2    /* process_vm_readv: shorter freeze */
} ccr_pre_dump_mode;
CCR_EXTERN ccr_error *ccr_options_set_pre_dump_mode(ccr_options *options, ccr_pre_dump_mode mode);

/* Sends memory pages to a CRIU page server at address:port instead of the
 * images directory (checkpoint). */
CCR_EXTERN ccr_error *ccr_options_set_page_server(ccr_options *options, const char *address, int port);

/* Sends memory pages over this connected socket instead (checkpoint). The
 * descriptor stays the caller's. */
CCR_EXTERN ccr_error *ccr_options_set_page_server_fd(ccr_options *options, int fd);

/* Lazy pages (both): on checkpoint, memory is served on demand after the
 * dump (with a page server); on restore, pages are fetched through
 * userfaultfd from a `criu lazy-pages` daemon. Needs CCR_FEATURE_LAZY_PAGES. */
CCR_EXTERN ccr_error *ccr_options_set_lazy_pages(ccr_options *options, int enable);

/* A descriptor ccr writes one '\0' byte to when CRIU is ready to serve lazy
 * pages ("status-ready"), as runc's --status-fd (checkpoint). Ownership passes
 * to ccr when this call succeeds: the next checkpoint with these options
 * closes it when it ends, whether it succeeded or failed at any step, and
 * forgets it; ccr_options_free() closes one no checkpoint used; setting
 * another closes the previous one. -1 clears it and gives the one set back
 * to the caller, unclosed. */
CCR_EXTERN ccr_error *ccr_options_set_status_fd(ccr_options *options, int fd);

/* TLS for page-server connections (both). Each path may be NULL. */
CCR_EXTERN ccr_error *ccr_options_set_tls(ccr_options *options, int enable, const char *cacert, const char *cacrl,
					  const char *cert, const char *key, int no_cn_verify);

/* --- Terminal ------------------------------------------------------------ */

/* A unix socket the restored container's terminal master is sent to with
 * SCM_RIGHTS when CRIU hands it over ("orphan-pts-master"), like runc's
 * --console-socket (restore). */
CCR_EXTERN ccr_error *ccr_options_set_console_socket(ccr_options *options, const char *path);

/* --- Network -------------------------------------------------------------- */

/* Restores established TCP connections closed instead (restore). */
CCR_EXTERN ccr_error *ccr_options_set_tcp_close(ccr_options *options, int enable);

/* Skips in-flight TCP connections (checkpoint). */
CCR_EXTERN ccr_error *ccr_options_set_tcp_skip_in_flight(ccr_options *options, int enable);

/* How CRIU locks the network while it works (checkpoint; a restore uses
 * the method the images record). The default is nftables for a container
 * with a network namespace of its own when the CRIU binary is linked with
 * libnftables and the kernel has nf_tables (the same lock without CRIU
 * exec'ing iptables-restore), else CRIU's iptables. */
typedef enum ccr_network_lock {
	CCR_NETWORK_LOCK_DEFAULT = 0, /* ccr's choice: nftables where it works, else iptables */
	CCR_NETWORK_LOCK_IPTABLES = 1,
	CCR_NETWORK_LOCK_NFTABLES = 2,
	CCR_NETWORK_LOCK_SKIP = 3 /* no lock: only when nothing can reach the container */
} ccr_network_lock;
CCR_EXTERN ccr_error *ccr_options_set_network_lock(ccr_options *options, ccr_network_lock method);

/* Adds a veth pair: `inside` in the container, `outside` on the host
 * (restore). CRIU calls this deprecated in favour of external entries. */
CCR_DEPRECATED("CRIU deprecates veth pairs: use ccr_options_add_external(\"veth[inside]:outside\")")
CCR_EXTERN ccr_error *ccr_options_add_veth_pair(ccr_options *options, const char *inside, const char *outside);

/* --- Files and mounts ------------------------------------------------------ */

/* Lets CRIU link-remap open files that were deleted (checkpoint). */
CCR_EXTERN ccr_error *ccr_options_set_link_remap(ccr_options *options, int enable);

/* The largest deleted-but-open file CRIU copies into the images, in bytes
 * (both). CRIU's default is 1 MiB. */
CCR_EXTERN ccr_error *ccr_options_set_ghost_limit(ccr_options *options, uint32_t bytes);

/* Resolves inotify watches by scanning paths, even when the kernel can
 * name them (checkpoint). */
CCR_EXTERN ccr_error *ccr_options_set_force_irmap(ccr_options *options, int enable);

/* Adds a path where CRIU looks for inotify/fanotify targets (checkpoint). */
CCR_EXTERN ccr_error *ccr_options_add_irmap_scan_path(ccr_options *options, const char *path);

/* Skips files' permission checks on restore (restore). */
CCR_EXTERN ccr_error *ccr_options_set_skip_file_rwx_check(ccr_options *options, int enable);

/* Reopens device files by path when the original is unreachable (restore).
 * Default on, as runc. */
CCR_EXTERN ccr_error *ccr_options_set_evasive_devices(ccr_options *options, int enable);

/* Adds an external mount on top of those ccr derives from the config: on
 * checkpoint `key` is the mountpoint and `value` the name recorded; on
 * restore `key` is that name and `value` the host path (both). */
CCR_EXTERN ccr_error *ccr_options_add_ext_mount(ccr_options *options, const char *key, const char *value);

/* Lets CRIU treat unknown mounts as external automatically, with their
 * sharing and master options (both). */
CCR_EXTERN ccr_error *ccr_options_set_auto_ext_mnt(ccr_options *options, int enable);
CCR_EXTERN ccr_error *ccr_options_set_ext_sharing(ccr_options *options, int enable);
CCR_EXTERN ccr_error *ccr_options_set_ext_masters(ccr_options *options, int enable);

/* Leaves a mountpoint out of the checkpoint (checkpoint). */
CCR_EXTERN ccr_error *ccr_options_add_skip_mount(ccr_options *options, const char *mountpoint);

/* Allows mounts of a file system type CRIU would refuse (both). */
CCR_EXTERN ccr_error *ccr_options_add_enable_fs(ccr_options *options, const char *fstype);

/* Restores mounts the pre-4.0 way (restore). */
CCR_EXTERN ccr_error *ccr_options_set_mntns_compat_mode(ccr_options *options, int enable);

/* Adds a generic CRIU external resource ("dev[maj/min]:name", "net[ino]:key",
 * "mnt[path]:name", "unix[ino]", ...) (both). */
CCR_EXTERN ccr_error *ccr_options_add_external(ccr_options *options, const char *resource);

/* Marks an external unix socket by inode (checkpoint). Deprecated by CRIU in
 * favour of ccr_options_add_external("unix[ino]"). */
CCR_DEPRECATED("CRIU deprecates this: use ccr_options_add_external(\"unix[ino]\")")
CCR_EXTERN ccr_error *ccr_options_add_unix_sk_inode(ccr_options *options, uint32_t inode);

/* Hands CRIU the caller's descriptor `fd` for the resource named `key` in
 * the images, instead of recreating it (restore). The descriptor stays the
 * caller's. */
CCR_EXTERN ccr_error *ccr_options_add_inherit_fd(ccr_options *options, const char *key, int fd);

/* --- Namespaces ------------------------------------------------------------- */

/* Makes the restored tree join the namespace in `ns_file` ("/proc/PID/ns/ipc",
 * a bind-mounted namespace file) instead of creating it (restore). `ns` is
 * "ipc", "uts", "time", "user", ... `extra` may be NULL. */
CCR_EXTERN ccr_error *ccr_options_add_join_ns(ccr_options *options, const char *ns, const char *ns_file,
					      const char *extra);

/* Restores sysctls CRIU cannot set without failing (restore). */
CCR_EXTERN ccr_error *ccr_options_set_weak_sysctls(ccr_options *options, int enable);

/* --- cgroups ------------------------------------------------------------------ */

/* Restores a controller's cgroups under `path` instead of where they were;
 * `controller` NULL means every controller (restore). ccr already adds the
 * container's own cgroup paths; this adds to them. */
CCR_EXTERN ccr_error *ccr_options_add_cgroup_root(ccr_options *options, const char *controller, const char *path);

/* Which cgroup properties CRIU saves into the images, as YAML text or from a
 * file (checkpoint). */
CCR_EXTERN ccr_error *ccr_options_set_cgroup_props(ccr_options *options, const char *yaml);
CCR_EXTERN ccr_error *ccr_options_set_cgroup_props_file(ccr_options *options, const char *path);

/* Dumps this controller's cgroups, and only the named ones (checkpoint). */
CCR_EXTERN ccr_error *ccr_options_add_cgroup_dump_controller(ccr_options *options, const char *controller);

/* A directory with the cgroup hierarchies already mounted, for CRIU to use
 * instead of mounting its own yard (restore). Without one, ccr gives CRIU a
 * yard of its own on checkpoint and restore: binds of the hierarchies the
 * host has mounted, so that CRIU never mounts cgroup2 afresh, which would
 * strip the host's cgroup2 mount options (nsdelegate, memory_recursiveprot).
 * Whatever the yard, ccr puts those options back if a CRIU run changed them. */
CCR_EXTERN ccr_error *ccr_options_set_cgroup_yard(ccr_options *options, const char *path);

/* The freezer cgroup to freeze the container with (checkpoint). Default: the
 * container's own, found from its pid; "" makes CRIU seize the processes with
 * ptrace alone. */
CCR_EXTERN ccr_error *ccr_options_set_freeze_cgroup(ccr_options *options, const char *path);

/* --- CRIU process ------------------------------------------------------------- */

/* CRIU's own time limit in seconds for freezing and similar waits (both). */
CCR_EXTERN ccr_error *ccr_options_set_criu_timeout(ccr_options *options, uint32_t seconds);

/* Which CPU features must match on restore, as CRIU's cpu-cap mask (both). */
CCR_EXTERN ccr_error *ccr_options_set_cpu_cap(ccr_options *options, uint32_t mask);

/* Runs CRIU without root privileges, using capabilities it was given (both). */
CCR_EXTERN ccr_error *ccr_options_set_unprivileged(ccr_options *options, int enable);

/* A unix socket descriptor CRIU stores pidfds in across pre-dumps
 * (checkpoint). The descriptor stays the caller's. */
CCR_EXTERN ccr_error *ccr_options_set_pidfd_store_fd(ccr_options *options, int fd);

/* Asks CRIU to print its statistics to its log (both). */
CCR_EXTERN ccr_error *ccr_options_set_display_stats(ccr_options *options, int enable);

/* Sends CRIU's log to its stderr instead of the log file (both); CRIU's
 * stderr is the restored container's stderr on restore, /dev/null on dump. */
CCR_EXTERN ccr_error *ccr_options_set_log_to_stderr(ccr_options *options, int enable);

/* Adds an argument of a command CRIU executes after the restore, with the
 * restored tree frozen (restore). Empty arguments are refused. */
CCR_EXTERN ccr_error *ccr_options_add_exec_cmd(ccr_options *options, const char *arg);

/* --- Archive import ------------------------------------------------------------ */

/* Limits for ccr_archive_import_with_options(); 0 keeps each default.
 * `max_entries`: entries in the archive, directories included (default
 * 131072). `max_bytes`: what one entry, and all of them together, may
 * declare (default 64 GiB). `max_ratio`: what the entries declare in all
 * may not pass this many times the archive file's size, once past 256 MiB
 * (default 1000; gzip cannot compress better than about 1032:1, so only
 * zstd or a sparse entry can pass it). Each is checked from an entry's
 * header, before its data is written. */
CCR_EXTERN ccr_error *ccr_options_set_import_limits(ccr_options *options, uint64_t max_entries, uint64_t max_bytes,
						    uint32_t max_ratio);

/* ------------------------------------------------------------------------- */
/* Operations                                                                */
/* ------------------------------------------------------------------------- */

/* What an operation produced: released with ccr_result_free(). */
typedef struct ccr_result ccr_result;

CCR_EXTERN void ccr_result_free(ccr_result *result);

/* The restored container's init pid as seen from the caller (restore), or 0.
 * The restored init is a child of the calling process (CRIU's rst_sibling):
 * the caller, or its subreaper, must reap it. */
CCR_EXTERN int ccr_result_pid(const ccr_result *result);

/* Warnings of a successful operation: what failed after CRIU had dumped or
 * restored the container, when failing the call would be a lie (the
 * container would be gone, or running unbeknown to a caller who retries).
 * Today: CRIU's statistics that could not be read (a stats-dump or
 * stats-restore that is not a regular file, or is malformed). Each is one
 * line naming what failed and why. ccr_result_warning_count() is 0 for a
 * NULL result; ccr_result_warning() returns NULL for an index past the
 * count. The strings live as long as the result. */
CCR_EXTERN size_t ccr_result_warning_count(const ccr_result *result);
CCR_EXTERN const char *ccr_result_warning(const ccr_result *result, size_t index);

/* Statistics of an operation: CRIU's own (from its stats-dump and
 * stats-restore images) and ccr's clock. Times are microseconds. */
typedef enum ccr_stat {
	/* checkpoint and pre-dump (CRIU's stats-dump) */
	CCR_STAT_FREEZING_TIME_US = 1, /* freezing the container */
	CCR_STAT_FROZEN_TIME_US = 2,   /* the container was frozen */
	CCR_STAT_MEMDUMP_TIME_US = 3,  /* collecting memory (within frozen) */
	CCR_STAT_MEMWRITE_TIME_US = 4, /* writing memory out (within memdump) */
	CCR_STAT_PAGES_SCANNED = 5,
	CCR_STAT_PAGES_SKIPPED_PARENT = 6, /* unchanged since the parent images */
	CCR_STAT_PAGES_WRITTEN = 7,
	CCR_STAT_PAGES_LAZY = 8, /* left to be served lazily */
	CCR_STAT_IRMAP_RESOLVE_US = 9,
	CCR_STAT_PAGE_PIPES = 10,
	CCR_STAT_PAGE_PIPE_BUFS = 11,
	CCR_STAT_SHPAGES_SCANNED = 12,
	CCR_STAT_SHPAGES_SKIPPED_PARENT = 13,
	CCR_STAT_SHPAGES_WRITTEN = 14,
	/* restore (CRIU's stats-restore) */
	CCR_STAT_PAGES_COMPARED = 20,
	CCR_STAT_PAGES_SKIPPED_COW = 21,
	CCR_STAT_FORKING_TIME_US = 22, /* creating the process tree */
	CCR_STAT_RESTORE_TIME_US = 23, /* the whole restore, as CRIU counts it */
	CCR_STAT_PAGES_RESTORED = 24,
	/* ccr's own clock, for every operation */
	CCR_STAT_WALL_TIME_US = 40,        /* the whole call */
	CCR_STAT_CRIU_TIME_US = 41,        /* from CRIU's start to its final answer */
	CCR_STAT_OUTSIDE_CRIU_TIME_US = 42 /* wall time minus CRIU time: ccr's overhead */
} ccr_stat;

/* Reads one statistic of the operation that produced `result`. Returns 1 and
 * sets `*out` when the statistic is known, 0 when it is not (CRIU did not
 * report it, or it belongs to the other operation). Thread-safe on a result
 * no one modifies. */
CCR_EXTERN int ccr_result_stat(uint64_t *out, const ccr_result *result, ccr_stat which);

/* Reads the statistics CRIU left in a work directory (stats-dump and
 * stats-restore, whichever exist) into a new result, for looking at a
 * checkpoint after the fact. The ccr clock statistics are not set.
 * Errors: CCR_ERR_NOT_FOUND when the directory has neither file;
 * CCR_ERR_IMAGE when one is malformed. */
CCR_EXTERN ccr_error *ccr_stats_read(ccr_result **out, const char *work_dir);

/* Checkpoints the running container `container` into the options' images
 * directory, with one CRIU process. On success the images directory holds
 * CRIU's images and descriptors.json (0600); unless leave_running was set the
 * container's processes are gone. On failure the container is left running
 * and thawed. `out` may be NULL.
 *
 * Checked before CRIU starts, each a CCR_ERR_INVALID_ARGUMENT naming what is
 * wrong: the pid is the init of a pid namespace of its own (unless
 * ccr_container_set_process_tree()); the freezer cgroup is not the root of
 * its hierarchy and does not hold the caller. CCR_ERR_UNSAFE_PATH: a
 * symlink (but a `parent` leading beside the images directory), a fifo or a
 * device in the images or work directory, where CRIU writes its images, log
 * and statistics by name.
 *
 * Once CRIU has dumped the container the call succeeds: what fails after
 * that (reading CRIU's statistics) is a warning on the result
 * (ccr_result_warning()), never an error, since the container may be gone.
 * Errors: any code above; CCR_ERR_CRIU_FAILED carries CRIU's message and log. */
CCR_EXTERN ccr_error *ccr_checkpoint(ccr_result **out, const ccr_container *container, const ccr_options *options);

/* Restores `container` from the options' images directory, with one CRIU
 * process, into the container's cgroups and rootfs. On failure no process,
 * cgroup directory or mount made for the restore is left behind, nested
 * cgroups CRIU made from the images included.
 * `out` may be NULL; ccr_result_pid() gives the new init's pid.
 *
 * What ccr verifies before CRIU starts: the images and work directories are
 * private (0700, owned by the caller, not symlinks); they hold no symlink
 * but a `parent` leading to a directory beside the images directory (each
 * parent checked the same way), and no fifo or device (CCR_ERR_UNSAFE_PATH);
 * descriptors.json is a small regular file naming pipes only; the OCI config
 * and the CRIU config file are regular files; the cgroup path has no "." or
 * "..". Mounts ccr derives from the config resolve inside the rootfs.
 * The images are checked against the container description (the OCI config
 * and these options), before anything is created; a mismatch is
 * CCR_ERR_IMAGE naming the image file and the field:
 *  - pstree.img holds one process tree (one root task, every parent a task
 *    of the tree, no pid twice, at most 65536 tasks);
 *  - namespaces (ids-<pid>.img against inventory.img root_ids, the dumping
 *    CRIU's own): a type the config creates (no path) is not the dumper's,
 *    for any task; network or pid given by path is recorded as external
 *    under the key ccr hands back (or, when the path is the caller's own
 *    namespace, the dumper's); a type the config does not list is the
 *    dumper's (time and cgroup aside); ipc, uts, user and time given by
 *    path, and types joined with ccr_options_add_join_ns(), are joined by
 *    CRIU whatever the images say. The checkpoint of a host process is
 *    refused rather than restored into the host's namespaces;
 *  - root: the root task has a mount namespace of its own (never the
 *    dumper's) whose one root mount is at "/"; CRIU mounts the container's
 *    rootfs there;
 *  - mounts (mountpoints-<id>.img): each is external with a key ccr or the
 *    caller provides (the config's binds, devices, masked files, cgroup
 *    binds; ccr_options_add_ext_mount(); CRIU's autodetected ones only with
 *    auto_ext_mnt), a bind from the rootfs or from such an external mount, a
 *    new proc, sysfs, tmpfs, devpts or mqueue, or a mount the config lists
 *    (read-only where it says "ro"): no disk, overlay, devtmpfs or bind of a
 *    host path comes from the images;
 *  - devices: device nodes in tmpfs contents, files open below /dev, and
 *    virtual terminals or serial lines are ones the config lists
 *    (linux.devices with their numbers, runc's defaults);
 *  - cgroups (cgroup.img): no ".", ".." or empty path component, nesting
 *    and count capped, and every task's cgroup and every directory CRIU
 *    makes at or below the cgroup this restore gives the container.
 *
 * What it does NOT verify, and so trusts the images for: memory, registers,
 * open files' contents and positions, signal state, and the credentials
 * the tasks had (uids, capabilities, no_new_privs, seccomp, LSM labels are
 * restored as written, not compared with the config's process section), as
 * well as cgroup properties (limits, v1 device rules), namespace sysctls and
 * a new network namespace's interfaces and rules. An image is a program
 * that runs with the capabilities it carries: restore only images whose
 * origin you trust as you would trust a binary you run as root.
 *
 * Once CRIU has restored the container the call succeeds and gives its pid:
 * what fails after that (reading CRIU's statistics) is a warning on the
 * result (ccr_result_warning()), so a caller never retries a container that
 * is in fact running. */
CCR_EXTERN ccr_error *ccr_restore(ccr_result **out, const ccr_container *container, const ccr_options *options);

/* ------------------------------------------------------------------------- */
/* CRIU queries                                                              */
/* ------------------------------------------------------------------------- */

/* CRIU's version as MAJOR * 10000 + MINOR * 100 + SUBLEVEL (4.1.1 is 40101).
 * Asked once per CRIU binary and cached for the life of the process (the
 * cache notices a replaced binary). `options` may be NULL (criu from PATH).
 * Thread-safe. */
CCR_EXTERN ccr_error *ccr_criu_version(unsigned *out, const ccr_options *options);

/* Features a CRIU operation may need. */
typedef enum ccr_feature {
	CCR_FEATURE_MEM_TRACK = 1u << 0,  /* memory tracking, for pre-dump */
	CCR_FEATURE_LAZY_PAGES = 1u << 1, /* userfaultfd lazy restore */
	CCR_FEATURE_PIDFD_STORE = 1u << 2 /* pidfd store */
} ccr_feature;

/* Asks CRIU which features this kernel and CRIU support; `*out` is a mask of
 * ccr_feature bits as CRIU answered (not as asked). `options` may be NULL. */
CCR_EXTERN ccr_error *ccr_criu_features(unsigned *out, const ccr_options *options);

/* ------------------------------------------------------------------------- */
/* The host                                                                  */
/* ------------------------------------------------------------------------- */

/* How the host's cgroup hierarchies are mounted, as ccr sees them from its
 * mount namespace. */
typedef enum ccr_cgroup_layout {
	CCR_CGROUP_LAYOUT_NONE = 0,   /* no cgroup hierarchy is mounted */
	CCR_CGROUP_LAYOUT_V1 = 1,     /* v1 hierarchies only */
	CCR_CGROUP_LAYOUT_HYBRID = 2, /* v1 hierarchies and the v2 one beside them */
	CCR_CGROUP_LAYOUT_V2 = 3      /* the v2 hierarchy alone (unified) */
} ccr_cgroup_layout;

/* The freezer ccr gives CRIU for a container, unless the caller names one
 * with ccr_options_set_freeze_cgroup(). */
typedef enum ccr_freezer_kind {
	CCR_FREEZER_NONE = 0, /* none: CRIU stops the processes with ptrace alone */
	CCR_FREEZER_V1 = 1,   /* the v1 freezer controller (freezer.state) */
	CCR_FREEZER_V2 = 2    /* the container's v2 cgroup (cgroup.freeze) */
} ccr_freezer_kind;

/* The host's cgroup layout into `*out` and, when `freezer` is not NULL, the
 * kind of freezer ccr uses on it (the v1 freezer wherever it is mounted, as
 * runc does; cgroup.freeze on a v2-only host). Reads /proc/self/mountinfo;
 * starts no process. Thread-safe.
 * Errors: CCR_ERR_INVALID_ARGUMENT (`out` is NULL), CCR_ERR_SYSTEM
 * (mountinfo unreadable). */
CCR_EXTERN ccr_error *ccr_host_cgroup_layout(ccr_cgroup_layout *out, ccr_freezer_kind *freezer);

/* --- Archive export metadata ------------------------------------------------ */

/* What ccr_archive_export() records about the container, as the engine that
 * writes the same layout would (config.dump, status.dump, spec.dump's
 * annotations). ccr is handed a bundle, not an engine's record of the
 * container, so each of these is known only when the caller says. Each
 * setter replaces what an earlier call set. Not thread-safe on one handle. */

/* The engine whose archive ccr writes: "containerd" (the default: its
 * status.dump and status files, its CRI annotations) or "cri-o" (its
 * annotations, no status files). checkpointctl names the engine from these.
 * Errors: CCR_ERR_INVALID_ARGUMENT (NULL or another name). */
CCR_EXTERN ccr_error *ccr_options_set_archive_engine(ccr_options *options, const char *engine);

/* The container's name as its engine knows it ("" or unset: the container's
 * id). Errors: CCR_ERR_INVALID_ARGUMENT (NULL). */
CCR_EXTERN ccr_error *ccr_options_set_archive_container_name(ccr_options *options, const char *name);

/* The image the container's rootfs came from: its `name` as the user asked
 * for it ("docker.io/library/busybox:latest") and its `ref`, the repository
 * digest ("docker.io/library/busybox@sha256:..."); "" for unknown.
 * Errors: CCR_ERR_INVALID_ARGUMENT (NULL). */
CCR_EXTERN ccr_error *ccr_options_set_archive_image(ccr_options *options, const char *name, const char *ref);

/* When the container was created and when it was checkpointed, in
 * nanoseconds since 1970 (UTC). 0 keeps ccr's own answer: the creation time
 * is the container's init's start while it still runs (leave_running), else
 * unknown (Go's zero time in the files); the checkpoint time is when CRIU
 * wrote the images. Errors: CCR_ERR_INVALID_ARGUMENT (a negative time, a
 * creation after the checkpoint). */
CCR_EXTERN ccr_error *ccr_options_set_archive_times(ccr_options *options, int64_t created_unix_ns,
						    int64_t checkpointed_unix_ns);

/* ------------------------------------------------------------------------- */
/* Checkpoint archives                                                       */
/* ------------------------------------------------------------------------- */

/* Checkpoint archives are the tar layout kubelet's checkpoint API, CRI-O,
 * Podman and containerd write, and checkpointctl reads:
 *   checkpoint/       CRIU's images and descriptors.json
 *   config.dump       JSON: the container's id, name, image, runtime, created
 *                     and checkpointed times
 *   spec.dump         the container's OCI config.json, with the annotations
 *                     of the engine set by ccr_options_set_archive_engine()
 *   status.dump       (containerd) JSON: the CRI status of the container
 *   status            (containerd) JSON: containerd's record of its pid and
 *                     times
 *   stats-dump        CRIU's dump statistics
 *   dump.log          CRIU's dump log
 *   rootfs-diff.tar   the container's writable layer (optional)
 *   deleted.files     JSON list of paths deleted from the layers below it
 *                     (with rootfs-diff.tar) */

/* Writes a checkpoint archive of `container` at `archive_path`, from what
 * ccr_checkpoint() left in the images directory of `options` (and its work
 * directory, for stats-dump and dump.log; each is left out when missing).
 * config.dump, status.dump and status take the container's id and what
 * ccr_options_set_archive_*() set (name, image, times); without them the
 * name is the id, the creation time is known only while the container's
 * init still runs (leave_running), and the checkpoint time is when CRIU
 * wrote the images. The files are the JSON containerd 2.4 writes, field for
 * field. spec.dump is the container's config as given (its config file, or
 * the JSON set with ccr_container_set_config_json()), with the engine's
 * annotations checkpointctl reads added when the config lacks them
 * (containerd: io.kubernetes.cri.container-name, container-type and
 * image-name; cri-o: io.container.manager, io.kubernetes.cri-o.Metadata and
 * io.kubernetes.cri-o.Created).
 *
 * `rootfs_diff_dir`, when not NULL, is the container's writable layer (an
 * overlayfs upper directory, say): its files go into rootfs-diff.tar with
 * their owners and modes, and its overlayfs whiteouts (0/0 character devices)
 * into deleted.files as paths inside the container ("/etc/motd"). NULL
 * leaves both out.
 *
 * The archive is an uncompressed tar, created 0600: written to a temporary
 * file beside `archive_path` and renamed over it once complete, so a reader
 * never sees half an archive and a failure leaves an existing file as it
 * was. Images that need a parent pre-dump are refused: an archive holds one
 * self-contained checkpoint. An `archive_path` inside the images, work or
 * rootfs diff directory (by any path: compared by device and inode) is
 * refused with CCR_ERR_INVALID_ARGUMENT: it could replace a file being
 * archived. ccr_options_cancel() stops an export between
 * files. Thread-safe with respect to other handles; `container` and
 * `options` are only read.
 * Errors: CCR_ERR_INVALID_ARGUMENT (a NULL or empty argument, no images
 * directory set, an archive path inside a directory it archives),
 * CCR_ERR_NOT_FOUND (a directory or the config is missing),
 * CCR_ERR_UNSAFE_PATH (the images or work directory is a symlink or writable
 * by others), CCR_ERR_IMAGE (no inventory.img, a file in the images directory
 * that is not a regular file or that changed while it was read),
 * CCR_ERR_UNSUPPORTED (images with a parent), CCR_ERR_CONFIG (the config is
 * not a JSON object), CCR_ERR_CANCELED, CCR_ERR_SYSTEM (a write failed;
 * ccr_error_errno() says why). */
CCR_EXTERN ccr_error *ccr_archive_export(const char *archive_path, const ccr_container *container,
					 const ccr_options *options, const char *rootfs_diff_dir);

/* Unpacks the checkpoint archive at `archive_path` (a tar, uncompressed or
 * compressed with gzip or zstd, from ccr, CRI-O, Podman or containerd) into
 * `dest_dir`, which must not exist: it is created with mode 0700, under a
 * parent that must exist. Afterwards the images directory to restore from
 * is <dest_dir>/checkpoint; the other files are stored beside it, untouched.
 *
 * `archive_path` must be a regular file: it is opened without blocking and
 * checked first, so a fifo or device is refused (CCR_ERR_INVALID_ARGUMENT),
 * never waited on.
 *
 * The unpacking does not trust the archive. Only regular files (made 0600)
 * and directories (made 0700) are unpacked, without their owners; every file
 * is created with O_CREAT | O_EXCL | O_NOFOLLOW relative to a directory made
 * by this call. The first entry that is a symlink, hard link, device, fifo
 * or socket, that has an absolute path or a ".." component, that appears
 * twice, that would put a file where a directory is (or the reverse), that
 * has more than 32 path components, that is one past 131072 entries, whose
 * declared size passes 64 GiB alone or with the entries before it, or that
 * brings what the entries declare past 1000 times the archive file's size
 * (once past 256 MiB; a few KiB of zstd or a sparse entry cannot fill a
 * disk) stops the import: `dest_dir` is removed with everything made in it,
 * and nothing outside it was touched. Sizes are refused from the entry's
 * header, before its data is read; ccr_archive_import_with_options() raises
 * the limits. Memory use grows with path depth, not entry count. The archive
 * must hold checkpoint/inventory.img.
 *
 * Nothing in the archive is acted on: spec.dump and config.dump are not read,
 * deleted.files is not applied and rootfs-diff.tar is not unpacked. But the
 * images themselves are what CRIU restores, and they are not checked here:
 * ccr_restore() checks them against the container description (one process
 * tree; the namespaces, root, mounts, devices and cgroups the config and
 * the caller provide, nothing from the host beyond those) and trusts them
 * for the rest (memory, registers, credentials and capabilities, file
 * contents): see ccr_restore(). A safe unpack does not make an archive from
 * an untrusted source safe to restore.
 * Thread-safe.
 * Errors: CCR_ERR_IMAGE (a refused entry, named, with what is wrong with it;
 * a corrupt or truncated archive; no checkpoint/inventory.img),
 * CCR_ERR_INVALID_ARGUMENT (a NULL or empty path, `dest_dir` exists),
 * CCR_ERR_INVALID_ARGUMENT also for an archive that is not a regular file,
 * CCR_ERR_NOT_FOUND (the archive or the parent of `dest_dir` is missing),
 * CCR_ERR_UNSAFE_PATH (`dest_dir` was replaced while it was being created),
 * CCR_ERR_SYSTEM (a write failed, e.g. the disk is full). */
CCR_EXTERN ccr_error *ccr_archive_import(const char *archive_path, const char *dest_dir);

/* ccr_archive_import() with `options` (may be NULL: the defaults): their
 * import limits (ccr_options_set_import_limits()), their time limit
 * (ccr_options_set_timeout_ms(): CCR_ERR_TIMEOUT) and their cancellation
 * (ccr_options_cancel() from another thread: CCR_ERR_CANCELED), checked
 * between entries and between blocks of data. A stopped import removes
 * `dest_dir` as any failed one does. Every other option is ignored. */
CCR_EXTERN ccr_error *ccr_archive_import_with_options(const char *archive_path, const char *dest_dir,
						      const ccr_options *options);

/* ------------------------------------------------------------------------- */
/* Pods                                                                      */
/* ------------------------------------------------------------------------- */

/* A pod: containers below one parent cgroup that are checkpointed at one
 * instant and restored together (docs/pod.md has the whole contract).
 * Created with ccr_pod_new(), released with ccr_pod_free(); what is added
 * is copied. Not thread-safe on one handle. */
typedef struct ccr_pod ccr_pod;

/* Creates an empty pod named `id` (letters, digits, '.', '_' and '-').
 * Errors: CCR_ERR_INVALID_ARGUMENT (a NULL out, a bad id). */
CCR_EXTERN ccr_error *ccr_pod_new(ccr_pod **out, const char *id);

/* Releases a pod. NULL is allowed. */
CCR_EXTERN void ccr_pod_free(ccr_pod *pod);

/* The pod's parent cgroup, relative to each hierarchy's root (the sandbox's
 * cgroup parent, "/kubepods/pod1234"). Required. Every container's cgroup
 * must lie below it; it is what the pod checkpoint freezes (the v1 freezer,
 * or cgroup.freeze on a v2-only host) and what the pod restore creates when
 * missing. Errors: CCR_ERR_INVALID_ARGUMENT (not absolute, "/", or with a
 * "." or ".." component). */
CCR_EXTERN ccr_error *ccr_pod_set_cgroup_parent(ccr_pod *pod, const char *path);

/* The network namespace the pod's containers share, by path (a bind mount of
 * it, as `ip netns add` or a CNI plugin makes). Each container's config must
 * name the same path for its network namespace: CRIU then treats it as
 * external. The checkpoint does not dump it; the restore joins it, or creates
 * it (loopback up) at this path when nothing is there. Both hold an iptables
 * lock (a chain CCR-POD dropping every packet) in it from the freeze until
 * the thaw, and from the first container's restore until the last's, so a
 * TCP connection between two containers of the pod never sees a reset; the
 * containers' CRIUs are told not to lock it themselves (network lock SKIP),
 * as each would unlock it while the others still work.
 * "" (the default) when there is none. A restore of a checkpoint whose pod
 * shared one needs it named here (CCR_ERR_INVALID_ARGUMENT otherwise): the
 * path is never taken from the checkpoint's pod.json, which may come from
 * elsewhere. */
CCR_EXTERN ccr_error *ccr_pod_set_network_ns(ccr_pod *pod, const char *path);

/* Adds a container: its description (its init pid for a checkpoint; bundle,
 * config, cgroup path and stdio as for ccr_restore()) and, optionally, options
 * of its own (NULL: the pod's). Of a container's own options, the pod's
 * replace the images and work directories, leave_running, pre_dump, parent
 * path, time limit, cancellation, log and notify callback, which belong to the
 * pod operation. Ids must be unique in the pod. */
CCR_EXTERN ccr_error *ccr_pod_add_container(ccr_pod *pod, const ccr_container *container, const ccr_options *options);

/* What a pod operation produced: released with ccr_pod_result_free(). */
typedef struct ccr_pod_result ccr_pod_result;

CCR_EXTERN void ccr_pod_result_free(ccr_pod_result *result);

/* The number of containers, and each one's id and result (its statistics,
 * warnings and, after a restore, its new init's pid), in the checkpoint's
 * order. The ccr_result is owned by the pod result. NULL past the end. */
CCR_EXTERN size_t ccr_pod_result_count(const ccr_pod_result *result);
CCR_EXTERN const char *ccr_pod_result_container_id(const ccr_pod_result *result, size_t index);
CCR_EXTERN const ccr_result *ccr_pod_result_container(const ccr_pod_result *result, size_t index);

/* The pod's own statistics. */
typedef enum ccr_pod_stat {
	/* Checkpoint: from the pod's freeze to its thaw (leave_running) or
	 * to the end of its kill: the pod's downtime. */
	CCR_POD_STAT_FROZEN_TIME_US = 1,
	/* The whole call. */
	CCR_POD_STAT_WALL_TIME_US = 2
} ccr_pod_stat;

/* Stores the statistic in `*out` and returns 1, or returns 0 when the
 * operation did not measure it. */
CCR_EXTERN int ccr_pod_stat_of(uint64_t *out, const ccr_pod_result *result, ccr_pod_stat which);

/* Warnings about the pod as a whole (each container's are on its result). */
CCR_EXTERN size_t ccr_pod_result_warning_count(const ccr_pod_result *result);
CCR_EXTERN const char *ccr_pod_result_warning(const ccr_pod_result *result, size_t index);

/* Checkpoints every container of the pod into `dir`, which must not exist:
 * it is created 0700 and holds pod.json (the pod's metadata, 0600) and one
 * directory per container id in the layout of a checkpoint archive
 * (<id>/checkpoint with CRIU's images, <id>/dump.log, <id>/stats-dump).
 *
 * The pod's parent cgroup is frozen once, before any CRIU starts: every
 * task of the pod stops at one instant. Each container's own freezer then
 * holds it, and the containers are dumped side by side, one CRIU each. No
 * CRIU goes past its post-dump notification (images written, tasks still
 * held) before all got there; then each kills its container (without
 * leave_running) or lets it go frozen, and once the last CRIU has ended the
 * pod is thawed (a pod or container that was paused stays paused). No task
 * of the pod runs in between.
 *
 * A failure or a cancel (ccr_options_cancel() on `options`) in any container
 * before every CRIU reached post-dump makes every other CRIU fail its next
 * notification and undo its work; every container is then left running (or
 * paused, as it was) and `dir` is removed with everything in it. The error
 * is the first container's that failed for a reason of its own, prefixed
 * with the pod. docs/pod.md has every case.
 *
 * The notify callback of `options` hears every container's notifications,
 * one at a time, from threads of ccr's (ccr_notify_container() names the
 * container). Pre-dump is refused (CCR_ERR_UNSUPPORTED).
 * Errors: as ccr_checkpoint(), and CCR_ERR_INVALID_ARGUMENT (no container,
 * no cgroup parent, `dir` exists, a container whose freezer is not below
 * the pod's), CCR_ERR_NOT_FOUND (the pod's cgroup or network namespace). */
CCR_EXTERN ccr_error *ccr_pod_checkpoint(ccr_pod_result **out, const ccr_pod *pod, const char *dir,
					 const ccr_options *options);

/* Restores the pod checkpointed in `dir`. Containers are matched to the
 * checkpoint's by id: every one must be there, and no other. The pod's
 * parent cgroup is created where missing, its network namespace joined or
 * created, then every container is restored side by side as ccr_restore()
 * would (its images verified against its description), each CRIU held just
 * before its tasks resume until all are restored, so the pod resumes at
 * once. Each container's freezer is then set as the checkpoint found it
 * (running, or paused), and the pod's cgroup frozen again if the pod was
 * paused (its tasks may run for a moment before that).
 *
 * On any failure nothing of the pod is left: containers already restored
 * are killed, and the cgroups and network namespace this call created are
 * removed. Errors: as ccr_restore(), and CCR_ERR_NOT_FOUND or
 * CCR_ERR_IMAGE (no or bad pod.json), CCR_ERR_INVALID_ARGUMENT (a container
 * missing on either side). */
CCR_EXTERN ccr_error *ccr_pod_restore(ccr_pod_result **out, const ccr_pod *pod, const char *dir,
				      const ccr_options *options);

/* In a pod operation's notify callback: the id of the container the
 * notification is about. NULL outside pod operations. */
CCR_EXTERN const char *ccr_notify_container(const ccr_notify *notify);

/* Writes the pod checkpoint in `pod_dir` (what ccr_pod_checkpoint() wrote)
 * as one uncompressed tar at `archive_path`: pod.json, and for each container
 * it lists <id>/ with dump.log and stats-dump and <id>/checkpoint/ with
 * CRIU's images; each container's part is the layout of a container archive.
 * Only regular files and directories are archived (anything else is
 * CCR_ERR_IMAGE). The archive is created 0600 and appears only once
 * complete. ccr_options_cancel() on `options` stops it between files.
 * Errors: CCR_ERR_INVALID_ARGUMENT (empty paths, the archive inside
 * `pod_dir`), CCR_ERR_NOT_FOUND (no directory or pod.json), CCR_ERR_IMAGE,
 * CCR_ERR_UNSAFE_PATH, CCR_ERR_CANCELED, CCR_ERR_SYSTEM. */
CCR_EXTERN ccr_error *ccr_pod_archive_export(const char *archive_path, const char *pod_dir, const ccr_options *options);

/* Unpacks a pod archive (from ccr_pod_archive_export(), possibly from
 * elsewhere: it is not trusted) into `dest_dir`, which must not exist, under
 * the rules of ccr_archive_import() and the limits, time limit and
 * cancellation of `options` (may be NULL: the defaults). The result must
 * hold pod.json and, for every container it lists, <id>/checkpoint/
 * inventory.img (CCR_ERR_IMAGE otherwise); on any failure `dest_dir` is
 * removed. Nothing in pod.json is acted on: restore it with
 * ccr_pod_restore(), whose cgroup parent and network namespace are the
 * caller's, never the archive's. */
CCR_EXTERN ccr_error *ccr_pod_archive_import(const char *archive_path, const char *dest_dir,
					     const ccr_options *options);

#ifdef __cplusplus
}
#endif

#endif /* CCR_H */
