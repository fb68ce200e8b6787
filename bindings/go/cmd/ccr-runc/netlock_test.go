// SPDX-License-Identifier: Apache-2.0

package main

// Which network lock CRIU recorded in a set of images, so the interop tests
// show that runc restores images made with ccr's default lock (nftables
// where CRIU has libnftables, docs/performance.md).

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// CRIU's own enum in inventory_entry.network_lock_method (field 11).
const (
	recordedIptables = 0
	recordedNftables = 1
)

// recordedNetworkLock reads field 11 of the inventory entry (a 32-bit
// magic, a 32-bit size, then the protobuf entry); -1 when it is absent.
func recordedNetworkLock(t *testing.T, images string) int {
	t.Helper()
	img, err := os.ReadFile(filepath.Join(images, "inventory.img"))
	must(t, err)
	if len(img) < 8 {
		t.Fatalf("inventory.img has %d bytes", len(img))
	}
	size := int(binary.LittleEndian.Uint32(img[4:8]))
	entry := img[8:]
	if size < len(entry) {
		entry = entry[:size]
	}
	for len(entry) > 0 {
		key, n := binary.Uvarint(entry)
		if n <= 0 {
			return -1
		}
		entry = entry[n:]
		switch key & 7 {
		case 0:
			v, m := binary.Uvarint(entry)
			if m <= 0 {
				return -1
			}
			entry = entry[m:]
			if key>>3 == 11 {
				return int(v)
			}
		case 1, 5:
			skip := 8
			if key&7 == 5 {
				skip = 4
			}
			if len(entry) < skip {
				return -1
			}
			entry = entry[skip:]
		case 2:
			l, m := binary.Uvarint(entry)
			if m <= 0 || uint64(len(entry)-m) < l {
				return -1
			}
			entry = entry[m+int(l):]
		default:
			return -1
		}
	}
	return -1
}

// expectedDefaultLock is the lock ccr's default gives on this host to a
// container with a network namespace of its own (as runc spec makes it):
// nftables when the criu in PATH is linked with libnftables and nft can list
// tables, else iptables.
func expectedDefaultLock(t *testing.T) int {
	t.Helper()
	criu, err := exec.LookPath("criu")
	if err != nil {
		t.Fatalf("criu: %v", err)
	}
	ldd, _ := exec.Command("ldd", criu).Output()
	if strings.Contains(string(ldd), "libnftables.so") && exec.Command("nft", "list", "tables").Run() == nil {
		return recordedNftables
	}
	return recordedIptables
}
