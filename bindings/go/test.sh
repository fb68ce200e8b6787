#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Vets, builds and tests the Go binding against an installed libccr.
#
# Needs PKG_CONFIG_PATH (and LD_LIBRARY_PATH, unless libccr is in the
# loader's path) to point at an installed libccr, e.g.:
#   cmake -S . -B build && ninja -C build ccr && cmake --install build --prefix /tmp/ccr/usr
#   export PKG_CONFIG_PATH=/tmp/ccr/usr/lib/pkgconfig LD_LIBRARY_PATH=/tmp/ccr/usr/lib
#   bash bindings/go/test.sh
# The end-to-end tests need root, criu >= 4.1, runc and /bin/busybox (and
# ccr-runc's the tools scripts/bootstrap.sh builds under
# /usr/local/libexec/ccr-test); without them they skip, or fail when CI=true.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD

source "$here/toolchain.sh"

# The binding is the module github.com/ccr-project/ccr/bindings/go/ccr in
# ccr/ (its path ends in its package name); ccr-runc is a module of its own.
cd ccr
go vet ./...
go build ./...
go test -count=1 -v ./...

# The binding's end-to-end tests again with runc 1.5.3 (scripts/bootstrap.sh
# builds it off PATH) as the runc that runs the containers.
runc_new=/usr/local/libexec/ccr-test/runc-1.5.3
if [ -x "$runc_new/runc" ]; then
	echo "== the binding's tests again against runc 1.5.3"
	PATH="$runc_new:$PATH" go test -count=1 .
elif [ "${CI:-}" = true ]; then
	echo "test.sh: runc 1.5.3 is missing from $runc_new (scripts/bootstrap.sh builds it); CI=true: failing" >&2
	exit 1
fi

# A program of another module imports the binding by its module path, as a
# user's would after `go get` (here a replace points it at this checkout).
echo "== a consumer module importing github.com/ccr-project/ccr/bindings/go/ccr"
consumer=$(mktemp -d /tmp/ccr-go-consumer.XXXXXX)
trap 'rm -rf "$consumer"' EXIT
cat >"$consumer/go.mod" <<MOD
module example.com/ccr-consumer

go 1.22

require github.com/ccr-project/ccr/bindings/go/ccr v0.0.0

replace github.com/ccr-project/ccr/bindings/go/ccr => $here/ccr
MOD
cat >"$consumer/main.go" <<'SRC'
package main

import (
	"fmt"

	"github.com/ccr-project/ccr/bindings/go/ccr"
)

func main() { fmt.Println("libccr", ccr.LibraryVersionString()) }
SRC
(cd "$consumer" && go vet . && go build -o consumer . && ./consumer)

cd "$here"
# ccr-runc is a module of its own (it pins runc's libcontainer, which the
# binding's users should not inherit): its tests run from its directory.
bash cmd/ccr-runc/test.sh
