#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (clang, AddressSanitizer + UBSan) and runs each
# one over its seed corpus and the saved regressions, then fuzzes it for a
# bounded time or number of runs. A crash fails the script; its input is left
# in the output directory: add it under tests/fuzz/regressions/<target>/.
#
#   bash scripts/fuzz.sh                  # 20 s per target (what CI runs)
#   bash scripts/fuzz.sh --seconds 300
#   bash scripts/fuzz.sh --runs 10000000  # the figure docs/reliability.md quotes
#   bash scripts/fuzz.sh --runs 10000000 archive_import   # named targets only
#   bash scripts/fuzz.sh --grow --seconds 600 oci_config  # a long run that keeps
#       what it found: the new inputs are merged (minimized, libFuzzer's
#       -merge=1) into tests/fuzz/corpus/<target>/, to be committed, so that
#       CI's bounded run starts where the long runs ended.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=${CCR_FUZZ_BUILD_DIR:-$top/build-fuzz}
all_targets=(oci_config descriptors criu_response criu_image archive_import image_verifier)
usage="usage: $0 [--grow] [--seconds N | --runs N] [target...]; targets: ${all_targets[*]}"
limit=(-max_total_time=20)
grow=0
if [ "${1:-}" = --grow ]; then grow=1; shift; fi
case "${1:-}" in
  --seconds) limit=(-max_total_time="${2:?$usage}"); shift 2 ;;
  --runs) limit=(-runs="${2:?$usage}"); shift 2 ;;
  -*) echo "$usage" >&2; exit 2 ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $target "* ]] || { echo "fuzz: no target $target; $usage" >&2; exit 2; }
done

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCCR_FUZZ=ON -DCCR_SANITIZE=address,undefined -DCCR_BUILD_TESTS=OFF -DCCR_BUILD_EXAMPLES=OFF >/dev/null
ninja -C "$build" "${targets[@]/#/fuzz_}" >/dev/null

out=$(mktemp -d /tmp/ccr-fuzz.XXXXXX)
echo "fuzz: new inputs and any crash go to $out"
for target in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/$target
  regressions=tests/fuzz/regressions/$target
  mkdir -p "$out/$target"
  # Every saved regression and seed once: a fixed crash must stay fixed.
  inputs=$(find "$seeds" "$regressions" -type f 2>/dev/null || true)
  if [ -n "$inputs" ]; then
    # shellcheck disable=SC2086
    "$build/tests/fuzz/fuzz_$target" -artifact_prefix="$out/$target/" $inputs >"$out/$target.replay.log" 2>&1 ||
      { cat "$out/$target.replay.log" >&2; echo "fuzz: $target failed on a saved input" >&2; exit 1; }
  fi
  "$build/tests/fuzz/fuzz_$target" "${limit[@]}" -print_final_stats=1 -artifact_prefix="$out/$target/" \
    "$out/$target" "$seeds" >"$out/$target.log" 2>&1 ||
    { tail -n 40 "$out/$target.log" >&2; echo "fuzz: $target crashed; input in $out/$target/" >&2; exit 1; }
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$target.log" | tail -n1)
  echo "fuzz: $target ran ${runs:-?} inputs without a finding"
  if [ "$grow" = 1 ]; then
    mkdir -p "$seeds"
    before=$(find "$seeds" -type f | wc -l)
    "$build/tests/fuzz/fuzz_$target" -merge=1 "$seeds" "$out/$target" >"$out/$target.merge.log" 2>&1 ||
      { tail -n 20 "$out/$target.merge.log" >&2; echo "fuzz: merging $target's inputs failed" >&2; exit 1; }
    echo "fuzz: $target corpus grew from $before to $(find "$seeds" -type f | wc -l) inputs ($seeds)"
  fi
done
