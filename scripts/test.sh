#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds ccr and runs every test: the format, licence-line and option-table checks, unit
# tests, the header test, the installed package (shared and static library,
# installed and uninstalled pkg-config files, the CMake package, stripped
# binaries with separate debug information, an example built each way against
# it), the exported-symbol
# check, the end-to-end tests against real CRIU and runc (Debian's 1.1.5, then
# 1.5.3), each binding's tests (Go, Python, Rust) against the installed
# library, the end-to-end tests again with cgroup v2 alone
# (tests/cgroup2/view.sh, with both runc generations), the fuzz targets for a
# bounded time, the whole C++ suite again under AddressSanitizer + UBSan, and
# the concurrency tests under ThreadSanitizer.
# Usage: sudo bash scripts/test.sh     (root: CRIU and runc need it)
# CCR_QUICK=1 skips the stress test, the sanitizer passes and the fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=${CCR_BUILD_DIR:-$top/build}
stage() { printf '\n==== %s\n' "$*"; }
# The Go and Rust toolchains live outside the default PATH on these machines.
for d in /usr/local/go/bin "$HOME/.cargo/bin"; do
  [ -d "$d" ] && case ":$PATH:" in *":$d:"*) ;; *) PATH="$PATH:$d" ;; esac
done
export PATH

stage "bootstrap"
bash scripts/bootstrap.sh

stage "format, licence lines and the option table"
bash scripts/format.sh --check
bash scripts/spdx.sh --check
# The check itself must catch a source file without the line.
spdx_probe=$(mktemp -d)
printf 'int main(void) { return 0; }\n' >"$spdx_probe/probe.c"
if bash scripts/spdx.sh --check "$spdx_probe/probe.c" 2>/dev/null; then
  echo "scripts/spdx.sh --check passed a file without an SPDX line" >&2
  exit 1
fi
rm -rf "$spdx_probe"
# Every description of an option (ccr.h, docs/options.md, the bindings)
# agrees with capi/options.json; ctest runs it again, with its selftest.
python3 scripts/check_options.py

stage "build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCCR_BUILD_TESTS=ON -DCCR_BUILD_EXAMPLES=ON \
  -DCCR_SPLIT_DEBUG=ON >/dev/null
ninja -C "$build"

stage "exported symbols: each in its node of capi/ccr.map, released nodes unchanged"
bash scripts/check_abi.sh "$build/libccr.so"

stage "install: pkg-config, CMake package, static library, C example"
# Install into a staging prefix and build the C example against it with
# pkg-config alone, as a user of the installed library would. The prefix is
# fixed (inside the build directory) and refreshed each run: Go's build cache
# remembers the cgo link flags of the first run, so a per-run temporary prefix
# would leave the next run linking against a directory that is gone.
prefix=$build/staged-install
rm -rf "$prefix"
mkdir -p "$prefix"
cmake --install "$build" --prefix "$prefix/usr" >/dev/null
export PKG_CONFIG_PATH="$prefix/usr/lib/pkgconfig"
export LD_LIBRARY_PATH="$prefix/usr/lib"
cc -std=c99 -Wall -Wextra -pedantic -Werror examples/minimal.c -o "$prefix/minimal" \
  $(pkg-config --cflags --libs ccr)
"$prefix/minimal" --version
# The same against libccr.a, with what ccr.pc says a static link needs
# (Requires.private, Libs.private), those libraries themselves shared: a
# fully static link (pkg-config --static) would also need the static
# libraries of libarchive's own dependencies, which this host lacks.
pc_requires=$(pkg-config --print-requires-private ccr | cut -d' ' -f1)
pc_libs_private=$(sed -n 's/^Libs.private: //p' "$prefix/usr/lib/pkgconfig/ccr.pc")
cc -std=c99 -Wall -Wextra -pedantic -Werror examples/minimal.c -o "$prefix/minimal-static" \
  $(pkg-config --cflags ccr) $(pkg-config --libs-only-L ccr) -l:libccr.a \
  $(pkg-config --libs $pc_requires) $pc_libs_private
if ldd "$prefix/minimal-static" | grep -q libccr; then
  echo "minimal-static is linked to libccr.so, not libccr.a" >&2
  exit 1
fi
LD_LIBRARY_PATH= "$prefix/minimal-static" --version
# The CMake package, both targets (examples/cmake_consumer).
cmake -S examples/cmake_consumer -B "$prefix/consumer" -DCMAKE_PREFIX_PATH="$prefix/usr" >/dev/null
cmake --build "$prefix/consumer" >/dev/null
"$prefix/consumer/minimal" --version
LD_LIBRARY_PATH= "$prefix/consumer/minimal_static" --version
# The build tree's uninstalled ccr.pc, for building without installing.
cc -std=c99 -Wall -Wextra -pedantic -Werror examples/minimal.c -o "$prefix/minimal-uninstalled" \
  $(PKG_CONFIG_PATH="$build" pkg-config --cflags --libs ccr)
