/* SPDX-License-Identifier: Apache-2.0 */
// The C side of the notify trampoline: libccr calls
// ccr_go_notify_trampoline, which hands the notification and the
// runtime/cgo.Handle (the payload) to the exported Go function ccrGoNotify.
// Kept in a .c file because a Go file with //export may only declare C
// functions in its preamble.
#include <stdint.h>

#include <ccr/ccr.h>

#include "_cgo_export.h"

int ccr_go_notify_trampoline(const ccr_notify *notify, void *payload)
{
	return ccrGoNotify((ccr_notify *)notify, (uintptr_t)payload);
}

// The handle travels as the payload pointer; the Go side deletes it after
// the options are freed, so no finalizer is needed.
ccr_error *ccr_go_set_notify(ccr_options *options, uintptr_t handle)
{
	return ccr_options_set_notify(options, ccr_go_notify_trampoline, (void *)handle, NULL);
}
