// SPDX-License-Identifier: Apache-2.0

package main

// Mount points a restore needs in the rootfs: CRIU mounts each of the
// container's mounts where its image says, and that directory (or file, for
// a file bind mount) must exist in the root filesystem. runc creates them
// before it asks CRIU to restore; so does ccr-runc. A fresh rootfs (a
// snapshot of the image, as containerd gives a restored container) lacks
// the ones runc created inside the old one at create time (/run, /dev/shm,
// a bind mount's target).

import (
	"errors"
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/opencontainers/runc/libcontainer/configs"
)

// createMountpoints creates, inside rootfs and without following symlinks
// out of it, every mount destination of config that is missing.
func createMountpoints(config *configs.Config) error {
	for _, m := range config.Mounts {
		dest, err := securejoin.SecureJoin(config.Rootfs, m.Destination)
		if err != nil {
			return err
		}
		if _, err := os.Lstat(dest); err == nil || !errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		if m.IsBind() {
			if st, err := os.Stat(m.Source); err == nil && !st.IsDir() {
				f, err := os.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
				if err != nil && !errors.Is(err, os.ErrExist) {
					return err
				}
				if f != nil {
					f.Close()
				}
				continue
			}
		}
		if err := os.Mkdir(dest, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	return nil
}
