// SPDX-License-Identifier: Apache-2.0

package ccr

/*
#include <stdint.h>
#include <ccr/ccr.h>

extern ccr_error *ccr_go_set_log(ccr_options *options, ccr_log_level max_level, uintptr_t handle);
*/
import "C"

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/cgo"
)

// LogLevel is the severity of one of ccr's own log lines (ccr_log_level).
// Lower is more severe. Not to be confused with Options.LogLevel, CRIU's
// log level.
type LogLevel int

const (
	LogError   LogLevel = C.CCR_LOG_ERROR   // a clean-up ccr could not finish
	LogWarning LogLevel = C.CCR_LOG_WARNING // a failure ccr cleaned up after, a fallback
	LogInfo    LogLevel = C.CCR_LOG_INFO    // an operation's start, CRIU's pid, its outcome
	LogDebug   LogLevel = C.CCR_LOG_DEBUG   // each decision and notification: for bug reports
)

// String is "error", "warning", "info" or "debug"; "LogLevel(N)" otherwise.
func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "error"
	case LogWarning:
		return "warning"
	case LogInfo:
		return "info"
	case LogDebug:
		return "debug"
	}
	return fmt.Sprintf("LogLevel(%d)", int(l))
}

func (l LogLevel) valid() bool { return l >= LogError && l <= LogDebug }

// SlogLevel is the log/slog level of l: slog.LevelError, LevelWarn,
// LevelInfo or LevelDebug (and LevelDebug for anything else).
func (l LogLevel) SlogLevel() slog.Level {
	switch l {
	case LogError:
		return slog.LevelError
	case LogWarning:
		return slog.LevelWarn
	case LogInfo:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// LogFunc receives ccr's own log lines (not CRIU's, which go to CRIU's log
// file): one call per line, without a trailing newline, in order, on the
// goroutine (and locked OS thread) that called Checkpoint or Restore, and
// only while that call runs. Calls never overlap for one operation.
//
// It cannot fail the operation, and it runs while ccr works (some lines
// while CRIU waits, or with the container frozen), so it should be quick.
//
// A panic in it never reaches C: it is recovered, the operation is told to
// stop (ccr_options_cancel) and later lines are dropped; once every C
// resource is released the panic is raised again with the same value from
// Checkpoint or Restore, as for a panic in a NotifyFunc. A panic on the
// very last line of a successful operation comes too late to stop it: it
// is raised all the same, so after a Restore the restored container then
// runs with no Result to tell its pid.
type LogFunc func(level LogLevel, message string)

// LogToSlog returns a LogFunc that writes each line to logger
// (slog.Default() when nil) at the line's SlogLevel. The handler filters
// again by its own level; set LogMaxLevel: LogDebug to leave the choice to
// it.
func LogToSlog(logger *slog.Logger) LogFunc {
	if logger == nil {
		logger = slog.Default()
	}
	return func(level LogLevel, message string) {
		logger.Log(context.Background(), level.SlogLevel(), message)
	}
}

// checkLogLevel refuses a LogMaxLevel that is neither 0 (the default) nor
// one of the levels.
func checkLogLevel(l LogLevel) error {
	if l == 0 || l.valid() {
		return nil
	}
	return &Error{Code: CodeInvalidArgument,
		Message: fmt.Sprintf("LogMaxLevel %d is not one of LogError (1) to LogDebug (4)", int(l))}
}

// installLog makes libccr call ccrGoLog with h for every line up to level
// (0: LogInfo; Options.apply has refused other values). h must outlive
// the options.
func (st *callState) installLog(s *setter, level LogLevel, h cgo.Handle) {
	if level == 0 {
		level = LogInfo
	}
	s.call(func() *C.ccr_error {
		return C.ccr_go_set_log(st.opts, C.ccr_log_level(level), C.uintptr_t(h))
	})
}

//export ccrGoLog
func ccrGoLog(level C.int, message *C.char, payload C.uintptr_t) {
	var st *callState
	// Nothing may unwind into C. libccr cannot be told "stop" through the
	// return value here, so a panic cancels the options instead; it is
	// raised again once the C call has returned.
	defer func() {
		if r := recover(); r != nil && st != nil {
			if !st.panicked {
				st.panicked, st.panicValue = true, r
			}
			// ccr_options_cancel may be called from any thread, also
			// from inside a callback; it does not log.
			C.ccr_error_free(C.ccr_options_cancel(st.opts))
		}
	}()
	st = cgo.Handle(payload).Value().(*callState)
	if st.log == nil || st.panicked {
		return
	}
	st.log(LogLevel(level), goString(message))
}
