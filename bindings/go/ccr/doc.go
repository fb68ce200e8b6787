// SPDX-License-Identifier: Apache-2.0

// Package ccr checkpoints and restores runc containers with CRIU through
// libccr's stable C ABI (ccr.h).
//
// The package is a thin cgo layer: every call builds the C handles
// (ccr_container, ccr_options) from plain Go values, runs one C operation on a
// locked OS thread and frees everything before it returns. Nothing C-owned
// escapes to the caller.
//
// Build requirements: libccr installed where pkg-config finds it
// (`pkg-config --exists ccr`), and cgo enabled.
//
// Errors are *Error values carrying libccr's stable code; compare them with
// errors.Is against the Err* sentinels (errors.Is(err, ccr.ErrCriuFailed)).
// An error returned by a notify callback, and the context's error on
// cancellation, are wrapped so errors.Is finds them too.
//
// Options.Log receives libccr's own log lines (LogFunc, LogLevel;
// LogToSlog forwards them to a *slog.Logger).
//
// Result.Stats holds an operation's statistics (ReadStats reads them back
// from a directory later); ExportArchive and ImportArchive write and unpack
// Kubernetes-style checkpoint archives.
package ccr