LD_LIBRARY_PATH="$build" "$prefix/minimal-uninstalled" --version
# Installed binaries are stripped; their debug information is in .debug/
# (CCR_SPLIT_DEBUG=ON above), tied to them by a .gnu_debuglink.
for bin in "$prefix/usr/lib/libccr.so.$(pkg-config --modversion ccr)" "$prefix/usr/bin/ccr"; do
  if readelf -S "$bin" | grep -q -e '\.debug_info' -e '\.symtab'; then
    echo "$bin is installed unstripped" >&2
    exit 1
  fi
  debug=$(dirname "$bin")/.debug/$(readelf --string-dump=.gnu_debuglink "$bin" | sed -n 's/^ *\[ *0\] *//p')
  readelf -S "$debug" 2>/dev/null | grep -q '\.debug_info' || { echo "no debug information for $bin in $debug" >&2; exit 1; }
done
echo "headers, shared and static library, pkg-config files (installed and uninstalled), CMake package" \
  "and separate debug information work from $prefix/usr ($(du -sh --exclude=.debug "$prefix/usr" | cut -f1) without .debug)"
# The ccr tool comes with its shell completion, where bash-completion and zsh look.
bash -c 'source "$0" && complete -p ccr' "$prefix/usr/share/bash-completion/completions/ccr"
test -s "$prefix/usr/share/zsh/site-functions/_ccr"

# Unit, end-to-end and the stress test of stopping CRIU (label "stress", about
# four minutes: tests/stress/cancel_stress_test.cpp; CCR_QUICK=1 leaves it out).
stage "C++ unit, end-to-end and stress tests"
if [ "${CCR_QUICK:-0}" = 1 ]; then
  (cd "$build" && ctest --output-on-failure -j2 -LE stress)
else
  (cd "$build" && ctest --output-on-failure -j2)
fi

# The end-to-end tests again with the newer runc generation first in PATH
# (scripts/bootstrap.sh builds runc 1.5.3 off PATH; the run above used
# Debian's runc 1.1.5). About a minute and a half.
stage "C++ end-to-end tests against runc 1.5.3"
runc_new=/usr/local/libexec/ccr-test/runc-1.5.3
if [ -x "$runc_new/runc" ]; then
  PATH="$runc_new:$PATH" "$build/tests/ccr_e2e_tests" --gtest_brief=1
elif [ "${CI:-}" = true ]; then
  echo "runc 1.5.3 is missing from $runc_new (scripts/bootstrap.sh builds it); CI=true: failing" >&2
  exit 1
else
  echo "skipped: no runc 1.5.3 in $runc_new (scripts/bootstrap.sh builds it)"
fi

for lang in go python rust; do
  if [ -f "bindings/$lang/test.sh" ]; then
    stage "$lang binding"
    bash "bindings/$lang/test.sh"
  fi
done

# The same end-to-end tests again with cgroup v2 alone, with both runc
# generations: on this hybrid host in the v2-only view tests/cgroup2/view.sh
# makes (a private mount namespace; the host is not changed), where runc runs
# unified and CRIU freezes with cgroup.freeze. The CRI tests stay in the v1
# pass: containerd's CRI gives every pod sandbox CPU shares, and the view has
# no cpu controller (it is bound to v1 on this host).
stage "cgroup v2 pass: the end-to-end tests in a v2-only view of this host"
in_v2() { bash tests/cgroup2/view.sh "$@"; }
runc_new=/usr/local/libexec/ccr-test/runc-1.5.3
with_runc_new="PATH=$runc_new:\$PATH"
in_v2 bash -c "cd '$build' && ctest --output-on-failure -L e2e"
in_v2 bash -c "$with_runc_new '$build/tests/ccr_e2e_tests' --gtest_brief=1"
in_v2 bash -c "cd bindings/go/ccr && go test -count=1 . && $with_runc_new go test -count=1 ."
in_v2 bash -c "cd bindings/go/cmd/ccr-runc && go test -count=1 -skip '^TestCRI' ."
in_v2 bash bindings/python/test.sh # both runc generations
in_v2 bash -c "cd bindings/rust && cargo test --locked -- --test-threads=1 &&
  $with_runc_new cargo test --locked --test e2e -- --test-threads=1"

if [ "${CCR_QUICK:-0}" != 1 ]; then
  stage "fuzzing (bounded)"
  bash scripts/fuzz.sh --seconds "${CCR_FUZZ_SECONDS:-20}"

  stage "AddressSanitizer + UndefinedBehaviorSanitizer: the whole C++ suite"
  asan=${CCR_ASAN_BUILD_DIR:-$top/build-asan}
  cmake -S . -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCCR_SANITIZE=address,undefined >/dev/null
  ninja -C "$asan"
  # The stress test (label "stress") ran once in the plain pass above.
  (cd "$asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j2 -LE stress)

  stage "ThreadSanitizer: the concurrency and cancellation tests"
  tsan=${CCR_TSAN_BUILD_DIR:-$top/build-tsan}
  cmake -S . -B "$tsan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCCR_SANITIZE=thread -DCCR_BUILD_EXAMPLES=OFF >/dev/null
  ninja -C "$tsan" ccr_e2e_tests ccr_unit_tests
  TSAN_OPTIONS=halt_on_error=1 "$tsan/tests/ccr_e2e_tests" --gtest_filter='Concurrency*:Interrupt*'
  TSAN_OPTIONS=halt_on_error=1 "$tsan/tests/ccr_unit_tests" --gtest_filter='FakeCriuPeer*'
fi

stage "all tests passed"
