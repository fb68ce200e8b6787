// SPDX-License-Identifier: Apache-2.0
#include "descriptors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "unique_fd.hpp"

namespace ccr {
namespace {

using nlohmann::json;

// runc writes three short strings; anything near this size is not its file,
// and reading it whole could exhaust memory.
constexpr size_t max_descriptors_size = 1 << 20;

[[noreturn]] void bad_image(const std::string &what)
{
	throw Error(CCR_ERR_IMAGE, std::string("image file ") + descriptors_file + ": " + what);
}

[[noreturn]] void symlink_refused(int err)
{
	throw Error(CCR_ERR_UNSAFE_PATH,
		    std::string(descriptors_file) + " in the images directory is a symlink; refusing to "
						    "follow it",
		    err);
}

} // namespace

std::vector<std::string> read_process_stdio(int pid)
{
	if (pid <= 0)
		throw Error(CCR_ERR_INVALID_ARGUMENT, "pid " + std::to_string(pid) + " is not valid");
	// One descriptor for the fd directory, so all three links are read
	// from the same process even if the pid is reused meanwhile.
	const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
	UniqueFd dirfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
	if (!dirfd) {
		if (errno == ENOENT || errno == ESRCH)
			throw Error(CCR_ERR_NOT_FOUND, "process " + std::to_string(pid) + " does not exist", errno);
		throw_errno("cannot open " + dir);
	}
	std::vector<std::string> out;
	for (int fd = 0; fd < 3; fd++) {
		std::string name = std::to_string(fd);
		// The kernel builds these links with d_path(), which never
		// returns more than PATH_MAX bytes.
		std::string buf(PATH_MAX + 1, '\0');
		ssize_t n = ::readlinkat(dirfd.get(), name.c_str(), buf.data(), buf.size());
		if (n < 0) {
			// A closed descriptor is a normal state for an init
			// (daemons close their stdio); runc records "" too.
			if (errno == ENOENT) {
				out.emplace_back();
				continue;
			}
			throw_errno("cannot read " + dir + "/" + name);
		}
		buf.resize(static_cast<size_t>(n));
		out.push_back(std::move(buf));
	}
	return out;
}

void write_descriptors(int images_dirfd, const std::vector<std::string> &fds)
{
	json doc = json::array();
	for (const auto &fd : fds)
		doc.push_back(fd);
	// A link target is bytes, not necessarily UTF-8; replace what JSON
	// cannot carry (as runc's Go encoder does) instead of failing the
	// checkpoint over a file name.
	std::string text = doc.dump(-1, ' ', false, json::error_handler_t::replace);

	// O_NONBLOCK: a FIFO planted under this name must not hang us.
	UniqueFd fd(::openat(images_dirfd, descriptors_file,
			     O_CREAT | O_TRUNC | O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600));
	if (!fd) {
		if (errno == ELOOP)
			symlink_refused(errno);
		throw_errno(std::string("cannot create ") + descriptors_file + " in the images directory");
	}
	struct stat st {};
	if (::fstat(fd.get(), &st) < 0)
		throw_errno(std::string("cannot stat ") + descriptors_file);
	if (!S_ISREG(st.st_mode))
		throw Error(CCR_ERR_UNSAFE_PATH,
			    std::string(descriptors_file) + " in the images directory is not a regular file");
	// An existing file keeps its old mode through O_CREAT; make it 0600.
	if (::fchmod(fd.get(), 0600) < 0)
		throw_errno(std::string("cannot set the mode of ") + descriptors_file);
	size_t done = 0;
	while (done < text.size()) {
		ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw_errno(std::string("cannot write ") + descriptors_file);
		}
		done += static_cast<size_t>(n);
	}
}

std::vector<std::string> read_descriptors(int images_dirfd)
{
	UniqueFd fd(::openat(images_dirfd, descriptors_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
	if (!fd) {
		if (errno == ENOENT)
			return {};
		if (errno == ELOOP)
			symlink_refused(errno);
		throw_errno(std::string("cannot open ") + descriptors_file + " in the images directory");
	}
	struct stat st {};
	if (::fstat(fd.get(), &st) < 0)
		throw_errno(std::string("cannot stat ") + descriptors_file);
	if (!S_ISREG(st.st_mode))
		bad_image("not a regular file");
	if (static_cast<uint64_t>(st.st_size) > max_descriptors_size)
		bad_image(std::to_string(st.st_size) + " bytes, more than the 1 MiB limit");

	// Read one byte past what fstat said (and at most past the limit) so a
	// file that grew after fstat is still caught.
	std::string text(std::min<uint64_t>(uint64_t(st.st_size), max_descriptors_size) + 1, '\0');
	size_t len = 0;
	while (len < text.size()) {
		ssize_t n = ::read(fd.get(), text.data() + len, text.size() - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw_errno_as(CCR_ERR_IMAGE, std::string("cannot read ") + descriptors_file);
		}
		if (n == 0)
			break;
		len += static_cast<size_t>(n);
	}
	if (len > max_descriptors_size)
		bad_image("more than the 1 MiB limit");
	if (len == text.size())
		bad_image("it grew while it was read");
	text.resize(len);
	return parse_descriptors(text);
}

std::vector<std::string> parse_descriptors(std::string_view text)
{
	if (text.size() > max_descriptors_size)
		bad_image("more than the 1 MiB limit");
	json doc = json::parse(text, nullptr, false);
	if (doc.is_discarded())
		bad_image("not valid JSON");
	if (!doc.is_array())
		bad_image(std::string("expected a JSON array of strings, found a JSON ") + doc.type_name());
	std::vector<std::string> out;
	out.reserve(doc.size());
	for (size_t i = 0; i < doc.size(); i++) {
		if (!doc[i].is_string())
			bad_image("element " + std::to_string(i) + " is a " + doc[i].type_name() + ", not a string");
		out.push_back(doc[i].get<std::string>());
	}
	return out;
}

} // namespace ccr
