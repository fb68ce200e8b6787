// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <stdlib.h>
#include <ccr/ccr.h>
*/
import "C"

import "unsafe"

// setter runs C setters one after the other and keeps the first error;
// once one failed the rest are skipped. Every C string it makes is freed
// before the setter call returns (libccr copies what it keeps).
type setter struct{ err error }

func (s *setter) call(f func() *C.ccr_error) {
	if s.err == nil {
		s.err = takeError(f())
	}
}

// fail records a Go-side error (an option the binding itself rejects).
func (s *setter) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// str calls f with v as a C string when v is not empty.
func (s *setter) str(v string, f func(*C.char) *C.ccr_error) {
	if v == "" {
		return
	}
	s.call(func() *C.ccr_error {
		cs := C.CString(v)
		defer C.free(unsafe.Pointer(cs))
		return f(cs)
	})
}

// arg calls f with v as a C string, also when v is empty (libccr then
// says what is wrong with it).
func (s *setter) arg(v string, f func(*C.char) *C.ccr_error) {
	s.call(func() *C.ccr_error {
		cs := C.CString(v)
		defer C.free(unsafe.Pointer(cs))
		return f(cs)
	})
}

// str2 calls f with two C strings; an empty one is passed as NULL.
func (s *setter) str2(a, b string, f func(*C.char, *C.char) *C.ccr_error) {
	s.call(func() *C.ccr_error {
		ca, cb := cStringOrNil(a), cStringOrNil(b)
		defer freeCString(ca)
		defer freeCString(cb)
		return f(ca, cb)
	})
}

// flag calls f with 1 when on is true; false keeps libccr's default.
func (s *setter) flag(on bool, f func(C.int) *C.ccr_error) {
	if on {
		s.call(func() *C.ccr_error { return f(1) })
	}
}

// optFlag calls f when b is set, with its value.
func (s *setter) optFlag(b *bool, f func(C.int) *C.ccr_error) {
	if b != nil {
		s.call(func() *C.ccr_error { return f(cBool(*b)) })
	}
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// cStringOrNil is C.CString(s), or NULL for "".
func cStringOrNil(s string) *C.char {
	if s == "" {
		return nil
	}
	return C.CString(s)
}

func freeCString(s *C.char) {
	if s != nil {
		C.free(unsafe.Pointer(s))
	}
}
