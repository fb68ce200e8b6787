#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Formats the C and C++ with clang-format and the repository's .clang-format.
#   bash scripts/format.sh           # rewrite the files in place
#   bash scripts/format.sh --check   # list what is not formatted; exit 1 if any (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format: clang-format is missing (scripts/bootstrap.sh installs it)" >&2; exit 1; }
# Tracked and new sources; ccr_version.h.in is left alone: its @VAR@
# placeholders are not C until CMake fills them.
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' '*.cpp' '*.hpp')
case "${1:-}" in
  --check)
    bad=()
    for f in "${files[@]}"; do
      clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
    done
    if [ ${#bad[@]} -gt 0 ]; then
      printf 'format: not clang-formatted (run bash scripts/format.sh):\n' >&2
      printf '  %s\n' "${bad[@]}" >&2
      exit 1
    fi
    echo "format: ${#files[@]} C/C++ files follow .clang-format"
    ;;
  "") clang-format --style=file -i "${files[@]}" ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
