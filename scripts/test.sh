#!/usr/bin/env bash
# Builds ccr and runs every test: unit tests, the header test, the installed
# package (pkg-config + an example built against it), the exported-symbol
# check, and the end-to-end tests against real CRIU and runc.
# Usage: sudo bash scripts/test.sh     (root: CRIU and runc need it)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=${CCR_BUILD_DIR:-$top/build}

bash scripts/bootstrap.sh

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCCR_BUILD_TESTS=ON -DCCR_BUILD_EXAMPLES=ON >/dev/null
ninja -C "$build"

# Only ccr_ symbols leave the library.
leaked=$(nm -D --defined-only "$build/libccr.so" | awk '{print $3}' | grep -v '^ccr_' | grep -v '^CCR_' || true)
if [ -n "$leaked" ]; then
  echo "libccr.so exports symbols outside the ccr_ namespace:" >&2
  echo "$leaked" >&2
  exit 1
fi
echo "symbols: libccr.so exports only ccr_* ($(nm -D --defined-only "$build/libccr.so" | grep -c ' T ccr_') functions)"

# Install into a staging prefix and build the C example against it with
# pkg-config alone, as a user of the installed library would.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cmake --install "$build" --prefix "$stage/usr" >/dev/null
export PKG_CONFIG_PATH="$stage/usr/lib/pkgconfig:$stage/usr/lib/x86_64-linux-gnu/pkgconfig"
cc -std=c99 -Wall -Wextra -pedantic -Werror examples/minimal.c -o "$stage/minimal" \
  $(pkg-config --cflags --libs ccr)
LD_LIBRARY_PATH=$(pkg-config --variable=libdir ccr) "$stage/minimal" --version
# The CMake package resolves too.
cmake -S examples/cmake_consumer -B "$stage/consumer" -DCMAKE_PREFIX_PATH="$stage/usr" >/dev/null
cmake --build "$stage/consumer" >/dev/null
echo "install: header, library, pkg-config and CMake package work from $stage/usr"

cd "$build"
ctest --output-on-failure -j2
