#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lints, builds and tests the Rust binding (crates libccr-sys and libccr)
# against an installed libccr, checks the checked-in raw bindings against the
# installed header, and that both crates package for crates.io without
# libclang.
#
# Needs, in the environment:
#   PKG_CONFIG_PATH  the directory holding ccr.pc of the libccr to bind to
#   LD_LIBRARY_PATH  the directory holding libccr.so, unless it is on the
#                    default library path
# for example, after
#   cmake -S . -B build -G Ninja && ninja -C build ccr &&
#   cmake --install build --prefix /tmp/ccr/usr
# run
#   PKG_CONFIG_PATH=/tmp/ccr/usr/lib/pkgconfig LD_LIBRARY_PATH=/tmp/ccr/usr/lib \
#     bash bindings/rust/test.sh
#
# The end-to-end tests (libccr/tests/e2e.rs) need root, criu >= 4.1, runc and
# /bin/busybox. Without them they print SKIPPED and pass, unless CI=true,
# when they fail. They run one at a time (--test-threads=1).
set -euo pipefail
cd "$(dirname "$0")"

if ! pkg-config --exists ccr; then
	echo "test.sh: pkg-config cannot find ccr (PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-})." >&2
	echo "  Install libccr (cmake --install <build> --prefix <p>) and set" >&2
	echo "  PKG_CONFIG_PATH=<p>/lib/pkgconfig LD_LIBRARY_PATH=<p>/lib" >&2
	exit 1
fi
echo "== libccr $(pkg-config --modversion ccr) from $(pkg-config --variable=libdir ccr)"

# Every setter of ccr.h has a method in the safe crate.
header="$(pkg-config --variable=includedir ccr)/ccr/ccr.h"
missing=()
# (A name ending in "_" is a family in a comment, such as ccr_options_set_archive_*().)
for fn in $(grep -oE 'ccr_(options|container)_(set|add)_[a-z_]+' "$header" | grep -v '_$' | sort -u) ccr_options_cancel; do
	grep -q "sys::$fn\b\|$fn =>\|=> $fn\b" libccr/src/*.rs || missing+=("$fn")
done
if ((${#missing[@]})); then
	echo "test.sh: no safe wrapper for: ${missing[*]}" >&2
	exit 1
fi

if cargo clippy --version >/dev/null 2>&1 || rustup component add clippy >/dev/null 2>&1; then
	echo "== cargo clippy"
	cargo clippy --locked --all-targets -- -D warnings
else
	echo "== clippy is not installed and cannot be added: skipping the lint step"
fi

echo "== cargo build --examples"
cargo build --locked --examples

echo "== cargo test"
cargo test --locked -- --test-threads=1

# The tests again with runc 1.5.3 (scripts/bootstrap.sh builds it off PATH)
# as the runc that runs the containers.
runc_new=/usr/local/libexec/ccr-test/runc-1.5.3
if [ -x "$runc_new/runc" ]; then
	echo "== cargo test again against runc 1.5.3"
	PATH="$runc_new:$PATH" cargo test --locked -q -- --test-threads=1
elif [ "${CI:-}" = true ]; then
	echo "test.sh: runc 1.5.3 is missing from $runc_new (scripts/bootstrap.sh builds it); CI=true: failing" >&2
	exit 1
fi

# The checked-in bindings are what bindgen makes of the installed header:
# the crate's test (built with the bindgen feature) compares them.
echo "== libccr-sys: src/bindings.rs against bindgen's output for $header"
cargo test --locked -p libccr-sys --features bindgen

# Without the feature nothing needs libclang: bindgen is not in the build
# graph, and the crates build with libclang out of reach.
echo "== build without libclang"
if cargo tree --locked -e build,normal -i bindgen -p libccr >/dev/null 2>&1; then
	echo "test.sh: bindgen is in libccr's build without the bindgen feature" >&2
	cargo tree --locked -e build,normal -i bindgen -p libccr >&2 || true
	exit 1
fi
no_clang=$(mktemp -d /tmp/ccr-no-libclang.XXXXXX)
trap 'rm -rf "$no_clang"' EXIT
LIBCLANG_PATH=$no_clang CARGO_TARGET_DIR=$no_clang/target cargo build --locked -q -p libccr

# docs.rs builds the documentation with DOCS_RS set and no libccr at all.
echo "== documentation as docs.rs builds it (no libccr)"
DOCS_RS=1 PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$no_clang CARGO_TARGET_DIR=$no_clang/target \
	RUSTDOCFLAGS="-D warnings" cargo doc --locked -q --no-deps -p libccr-sys -p libccr

# Both crates package and build from their .crate files as crates.io would
# take them (libccr against the packaged libccr-sys), without libclang, and
# without metadata warnings.
echo "== cargo publish --workspace --dry-run"
LIBCLANG_PATH=$no_clang CARGO_TARGET_DIR=$no_clang/target \
	cargo publish --locked --workspace --dry-run --allow-dirty 2>&1 | tee "$no_clang/publish.log"
if grep -i '^warning' "$no_clang/publish.log" | grep -v 'aborting upload due to dry run'; then
	echo "test.sh: cargo publish --dry-run warns (above)" >&2
	exit 1
fi
