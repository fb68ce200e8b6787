#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source file names its licence in an SPDX line near its top:
#   bash scripts/spdx.sh --check [FILE...]  # list files without one; exit 1 if any (CI)
#   bash scripts/spdx.sh [FILE...]          # add the line where it is missing
# Without FILEs: the tracked and new files of the repository that are source
# (C, C++, Go, Python, Rust, shell, CMake, proto, TOML, linker script and the
# templates CMake fills), so files arriving from other branches are caught.
set -euo pipefail
cd "$(dirname "$0")/.."
licence=Apache-2.0
tag="SPDX-License-Identifier: $licence"

# The comment that carries the tag, by file name; empty: not a source file.
comment_for() {
  case "$1" in
    *.cpp | *.hpp | *.go | *.rs | *.proto) echo "// $tag" ;;
    *.c | *.h | *.h.in | *.map) echo "/* $tag */" ;;
    *.py | *.sh | *.cmake | *.cmake.in | CMakeLists.txt | */CMakeLists.txt | *.toml | *.pc.in) echo "# $tag" ;;
    *)
      # Scripts without an extension (.ci/run): by their #! line.
      if [ -f "$1" ] && head -c 2 "$1" | grep -q '^#!'; then echo "# $tag"; fi
      ;;
  esac
}

if [ "${1:-}" = --check ]; then mode=check; shift; else mode=add; fi
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files --cached --others --exclude-standard |
    grep -v -e '^bench/results/' -e '^tests/fuzz/corpus/')
fi

missing=()
checked=0
for f in "${files[@]}"; do
  [ -f "$f" ] && [ ! -L "$f" ] || continue
  line=$(comment_for "$f")
  [ -n "$line" ] || continue
  checked=$((checked + 1))
  # The tag within the first three lines (after a #! line at most).
  head -n 3 "$f" | grep -q "SPDX-License-Identifier: $licence\b" && continue
  if [ $mode = check ]; then
    missing+=("$f")
  elif head -c 2 "$f" | grep -q '^#!'; then
    sed -i "1a $line" "$f"
  elif [[ "$f" == *.go ]]; then
    # A blank line keeps the tag out of the package's doc comment.
    sed -i "1i $line\n" "$f"
  else
    sed -i "1i $line" "$f"
  fi
done

if [ $mode = check ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'spdx: no "%s" line near the top (run bash scripts/spdx.sh):\n' "$tag" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
  fi
  echo "spdx: $checked source files carry $tag"
fi
