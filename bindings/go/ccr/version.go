// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#cgo pkg-config: ccr
#include <ccr/ccr.h>

// Compile-time ABI check: this binding is written against the 0.x ABI.
// A header of another major version changes what the C types mean.
#if !defined(CCR_VERSION_MAJOR) || CCR_VERSION_MAJOR != 0
#error "bindings/go is written for the ccr 0.x C ABI (CCR_VERSION_MAJOR 0)"
#endif
#if CCR_VERSION_NUMBER < 100
#error "bindings/go needs ccr.h 0.1.0 or newer"
#endif

static unsigned ccr_go_header_version(void) { return CCR_VERSION_NUMBER; }
*/
import "C"

import (
	"fmt"
	"sync"
)

// HeaderVersion is the version of the ccr.h this package was compiled
// against, as MAJOR*10000 + MINOR*100 + PATCH.
var HeaderVersion = int(C.ccr_go_header_version())

// LibraryVersion is the version of the libccr loaded at run time, in the
// same form as HeaderVersion.
func LibraryVersion() int { return int(C.ccr_version()) }

// LibraryVersionString is the loaded libccr's "MAJOR.MINOR.PATCH".
func LibraryVersionString() string { return C.GoString(C.ccr_version_string()) }

var (
	versionOnce sync.Once
	versionErr  error
)

// checkLibraryVersion fails when the loaded libccr is older than the header
// this package was built with (it may lack functions or codes the binding
// uses) or of another major version. Every operation calls it first.
func checkLibraryVersion() error {
	versionOnce.Do(func() {
		lib, hdr := LibraryVersion(), HeaderVersion
		switch {
		case lib/10000 != hdr/10000:
			versionErr = &Error{Code: CodeUnsupported, Message: fmt.Sprintf(
				"libccr %s is of another major version than the ccr.h (%d) this binding was built with",
				LibraryVersionString(), hdr)}
		case lib < hdr:
			versionErr = &Error{Code: CodeUnsupported, Message: fmt.Sprintf(
				"libccr %s is older than the ccr.h (%d) this binding was built with; install a newer libccr",
				LibraryVersionString(), hdr)}
		}
	})
	return versionErr
}
