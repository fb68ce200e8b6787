// SPDX-License-Identifier: Apache-2.0
// Directories only ccr's own user may write: the images directory, the work
// directory, the state directory. CRIU runs as root and trusts what it finds
// there, so a directory another user can write, or a symlink planted in its
// place, would let that user feed CRIU forged images or redirect its output.
#pragma once

#include <string>

#include "unique_fd.hpp"

namespace ccr {

// Opens directory `path` (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) and
// checks that it is a real directory (not a symlink), owned by the effective
// uid, and not writable by group or others. With `create`, a missing
// directory is made (mode 0700; missing parents 0755). `what` names it in
// messages ("images directory"). Throws CCR_ERR_INVALID_ARGUMENT for an empty
// path, CCR_ERR_NOT_FOUND when it is missing, CCR_ERR_UNSAFE_PATH when a
// check fails (the message says how to fix it).
UniqueFd open_private_dir(const std::string &path, bool create, const std::string &what);

// Creates a fresh directory <parent>/<prefix>XXXXXX (mode 0700) with mkdtemp,
// creating `parent` (0700) first if missing, and opens it as
// open_private_dir() does. Its path goes to *out_path when out_path is set.
UniqueFd make_private_tempdir(const std::string &parent, const std::string &prefix, std::string *out_path);

// Owns a directory and removes it, contents included, on destruction unless
// released. Removal works through the directory's descriptor and never
// follows a symlink or crosses into another mount, so a symlink or a bind
// mount left inside (the restore root mountpoint) cannot make it delete
// anything outside the directory. Failures to remove are ignored.
class TempDir {
public:
	TempDir() = default;
	// Takes over a directory opened with make_private_tempdir().
	TempDir(std::string path, UniqueFd fd);
	// make_private_tempdir(parent, prefix) wrapped in a TempDir.
	static TempDir create(const std::string &parent, const std::string &prefix);

	TempDir(TempDir &&other) noexcept;
	TempDir &operator=(TempDir &&other) noexcept;
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	~TempDir();

	const std::string &path() const { return path_; }
	int fd() const { return fd_.get(); }
	explicit operator bool() const { return static_cast<bool>(fd_); }

	// Keeps the directory: the destructor will leave it alone. Returns its
	// path.
	std::string release();
	// Removes the directory now (what the destructor does). Never throws.
	void remove() noexcept;

private:
	std::string path_;
	UniqueFd fd_;
};

} // namespace ccr
