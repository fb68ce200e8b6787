#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes a fresh Debian bookworm machine ready to build and test ccr.
# Idempotent: every step checks before it acts, so running it twice is cheap.
#
# What it installs:
#   - the build toolchain and ccr's libraries (protobuf, nlohmann_json, spdlog, GoogleTest,
#     CLI11 for the ccr tool's command line), and zsh to test its completion
#   - runc, busybox-static, iptables, nftables and containerd for the end-to-end tests
#     (containerd's system service is disabled: the tests run their own daemon)
#   - checkpointctl, and runc 1.5.3, containerd 2.4.2 and crictl 1.37.0 built pinned
#     from their Go modules under /usr/local/libexec/ccr-test (not on PATH)
#   - CRIU >= 4.1, built from Debian trixie's source package when the installed
#     criu is missing, too old, or fails `criu check` (bookworm's 3.17.1 does on
#     kernels with a [vvar_vclock] mapping), into /usr/local/sbin
# It removes nothing the host had: a Debian criu package stays installed
# (and is reported) unless CCR_REMOVE_DEBIAN_CRIU=1.
set -euo pipefail

CRIU_WANTED=4.1.1
CRIU_PREFIX=/usr/local
SRC_CACHE=/var/cache/ccr-bootstrap

log() { printf 'bootstrap: %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || { log "must run as root (apt-get and CRIU need it)"; exit 1; }
export DEBIAN_FRONTEND=noninteractive

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates xz-utils
  libprotobuf-dev libprotoc-dev protobuf-compiler nlohmann-json3-dev libspdlog-dev
  libgtest-dev libgmock-dev libarchive-dev libcli11-dev zsh
  clang libclang-dev libclang-rt-14-dev clang-format
)
# nftables: the nft tool, with which ccr removes an nftables network lock a
# killed CRIU left (Debian installs its service disabled).
RUNTIME_PACKAGES=(runc busybox-static iptables nftables iproute2 procps util-linux containerd)
CRIU_BUILD_PACKAGES=(
  libbsd-dev libcap-dev libgnutls28-dev libnet1-dev libnftables-dev libnl-3-dev
  libprotobuf-c-dev libprotobuf-dev protobuf-c-compiler protobuf-compiler uuid-dev
  pkg-config python3 asciidoc-base patch
)

# ccr's fixes to CRIU (scripts/criu-patches/*.patch, applied in name order):
# a CRIU built without the current set is rebuilt. Their checksum marks the
# source tree built from them and the installed binary.
CRIU_PATCHES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/criu-patches"
criu_patches_id() {
  cat "$CRIU_PATCHES_DIR"/*.patch 2>/dev/null | sha256sum | cut -c1-16
}
CRIU_PATCHES_MARK="$CRIU_PREFIX/share/ccr/criu-patches"

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

apt_updated=0
apt_install() {
  local want
  mapfile -t want < <(missing_packages "$@")
  [ "${#want[@]}" -eq 0 ] && return 0
  if [ "$apt_updated" -eq 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  log "installing ${want[*]}"
  apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
}

# criu_ok prints nothing and succeeds when the criu on PATH is >= 4.1, was
# built with ccr's current patches, and passes `criu check` on this kernel.
criu_ok() {
  command -v criu >/dev/null 2>&1 || return 1
  [ "$(command -v criu)" = "$CRIU_PREFIX/sbin/criu" ] || return 1
  [ "$(cat "$CRIU_PATCHES_MARK" 2>/dev/null)" = "$(criu_patches_id)" ] || return 1
  local v
  v=$(criu --version 2>/dev/null | sed -n 's/^Version: *//p')
  [ -n "$v" ] || return 1
  dpkg --compare-versions "$v" ge 4.1 || return 1
  criu check >/dev/null 2>&1
}

