/* SPDX-License-Identifier: Apache-2.0 */
// The C side of the log trampoline: libccr calls ccr_go_log_trampoline,
// which hands the line and the runtime/cgo.Handle (the payload) to the
// exported Go function ccrGoLog. Kept in a .c file because a Go file with
// //export may only declare C functions in its preamble.
#include <stdint.h>

#include <ccr/ccr.h>

#include "_cgo_export.h"

static void ccr_go_log_trampoline(ccr_log_level level, const char *message, void *payload)
{
	ccrGoLog((int)level, (char *)message, (uintptr_t)payload);
}

// The handle is the operation's, the one the notify trampoline gets too
// (libccr keeps the two payloads apart); the Go side deletes it after the
// options are freed, so no finalizer is needed.
ccr_error *ccr_go_set_log(ccr_options *options, ccr_log_level max_level, uintptr_t handle)
{
	return ccr_options_set_log(options, max_level, ccr_go_log_trampoline, (void *)handle, NULL);
}
