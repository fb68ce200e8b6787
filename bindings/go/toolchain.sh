# SPDX-License-Identifier: Apache-2.0
# Sourced by test.sh and cmd/ccr-runc/test.sh: puts Go (and the sbin
# directories ccr-runc's tests need) in PATH and stops with a clear message
# when go or an installed libccr (pkg-config ccr) is missing.

export PATH="$PATH:/usr/local/go/bin:/usr/local/sbin:/usr/sbin:/sbin"
if ! command -v go >/dev/null; then
	echo "test.sh: go not found (looked in PATH and /usr/local/go/bin)" >&2
	exit 1
fi
if ! pkg-config --exists ccr; then
	cat >&2 <<'MSG'
test.sh: pkg-config cannot find ccr. Install libccr and point pkg-config at it:
  export PKG_CONFIG_PATH=<prefix>/lib/pkgconfig LD_LIBRARY_PATH=<prefix>/lib
MSG
	exit 1
fi
echo "== libccr $(pkg-config --modversion ccr) from $(pkg-config --variable=libdir ccr)"
