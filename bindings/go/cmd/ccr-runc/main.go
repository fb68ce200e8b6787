// SPDX-License-Identifier: Apache-2.0

// Command ccr-runc is a runc-compatible binary that checkpoints and
// restores with ccr.
//
// Point containerd's runc shim at it (the runtime option BinaryName, or
// `ctr run --runc-binary`) and every command goes to the real runc
// unchanged (ccr-runc execs it: $CCR_RUNC_REAL, else `runc` from PATH),
// except `checkpoint` and `restore`, which ccr-runc performs itself through
// libccr with the same flags and the same images (descriptors.json,
// external mount and namespace keys) as runc's. After a checkpoint the
// container's processes are gone unless --leave-running or --pre-dump, and
// runc reads the container as stopped (`runc delete` works). After a
// restore ccr-runc records the restored init in runc's state.json, written
// with runc's own libcontainer types, so runc state/exec/kill/pause/resume/
// delete work on it. Images of either tool restore with the other.
//
// Environment:
//
//	CCR_RUNC_REAL  the real runc (default: `runc` from PATH, never ccr-runc itself)
//	CCR_RUNC_LOG   a file ccr-runc appends one line to per checkpoint or restore it performs
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	inv := parseInvocation(args)
	var command func(invocation, *logger) error
	switch inv.command {
	case "checkpoint":
		command = checkpointCommand
	case "restore":
		command = restoreCommand
	}
	if command == nil || inv.global.help || inv.global.version {
		passThrough(args)
		return
	}
	lg := openLog(inv.global)
	if err := command(inv, lg); err != nil {
		if errors.Is(err, errPassThrough) {
			passThrough(args)
			return
		}
		lg.fatal(err)
	}
}

// errPassThrough asks main to hand the command line to runc (checkpoint --help).
var errPassThrough = errors.New("pass through to runc")

// passThrough replaces this process with the real runc, with the same
// arguments, environment and descriptors (stdio, --status-fd,
// --console-socket and --preserve-fds descriptors stay where they are).
func passThrough(args []string) {
	runc, err := realRunc()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ccr-runc:", err)
		os.Exit(1)
	}
	err = syscall.Exec(runc, append([]string{runc}, args...), os.Environ())
	fmt.Fprintf(os.Stderr, "ccr-runc: exec %s: %v\n", runc, err)
	os.Exit(1)
}

// realRunc finds the runc to delegate to: $CCR_RUNC_REAL, else the first
// `runc` in PATH that is not this program (ccr-runc may be installed as
// runc).
func realRunc() (string, error) {
	self, _ := os.Executable()
	if p := os.Getenv("CCR_RUNC_REAL"); p != "" {
		if sameFile(p, self) {
			return "", fmt.Errorf("CCR_RUNC_REAL=%s is ccr-runc itself, not runc", p)
		}
		return p, nil
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, "runc")
		if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			continue
		}
		if sameFile(p, self) {
			continue
		}
		return p, nil
	}
	if p, err := exec.LookPath("runc"); err == nil && !sameFile(p, self) {
		return p, nil
	}
	return "", errors.New("cannot find the real runc: put it in PATH or set CCR_RUNC_REAL")
}

func sameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// logger writes runc's log lines: to --log (or stderr) in --log-format, as
// logrus does for runc, so containerd's shim finds errors where it looks
// for runc's (the last "error" entry of its log.json).
type logger struct {
	out      *os.File
	toStderr bool
	json     bool
	debug    bool
}

func openLog(g globalOptions) *logger {
	lg := &logger{out: os.Stderr, toStderr: true, json: g.logFormat == "json", debug: g.debug}
	if g.log != "" && g.log != "/dev/stderr" {
		f, err := os.OpenFile(g.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ccr-runc: cannot open log file %s: %v\n", g.log, err)
		} else {
			lg.out, lg.toStderr = f, false
		}
	}
	return lg
}

func (l *logger) entry(level, msg string) {
	now := time.Now().Format(time.RFC3339Nano)
	var line string
	if l.json {
		line = fmt.Sprintf(`{"level":%s,"msg":%s,"time":%s}`, strconv.Quote(level), jsonString(msg), strconv.Quote(now))
	} else {
		line = fmt.Sprintf("time=%q level=%s msg=%q", now, level, msg)
	}
	fmt.Fprintln(l.out, line)
}

// info records what ccr-runc did: in the log file, or on stderr only with
// --debug (runc prints nothing on a successful checkpoint).
func (l *logger) info(msg string) {
	if !l.toStderr || l.debug {
		l.entry("info", msg)
	}
}

// fatal is runc's fatal(): the error goes to the log and, when the log is
// not stderr, to stderr too; exit status 1.
func (l *logger) fatal(err error) {
	msg := err.Error()
	l.entry("error", firstLine(msg))
	if !l.toStderr {
		fmt.Fprintln(os.Stderr, msg)
	} else if rest := strings.TrimPrefix(msg, firstLine(msg)); rest != "" {
		fmt.Fprintln(os.Stderr, strings.TrimPrefix(rest, "\n")) // CRIU's log excerpt
	}
	os.Exit(1)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// jsonString quotes s as a JSON string (strconv.Quote is Go syntax, which
// JSON does not always read: \x escapes).
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// marker appends one line to $CCR_RUNC_LOG, if set: a trace of every
// checkpoint and restore ccr-runc performed, for tests and operators.
func marker(msg string) {
	p := os.Getenv("CCR_RUNC_LOG")
	if p == "" {
		return
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s ccr-runc[%d]: %s\n", time.Now().Format(time.RFC3339Nano), os.Getpid(), msg)
}
