#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks libccr's exported symbols against its version script:
#   bash scripts/check_abi.sh LIBRARY [MAP [RELEASED_DIR [HEADER]]]
# (defaults: capi/ccr.map, capi/abi and the public header ccr.h). Fails when
#   - a function the header declares (CCR_EXTERN) is in no node of the map:
#     the version script's `local: *` would hide it from every user,
#   - the library exports a symbol outside the ccr_ namespace,
#   - an exported ccr_ symbol is in no node of the map, or carries another
#     node's version than the one that lists it,
#   - the map lists a symbol the library does not export, or names symbols
#     with a wildcard (a new function would land in an old node unseen),
#   - a released node (one with a file RELEASED_DIR/NODE.symbols, written
#     when its release is tagged) lists other symbols than that file.
# docs/api-stability.md says how nodes and releases work.
set -euo pipefail
lib=${1:?usage: check_abi.sh LIBRARY [MAP [RELEASED_DIR [HEADER]]]}
here=$(cd "$(dirname "$0")/.." && pwd)
map=${2:-$here/capi/ccr.map}
released=${3:-$here/capi/abi}
header=${4:-$here/include/ccr/ccr.h}
fail=0
problem() { echo "ABI: $*" >&2; fail=1; }

# NODE SYMBOL lines from the map's global: sections (comments dropped).
listed=$(sed -e 's:/\*.*\*/::g' -e 's/#.*//' "$map" | tr '\n' ' ' |
  sed -e 's/[{};]/ & /g' -e 's/:/: /g' | tr -s ' ' '\n' | awk '
  $0 == "" { next }
  $0 == "{" { node = previous; section = ""; depth = 1; next }
  $0 == "}" { node = ""; depth = 0; next }
  $0 == "global:" { section = "global"; next }
  $0 == "local:" { section = "local"; next }
  depth && section == "global" && $0 != ";" { print node, $0 }
  { previous = $0 }')
if grep -q '[*?[]' <<<"$(awk '{print $2}' <<<"$listed")"; then
  problem "$map names symbols with a wildcard; list each symbol by name"
fi
dups=$(awk '{print $2}' <<<"$listed" | sort | uniq -d)
[ -z "$dups" ] || problem "listed in more than one node: $(echo $dups)"

declared=$(tr '\n' ' ' <"$header" | grep -oE 'CCR_EXTERN[^;{}()]*[^a-z0-9_]ccr_[a-z0-9_]+[[:space:]]*\(' |
  grep -oE 'ccr_[a-z0-9_]+[[:space:]]*\($' | tr -d ' (' | sort -u)
for symbol in $declared; do
  awk -v s="$symbol" '$2 == s { found = 1 } END { exit !found }' <<<"$listed" ||
    problem "$(basename "$header") declares $symbol, which is in no node of $map (the library hides it)"
done

exported=$(nm -D --defined-only --with-symbol-versions "$lib" | awk '$2 != "A" { print $3 }')
while read -r entry; do
  [ -n "$entry" ] || continue
  symbol=${entry%%@*}
  version=${entry##*@}
  [ "$version" != "$entry" ] || version=""
  case "$symbol" in
    ccr_*) ;;
    *) problem "exports $symbol, outside the ccr_ namespace"; continue ;;
  esac
  node=$(awk -v s="$symbol" '$2 == s { print $1 }' <<<"$listed")
  if [ -z "$node" ]; then
    problem "$symbol is exported but in no node of $map"
  elif [ "$version" != "$node" ]; then
    problem "$symbol has version '${version}' but $map lists it in $node"
  fi
done <<<"$exported"
while read -r node symbol; do
  [ -n "$symbol" ] || continue
  grep -qx "$symbol@@\?$node" <<<"$exported" || problem "$map lists $symbol ($node), which the library does not export"
done <<<"$listed"

for frozen in "$released"/*.symbols; do
  [ -e "$frozen" ] || continue
  node=$(basename "$frozen" .symbols)
  now=$(awk -v n="$node" '$1 == n { print $2 }' <<<"$listed" | sort)
  if [ "$now" != "$(sort "$frozen")" ]; then
    problem "released node $node changed: $(diff <(sort "$frozen") <(echo "$now") | grep '^[<>]' | tr '\n' ' ')"
  fi
done

[ "$fail" = 0 ] || exit 1
echo "ABI: $(wc -l <<<"$exported") symbols exported, $(wc -w <<<"$declared") declared in $(basename "$header"), each in its node of $(basename "$map"); released nodes unchanged"
