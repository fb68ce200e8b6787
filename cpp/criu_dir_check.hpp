// SPDX-License-Identifier: Apache-2.0
// What CRIU will find in the images and work directories, checked before it
// starts. CRIU runs as root and opens its files there by name: its log
// (restore.log, dump.log), its statistics, every image it writes on a dump,
// and it follows `parent` to the previous pre-dump's images. A symlink there
// (an imported archive cannot carry one, but anyone who could write the
// directory once, or a copy made with cp -a, can) would make CRIU overwrite
// or read whatever it points to; a fifo would hang it.
#pragma once

#include "operation_common.hpp"

namespace ccr {

// Refuses, with CCR_ERR_UNSAFE_PATH naming the file and what it is:
//   - in the images and work directories, any symlink but the images
//     directory's `parent`, any fifo, character or block device (sockets are
//     fine: the lazy-pages daemon listens on one);
//   - a `parent` that does not lead to a directory inside the directory
//     holding the images directory (`../pre-dump-1` is fine, `/etc` or
//     `../../x` is not); each parent's own images are checked the same way,
//     down the chain.
void check_criu_dirs(const OperationDirs &dirs);

} // namespace ccr
