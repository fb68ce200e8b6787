// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <stdlib.h>
#include <ccr/ccr.h>
*/
import "C"

import (
	"strings"
	"syscall"
)

// Code is libccr's stable error code (ccr_error_code). Values never change;
// new ones may be added.
type Code int

// The codes of ccr.h, in its order.
const (
	CodeOK              Code = C.CCR_OK
	CodeInvalidArgument Code = C.CCR_ERR_INVALID_ARGUMENT
	CodeNoMemory        Code = C.CCR_ERR_NO_MEMORY
	CodeSystem          Code = C.CCR_ERR_SYSTEM
	CodeNotFound        Code = C.CCR_ERR_NOT_FOUND
	CodeConfig          Code = C.CCR_ERR_CONFIG
	CodeUnsafePath      Code = C.CCR_ERR_UNSAFE_PATH
	CodeCriuStart       Code = C.CCR_ERR_CRIU_START
	CodeCriuFailed      Code = C.CCR_ERR_CRIU_FAILED
	CodeCriuDied        Code = C.CCR_ERR_CRIU_DIED
	CodeProtocol        Code = C.CCR_ERR_PROTOCOL
	CodeUnsupported     Code = C.CCR_ERR_UNSUPPORTED
	CodeCallback        Code = C.CCR_ERR_CALLBACK
	CodeTimeout         Code = C.CCR_ERR_TIMEOUT
	CodeCanceled        Code = C.CCR_ERR_CANCELED
	CodeImage           Code = C.CCR_ERR_IMAGE
	CodeInternal        Code = C.CCR_ERR_INTERNAL
)

// String is libccr's short name for the code ("criu-failed"), "unknown" for
// codes it does not know.
func (c Code) String() string { return C.GoString(C.ccr_error_code_name(C.ccr_error_code(c))) }

// Error is a failed libccr call. Every error this package returns is an
// *Error, so errors.As(err, &e) always works; compare codes with errors.Is
// and the Err* sentinels.
type Error struct {
	// Code is the stable code; the sentinels match on it.
	Code Code
	// Errno is the system error behind the failure, or 0.
	// errors.Is(err, os.ErrNotExist) and friends see it through Unwrap.
	Errno syscall.Errno
	// Message is libccr's one-line description.
	Message string
	// CriuErrno is CRIU's own cr_errno, or 0.
	CriuErrno syscall.Errno
	// CriuMessage is CRIU's own cr_errmsg, or "" when CRIU sent none.
	CriuMessage string
	// LogPath is CRIU's log of the failed operation, or "".
	LogPath string
	// LogExcerpt is the lines of CRIU's log around each "Error" line, or "".
	LogExcerpt string
	// Err is what caused the error on the Go side, or nil: the error a
	// notify callback returned (Code is CodeCallback) or the context's
	// error (Code is CodeCanceled).
	Err error

	sentinel bool
}

// Error is Message, followed by the Go cause when there is one.
func (e *Error) Error() string {
	if e.sentinel {
		return "ccr: " + e.Code.String()
	}
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Message == "" {
		b.WriteString("ccr: " + e.Code.String())
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap gives the Go cause (callback error, context error) and the errno,
// those that are set.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Err != nil {
		out = append(out, e.Err)
	}
	if e.Errno != 0 {
		out = append(out, e.Errno)
	}
	return out
}

// Is reports whether target is the sentinel of e's code, so that
// errors.Is(err, ccr.ErrNotFound) holds for every not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.sentinel && t.Code == e.Code
}

func sentinel(c Code) *Error { return &Error{Code: c, sentinel: true} }

// Sentinels, one per code, for errors.Is. They are never returned
// themselves.
var (
	ErrInvalidArgument = sentinel(CodeInvalidArgument)
	ErrNoMemory        = sentinel(CodeNoMemory)
	ErrSystem          = sentinel(CodeSystem)
	ErrNotFound        = sentinel(CodeNotFound)
	ErrConfig          = sentinel(CodeConfig)
	ErrUnsafePath      = sentinel(CodeUnsafePath)
	ErrCriuStart       = sentinel(CodeCriuStart)
	ErrCriuFailed      = sentinel(CodeCriuFailed)
	ErrCriuDied        = sentinel(CodeCriuDied)
	ErrProtocol        = sentinel(CodeProtocol)
	ErrUnsupported     = sentinel(CodeUnsupported)
	ErrCallback        = sentinel(CodeCallback)
	ErrTimeout         = sentinel(CodeTimeout)
	ErrCanceled        = sentinel(CodeCanceled)
	ErrImage           = sentinel(CodeImage)
	ErrInternal        = sentinel(CodeInternal)
)

// takeError copies a C error into an *Error and frees it. NULL gives nil
// (as an untyped nil error, never a nil *Error in an interface).
func takeError(cerr *C.ccr_error) error {
	if cerr == nil {
		return nil
	}
	defer C.ccr_error_free(cerr)
	return &Error{
		Code:        Code(C.ccr_error_code_of(cerr)),
		Errno:       syscall.Errno(C.ccr_error_errno(cerr)),
		Message:     goString(C.ccr_error_message(cerr)),
		CriuErrno:   syscall.Errno(C.ccr_error_criu_errno(cerr)),
		CriuMessage: goString(C.ccr_error_criu_message(cerr)),
		LogPath:     goString(C.ccr_error_log_path(cerr)),
		LogExcerpt:  goString(C.ccr_error_log_excerpt(cerr)),
	}
}

// goString is C.GoString, with NULL as "".
func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}