fetch_criu_source() {
  # Debian's own source package, from trixie, using the mirror the machine
  # already trusts. The .dsc may be refused while the orig tarball arrives,
  # which is all the build needs.
  local list=/etc/apt/sources.list.d/ccr-trixie-src.sources
  if [ ! -f "$list" ]; then
    local uri
    uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    cat >"$list" <<SRC
Types: deb-src
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt_updated=0
  fi
  if [ "$apt_updated" -eq 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  mkdir -p "$SRC_CACHE"
  local version
  version=$(apt-cache showsrc criu 2>/dev/null | sed -n 's/^Version: *//p' | grep "^${CRIU_WANTED}-" | head -n1)
  [ -n "$version" ] || { log "Debian's trixie sources offer no criu ${CRIU_WANTED}"; exit 1; }
  (cd "$SRC_CACHE" && apt-get source --download-only -qq "criu=${version}" >/dev/null 2>&1 || true)
  local tarball
  tarball=$(ls "$SRC_CACHE"/criu_"${CRIU_WANTED}".orig.tar.* 2>/dev/null | head -n1)
  if [ -z "$tarball" ]; then
    # apt-get source refused the whole package: ask for the tarball by its pool path.
    (cd "$SRC_CACHE" && apt-get source --print-uris -qq "criu=${version}" 2>/dev/null |
      grep -o "'[^']*criu_${CRIU_WANTED}.orig.tar[^']*'" | tr -d "'" | head -n1 |
      xargs -r -n1 curl -fsSLO) || true
    tarball=$(ls "$SRC_CACHE"/criu_"${CRIU_WANTED}".orig.tar.* 2>/dev/null | head -n1)
  fi
  [ -n "$tarball" ] || { log "could not fetch criu_${CRIU_WANTED}.orig.tar.* from Debian's source packages"; exit 1; }
  echo "$tarball"
}

build_criu() {
  apt_install "${CRIU_BUILD_PACKAGES[@]}" curl
  local tarball dir
  tarball=$(fetch_criu_source)
  dir="$SRC_CACHE/criu-${CRIU_WANTED}"
  if [ ! -x "$dir/criu/criu" ] || [ "$(cat "$dir/.ccr-patches" 2>/dev/null)" != "$(criu_patches_id)" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -xf "$tarball" -C "$dir" --strip-components=1
    local p
    for p in "$CRIU_PATCHES_DIR"/*.patch; do
      [ -f "$p" ] || continue
      patch -d "$dir" -p1 --quiet --forward <"$p" || { log "$(basename "$p") does not apply to CRIU ${CRIU_WANTED}"; exit 1; }
    done
    log "building CRIU ${CRIU_WANTED} with ccr's patches (about a minute)"
    make -C "$dir" -j"$(nproc)" criu lib >"$SRC_CACHE/build.log" 2>&1 ||
      { tail -n 40 "$SRC_CACHE/build.log" >&2; exit 1; }
    criu_patches_id >"$dir/.ccr-patches"
  fi
  install -D -m 0755 "$dir/criu/criu" "$CRIU_PREFIX/sbin/criu"
  mkdir -p "$(dirname "$CRIU_PATCHES_MARK")"
  criu_patches_id >"$CRIU_PATCHES_MARK"
  # The RPC schema, where ccr's wire-compatibility test looks for it.
  install -D -m 0644 "$dir/images/rpc.proto" "$CRIU_PREFIX/include/criu/rpc.proto"
  install -D -m 0644 "$dir/images/stats.proto" "$CRIU_PREFIX/include/criu/stats.proto"
  # libcriu, for the benchmark's side-by-side run (no Python package: not needed).
  install -D -m 0644 "$dir/lib/c/criu.h" "$CRIU_PREFIX/include/criu/criu.h"
  install -D -m 0644 "$dir/criu/include/version.h" "$CRIU_PREFIX/include/criu/version.h" 2>/dev/null || true
  # criu.h includes "rpc.pb-c.h", generated into images/ by the build (CRIU's
  # own `make install-lib` installs it with criu.h, rpc.proto and version.h).
  install -D -m 0644 "$dir/images/rpc.pb-c.h" "$CRIU_PREFIX/include/criu/rpc.pb-c.h"
  if [ -f "$dir/lib/c/libcriu.so" ]; then
    install -D -m 0755 "$dir/lib/c/libcriu.so" "$CRIU_PREFIX/lib/libcriu.so.2"
    ln -sf libcriu.so.2 "$CRIU_PREFIX/lib/libcriu.so"
    ldconfig
  fi
  hash -r
}

# Debian's containerd package enables (and, under systemd, starts) a system
# containerd. ccr-runc's end-to-end test starts its own on a private root,
# state and socket; a system daemon would only hold /run/containerd and run
# containers of its own. Disable the one this run installs (only that one:
# a containerd the machine already had is left as it was).
containerd_new=$(missing_packages containerd)
quiet_system_containerd() {
  command -v systemctl >/dev/null 2>&1 || return 0
  if [ -d /run/systemd/system ]; then
    systemctl disable --now containerd.service >/dev/null 2>&1 || true
  else
    systemctl disable containerd.service >/dev/null 2>&1 || true # no systemd running: just the symlink
  fi
  log "disabled the system containerd service (the tests start their own containerd)"
}

# A criu package the host already has stays unless asked otherwise: ccr's
# CRIU goes to $CRIU_PREFIX/sbin, ahead of /usr/sbin on the usual PATH.
# CCR_REMOVE_DEBIAN_CRIU=1 removes the package (bookworm's 3.17.1 is too old
# for ccr and fails `criu check` on kernels with a [vvar_vclock] mapping).
keep_or_remove_debian_criu() {
  [ -z "$(missing_packages criu)" ] || return 0
  local v
  v=$(dpkg-query -W -f='${Version}' criu 2>/dev/null)
  if [ "${CCR_REMOVE_DEBIAN_CRIU:-0}" = 1 ]; then
    log "removing Debian's criu package $v (CCR_REMOVE_DEBIAN_CRIU=1)"
    apt-get remove -y -qq criu >/dev/null
  else
    log "keeping Debian's criu package $v (/usr/sbin/criu); criu $CRIU_WANTED goes to $CRIU_PREFIX/sbin," \
      "which comes first on PATH. To remove the package instead: CCR_REMOVE_DEBIAN_CRIU=1 bash scripts/bootstrap.sh"
  fi
}

apt_install "${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}"
[ -z "$containerd_new" ] || quiet_system_containerd

if criu_ok && [ -f "$CRIU_PREFIX/include/criu/rpc.proto" ]; then
  log "criu $(criu --version | sed -n 's/^Version: *//p') is ready"
else
  keep_or_remove_debian_criu
  build_criu
  if [ "$(command -v criu)" != "$CRIU_PREFIX/sbin/criu" ]; then
    log "PATH finds $(command -v criu || echo 'no criu') before $CRIU_PREFIX/sbin/criu: put $CRIU_PREFIX/sbin first in PATH," \
      "or remove Debian's criu package with CCR_REMOVE_DEBIAN_CRIU=1 bash scripts/bootstrap.sh"
    exit 1
  fi
  criu_ok || { log "criu $(criu --version 2>&1 | head -n1) still fails 'criu check':"; criu check >&2 || true; exit 1; }
  log "criu $(criu --version | sed -n 's/^Version: *//p') installed in $CRIU_PREFIX/sbin"
fi

# checkpointctl, which the archive e2e test runs to prove ccr's checkpoint
# archives are what CRI tools read. Built from its Go module. v1.7.0 needs
# go-criu v8.5.0, which the module proxy does not serve; v1.6.0 builds.
CHECKPOINTCTL_VERSION=v1.6.0
install_checkpointctl() {
  local go bin=/usr/local/bin/checkpointctl
  go=$(command -v go || echo /usr/local/go/bin/go)
  if [ ! -x "$go" ]; then
    log "note: no Go toolchain; checkpointctl not installed (the archive e2e test needs it)"
    return 0
  fi
  if [ -x "$bin" ] && "$go" version -m "$bin" 2>/dev/null |
    grep -q "^[[:space:]]*mod[[:space:]]*github.com/checkpoint-restore/checkpointctl[[:space:]]*${CHECKPOINTCTL_VERSION}[[:space:]]"; then
    log "checkpointctl ${CHECKPOINTCTL_VERSION} is ready"
    return 0
  fi
  log "installing checkpointctl ${CHECKPOINTCTL_VERSION} with go install"
  # A failure is reported, not fatal: the archive e2e test then fails (under
  # CI=true) or skips with a clear message, and every other test still runs.
  GOBIN=/usr/local/bin "$go" install "github.com/checkpoint-restore/checkpointctl@${CHECKPOINTCTL_VERSION}" ||
    log "warning: could not install checkpointctl ${CHECKPOINTCTL_VERSION}"
}
install_checkpointctl

# The newer generation the ccr-runc tests run against as well: runc 1.5.3,
# containerd 2.4.2 (daemon, runc shim, ctr) and crictl 1.37.0, each built
# pinned from its Go module into a versioned directory under
# /usr/local/libexec/ccr-test, never on PATH: Debian's runc 1.1.5 and
# containerd 1.6.20 stay the ones on PATH, and the tests name these by path.
# A binary is rebuilt only when `go version -m` does not show the pinned
# module version. The builds run in parallel: 238 s together on two shared
# cores with empty Go caches (a fresh machine), a second when all are cached.
CCR_TEST_TOOLS=/usr/local/libexec/ccr-test
RUNC_NEW_VERSION=v1.5.3
CONTAINERD_NEW_VERSION=v2.4.2
CRICTL_VERSION=v1.37.0
# go_tool_ready BINARY MODULE VERSION: the binary exists and was built from
# that module version.
go_tool_ready() {
  local go
  go=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$1" ] && "$go" version -m "$1" 2>/dev/null |
    grep -q "^[[:space:]]*mod[[:space:]]*$2[[:space:]]*$3[[:space:]]"
}
# go_tool_install DIR VERSION PACKAGE...: go install the packages into DIR.
go_tool_install() {
  local dir=$1 version=$2 go
  shift 2
  go=$(command -v go || echo /usr/local/go/bin/go)
  mkdir -p "$dir"
  local pkgs=() p
  for p in "$@"; do pkgs+=("$p@$version"); done
  GOBIN=$dir "$go" install "${pkgs[@]}"
}
install_test_generation() {
  local go
  go=$(command -v go || echo /usr/local/go/bin/go)
  if [ ! -x "$go" ]; then
    log "note: no Go toolchain; runc ${RUNC_NEW_VERSION}, containerd ${CONTAINERD_NEW_VERSION} and crictl ${CRICTL_VERSION} not installed"
    return 0
  fi
  # runc's default build tags need libseccomp.
  apt_install libseccomp-dev
  local runc_dir="$CCR_TEST_TOOLS/runc-${RUNC_NEW_VERSION#v}"
  local ctrd_dir="$CCR_TEST_TOOLS/containerd-${CONTAINERD_NEW_VERSION#v}/bin"
  local crictl_dir="$CCR_TEST_TOOLS/crictl-${CRICTL_VERSION#v}"
  local pids=() names=() began=$SECONDS
  if go_tool_ready "$runc_dir/runc" github.com/opencontainers/runc "$RUNC_NEW_VERSION"; then
    log "runc ${RUNC_NEW_VERSION} is ready in $runc_dir"
  else
    log "building runc ${RUNC_NEW_VERSION} into $runc_dir"
    go_tool_install "$runc_dir" "$RUNC_NEW_VERSION" github.com/opencontainers/runc &
    pids+=($!) names+=("runc ${RUNC_NEW_VERSION}")
  fi
  local ready=1 b
  for b in containerd containerd-shim-runc-v2 ctr; do
    go_tool_ready "$ctrd_dir/$b" github.com/containerd/containerd/v2 "$CONTAINERD_NEW_VERSION" || ready=0
  done
  if [ "$ready" = 1 ]; then
    log "containerd ${CONTAINERD_NEW_VERSION} is ready in $ctrd_dir"
  else
    log "building containerd ${CONTAINERD_NEW_VERSION} into $ctrd_dir"
    go_tool_install "$ctrd_dir" "$CONTAINERD_NEW_VERSION" github.com/containerd/containerd/v2/cmd/containerd \
      github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 github.com/containerd/containerd/v2/cmd/ctr &
    pids+=($!) names+=("containerd ${CONTAINERD_NEW_VERSION}")
  fi
  if go_tool_ready "$crictl_dir/crictl" sigs.k8s.io/cri-tools "$CRICTL_VERSION"; then
    log "crictl ${CRICTL_VERSION} is ready in $crictl_dir"
  else
    log "building crictl ${CRICTL_VERSION} into $crictl_dir"
    go_tool_install "$crictl_dir" "$CRICTL_VERSION" sigs.k8s.io/cri-tools/cmd/crictl &
    pids+=($!) names+=("crictl ${CRICTL_VERSION}")
  fi
  local i failed=0
  for i in "${!pids[@]}"; do
    # A failure is reported, not fatal: the tests that need the tool then
    # fail under CI=true, naming it, and every other test still runs.
    wait "${pids[$i]}" || { log "warning: could not build ${names[$i]}"; failed=1; }
  done
  [ "${#pids[@]}" -eq 0 ] || log "built ${names[*]} in $((SECONDS - began)) s (failures: $failed)"
}
install_test_generation

# CRIU keeps its kernel probe results under /run/criu.kdat; nothing to do here,
# but make sure the freezer and the unified hierarchy are where the tests expect.
[ -d /sys/fs/cgroup/freezer ] || log "note: no v1 freezer hierarchy at /sys/fs/cgroup/freezer"
log "ready"
