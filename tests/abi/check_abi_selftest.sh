#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shows that scripts/check_abi.sh fails on each mistake it exists to catch,
# on small libraries built here with their own version scripts, and passes
# on a correct one.
set -euo pipefail
check=$(cd "$(dirname "$0")/../.." && pwd)/scripts/check_abi.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cc=${CC:-cc}

# build NAME MAP SOURCE [HEADER]: a shared library from SOURCE linked with
# MAP, and the header that declares its API.
build() {
  printf '%s\n' "${4:-CCR_EXTERN int ccr_a(void);}" >"$dir/$1.h"
  printf '%s\n' "$3" >"$dir/$1.c"
  printf '%s\n' "$2" >"$dir/$1.map"
  "$cc" -shared -fPIC -o "$dir/$1.so" "$dir/$1.c" -Wl,--version-script="$dir/$1.map"
}
# expect OUTCOME NAME WORDS [RELEASED]: check_abi.sh passes or fails (with
# WORDS in its output) on library NAME.
expect() {
  local outcome=$1 name=$2 words=$3 released=${4:-$dir/none}
  local out rc=0
  out=$(bash "$check" "$dir/$name.so" "$dir/$name.map" "$released" "$dir/$name.h" 2>&1) || rc=$?
  if [ "$outcome" = pass ] && [ $rc -ne 0 ]; then
    echo "FAIL: $name should pass: $out" >&2; exit 1
  fi
  if [ "$outcome" = fail ] && [ $rc -eq 0 ]; then
    echo "FAIL: $name should fail (${words}): $out" >&2; exit 1
  fi
  if ! grep -qF -- "$words" <<<"$out"; then
    echo "FAIL: $name: output lacks '$words': $out" >&2; exit 1
  fi
  echo "ok: $name ($outcome: $words)"
}

two='int ccr_a(void){return 1;} int ccr_b(void){return 2;}'
good='V_1 { global: ccr_a; local: *; }; V_2 { global: ccr_b; } V_1;'
build good "$good" "$two" 'CCR_EXTERN int ccr_a(void);
CCR_EXTERN int
ccr_b(void);'
expect pass good "2 symbols exported, 2 declared"

build unlisted 'V_1 { global: ccr_a; ccr_b; local: *; }; V_2 { global: ccr_c; } V_1;' \
  "$two int ccr_c(void){return 3;} int ccr_d(void){return 4;}" 'CCR_EXTERN int ccr_d(void);'
expect fail unlisted "declares ccr_d, which is in no node"

build stale 'V_1 { global: ccr_a; ccr_gone; local: *; };' "$two"
expect fail stale "lists ccr_gone (V_1), which the library does not export"

build wildcard 'V_1 { global: ccr_*; local: *; };' "$two"
expect fail wildcard "wildcard"

build outside 'V_1 { global: ccr_a; ccr_b; other; local: *; };' "$two int other(void){return 0;}"
expect fail outside "exports other, outside the ccr_ namespace"

mkdir -p "$dir/released"
echo ccr_a >"$dir/released/V_1.symbols"
expect pass good "released nodes unchanged" "$dir/released"
build moved 'V_1 { global: ccr_a; ccr_b; local: *; };' "$two"
expect fail moved "released node V_1 changed" "$dir/released"
