#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Vets, builds and tests ccr-runc, a Go module of its own next to the Go
# binding (bindings/go/test.sh calls this after the binding's own tests).
#
# Needs PKG_CONFIG_PATH (and LD_LIBRARY_PATH, unless libccr is in the
# loader's path) to point at an installed libccr, e.g.:
#   cmake -S . -B build -G Ninja && ninja -C build ccr && cmake --install build --prefix /tmp/ccr/usr
#   export PKG_CONFIG_PATH=/tmp/ccr/usr/lib/pkgconfig LD_LIBRARY_PATH=/tmp/ccr/usr/lib
#   CI=true bash bindings/go/cmd/ccr-runc/test.sh
# The end-to-end tests need root, criu >= 4.1, runc, /bin/busybox, Debian's
# containerd package (containerd, ctr, containerd-shim-runc-v2) and what
# scripts/bootstrap.sh builds under /usr/local/libexec/ccr-test (runc 1.5.3,
# containerd 2.4.2, crictl 1.37.0); without them they skip, or fail when
# CI=true.
set -euo pipefail
cd "$(dirname "$0")"

source ../../toolchain.sh

go vet .
go build -o /dev/null .
go test -count=1 -v .
