#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shows that scripts/check_options.py fails on each kind of drift it exists
# to catch: each case edits a fresh copy of the files it reads (one change),
# and the check must fail naming it. The unchanged copy must pass.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
check=$top/scripts/check_options.py
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
files=(capi/options.json include/ccr/ccr.h tests/unit/criu_opts_coverage_test.cpp docs/options.md
	bindings/python/src/libccr/_option_values.py bindings/python/src/libccr/options.py
	bindings/rust/libccr/src/options.rs)
mapfile -t go_files < <(cd "$top" && ls bindings/go/ccr/*.go)

# fresh: a new copy of every file the check reads, in $dir/root.
fresh() {
	rm -rf "$dir/root"
	mkdir -p "$dir/root"
	(cd "$top" && cp --parents "${files[@]}" "${go_files[@]}" "$dir/root/")
}
# edit FILE OLD NEW: replaces the first OLD in FILE (of the copy) by NEW;
# fails when OLD is not there, so no case can pass by editing nothing.
edit() {
	python3 - "$dir/root/$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if old not in text:
    sys.exit(f"selftest: {old!r} is not in {path}: the case is stale")
open(path, "w").write(text.replace(old, new, 1))
PY
}
# expect NAME WORDS: the check fails on the copy, with WORDS in its output.
expect() {
	local out rc=0
	out=$(python3 "$check" --root "$dir/root" 2>&1) || rc=$?
	if [ $rc -eq 0 ]; then
		echo "FAIL: $1: the check passed; it should fail with '$2'" >&2
		exit 1
	fi
	if ! grep -qF -- "$2" <<<"$out"; then
		echo "FAIL: $1: the output lacks '$2':" >&2
		echo "$out" >&2
		exit 1
	fi
	echo "ok: $1 ($2)"
}

fresh
python3 "$check" --root "$dir/root" >/dev/null
echo "ok: the unchanged copy passes"

# The bug of issue #17: Go's CgroupProps among the restore options, where a
# checkpoint cannot set it and a restore ignores it.
fresh
edit bindings/go/ccr/options.go $'\tCgroupProps, CgroupPropsFile string\n' ''
edit bindings/go/ccr/options.go $'\tCgroupYard string\n' $'\tCgroupYard string\n\t// (set_cgroup_props, set_cgroup_props_file)\n\tCgroupProps, CgroupPropsFile string\n'
expect "Go: cgroup props moved to RestoreOptions" "no field CheckpointOptions.CgroupProps"
# ... and with the table moved along with it: the operation rule catches it.
edit capi/options.json '{"struct": "CheckpointOptions", "field": "CgroupProps",' '{"struct": "RestoreOptions", "field": "CgroupProps",'
expect "Go and the table: cgroup props in RestoreOptions" "RestoreOptions.CgroupProps (ccr_options_set_cgroup_props) applies to ['checkpoint']: it belongs in CheckpointOptions"
# The docs of the same bug, in Python and Rust.
fresh
edit bindings/python/src/libccr/options.py 'cgroup_props_file: the same, from a file (checkpoint).' 'cgroup_props_file: the same, from a file (restore).'
expect "Python doc says restore" "the Options doc of cgroup_props_file says (restore)"
fresh
edit bindings/rust/libccr/src/options.rs '/// (checkpoint): CRIU reads them while dumping only.' '/// (restore).'
expect "Rust doc says restore" "says (restore), the table's operations ['checkpoint'] say (checkpoint)"

# The header: an argument type, an operation tag, a doc, a setter not in the table.
fresh
edit include/ccr/ccr.h 'ccr_options_set_ghost_limit(ccr_options *options, uint32_t bytes)' 'ccr_options_set_ghost_limit(ccr_options *options, int bytes)'
expect "header: argument type" "ccr_options_set_ghost_limit takes (int bytes), the table says (uint32_t bytes)"
fresh
edit include/ccr/ccr.h '/* Skips in-flight TCP connections (checkpoint). */' '/* Skips in-flight TCP connections (both). */'
expect "header: operation tag" "ccr_options_set_tcp_skip_in_flight's doc says (both)"
fresh
edit include/ccr/ccr.h '/* Allows external unix sockets (both). */' '/* Allows external unix sockets of any kind (both). */'
expect "header: doc" "ccr_options_set_ext_unix_sk's doc begins 'Allows external unix sockets of any kind.'"
fresh
edit include/ccr/ccr.h 'CCR_EXTERN ccr_error *ccr_options_set_weak_sysctls' $'CCR_EXTERN ccr_error *ccr_options_set_new_thing(ccr_options *options, int enable);\nCCR_EXTERN ccr_error *ccr_options_set_weak_sysctls'
expect "header: a setter with no row" "ccr_options_set_new_thing is in no row of capi/options.json"

# The core: the table says an option applies where its setter changes nothing.
fresh
edit capi/options.json $'"ccr_options_set_tcp_close", "args": "int enable"}],\n   "operations": ["restore"]' $'"ccr_options_set_tcp_close", "args": "int enable"}],\n   "operations": ["checkpoint", "restore"]'
expect "table: operation the core does not read" "tcp_close applies to ['checkpoint', 'restore'], but its setter changes the restore request(s)"
fresh
edit capi/options.json '"criu_fields": ["link_remap"]' '"criu_fields": ["force_irmap"]'
expect "table: wrong criu_opts field" "ccr_options_set_link_remap reaches criu_opts.link_remap"

# docs/options.md: the generated section, the criu_opts table.
fresh
edit docs/options.md '| Allows external unix sockets. |' '| Allows unix sockets. |'
expect "docs: generated section edited" "the setter table differs from capi/options.json"
fresh
edit docs/options.md '| `ccr_options_set_link_remap` | dump |' '| `ccr_options_set_link_remap` | both |'
expect "docs: sent on the wrong request" "row link_remap is sent on 'both'"

# Python: an annotation, a converter, a keyword with no row.
fresh
edit bindings/python/src/libccr/options.py 'ghost_limit: Optional[int] = None,' 'ghost_limit: Optional[str] = None,'
expect "Python: annotation" "Options keyword ghost_limit is Optional[str], the table says Optional[int]"
fresh
edit bindings/python/src/libccr/_option_values.py '"ghost_limit": ("ccr_options_set_ghost_limit", _u32),' '"ghost_limit": ("ccr_options_set_ghost_limit", _int),'
expect "Python: converter" "_SETTERS['ghost_limit'] is ('ccr_options_set_ghost_limit', '_int')"
fresh
edit bindings/python/src/libccr/options.py 'ghost_limit: Optional[int] = None,' $'ghost_limit: Optional[int] = None,\n        ghost_limit_2: Optional[int] = None,'
expect "Python: keyword with no row" "Options keyword ghost_limit_2 is in no row"

# Go: a type, a setter the doc does not name, a field with no row.
fresh
edit bindings/go/ccr/options.go $'\tGhostLimit uint32\n' $'\tGhostLimit uint64\n'
expect "Go: type" "Options.GhostLimit is uint64, the table says uint32"
fresh
edit bindings/go/ccr/options.go '(set_network_lock)' '(set_networking)'
expect "Go: doc names another setter" "the doc of CheckpointOptions.NetworkLock does not name its setter (set_network_lock)"
fresh
edit bindings/go/ccr/options.go $'\tLeaveStopped bool\n' $'\tLeaveStopped bool\n\tLeaveAsleep  bool\n'
expect "Go: field with no row" "field RestoreOptions.LeaveAsleep is in no row"

# Rust: a parameter type, a macro row in the wrong macro, a method with no row.
fresh
edit bindings/rust/libccr/src/options.rs 'pub fn page_server(self, address: &str, port: u16)' 'pub fn page_server(self, address: &str, port: u32)'
expect "Rust: parameter type" "Options::page_server takes (&str, u32), the table says (&str, u16)"
fresh
edit bindings/rust/libccr/src/options.rs $'        /// Keeps the restored processes stopped (restore).\n        leave_stopped => ccr_options_set_leave_stopped;\n' ''
edit bindings/rust/libccr/src/options.rs '    u32_setters! {' $'    u32_setters! {\n        /// Keeps the restored processes stopped (restore).\n        leave_stopped => ccr_options_set_leave_stopped;'
expect "Rust: made by the wrong macro" "Options::leave_stopped takes (u32_setters), the table says (flag_setters)"
fresh
edit bindings/rust/libccr/src/options.rs '        leave_running => ccr_options_set_leave_running;' $'        leave_running => ccr_options_set_leave_running;\n        /// Keeps it running (checkpoint).\n        keep_running => ccr_options_set_leave_running;'
expect "Rust: method with no row" "Options::keep_running (ccr_options_set_leave_running) is in no row"

echo "check_options.py caught every case"
