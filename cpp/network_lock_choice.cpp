// SPDX-License-Identifier: Apache-2.0
#include "network_lock_choice.hpp"

#include "criu_enums.hpp"

#include <elf.h>
#include <fcntl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include "criu_version.hpp"
#include "rpc.pb.h"
#include "unique_fd.hpp"

namespace ccr {
namespace {

// Reads exactly `len` bytes at `off`, or fails.
bool read_at(int fd, void *buf, size_t len, off_t off)
{
	auto *p = static_cast<char *>(buf);
	while (len > 0) {
		ssize_t n = ::pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= size_t(n);
		off += n;
	}
	return true;
}

// CRIU links libnftables.so.<n> when built with its nftables support.
bool links_libnftables(const std::string &path)
{
	for (const auto &lib : elf_needed_libraries(path))
		if (lib.rfind("libnftables.so", 0) == 0)
			return true;
	return false;
}

} // namespace

std::vector<std::string> elf_needed_libraries(const std::string &path)
{
	std::vector<std::string> needed;
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
	if (!fd)
		return needed;
	Elf64_Ehdr eh;
	if (!read_at(fd.get(), &eh, sizeof eh, 0) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 4096)
		return needed;
	// The dynamic segment, and the load segments that map the string
	// table's address back to a file offset.
	std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
	if (!read_at(fd.get(), phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr), off_t(eh.e_phoff)))
		return needed;
	const Elf64_Phdr *dynamic = nullptr;
	for (const auto &ph : phdrs)
		if (ph.p_type == PT_DYNAMIC)
			dynamic = &ph;
	if (!dynamic || dynamic->p_filesz > (1 << 20))
		return needed;
	std::vector<Elf64_Dyn> dyns(dynamic->p_filesz / sizeof(Elf64_Dyn));
	if (!read_at(fd.get(), dyns.data(), dyns.size() * sizeof(Elf64_Dyn), off_t(dynamic->p_offset)))
		return needed;
	uint64_t strtab = 0, strsz = 0;
	std::vector<uint64_t> names;
	for (const auto &d : dyns) {
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_STRTAB)
			strtab = d.d_un.d_ptr;
		else if (d.d_tag == DT_STRSZ)
			strsz = d.d_un.d_val;
		else if (d.d_tag == DT_NEEDED)
			names.push_back(d.d_un.d_val);
	}
	if (!strtab || !strsz || strsz > (16 << 20))
		return needed;
	off_t strtab_off = -1;
	for (const auto &ph : phdrs)
		if (ph.p_type == PT_LOAD && strtab >= ph.p_vaddr && strtab - ph.p_vaddr < ph.p_filesz)
			strtab_off = off_t(ph.p_offset + (strtab - ph.p_vaddr));
	if (strtab_off < 0)
		return needed;
	std::string strings(strsz, '\0');
	if (!read_at(fd.get(), strings.data(), strsz, strtab_off))
		return needed;
	for (uint64_t n : names)
		if (n < strsz)
			needed.emplace_back(strings.c_str() + n);
	return needed;
}

bool kernel_answers_nf_tables()
{
	UniqueFd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
	if (!sock)
		return false;
	timeval limit{1, 0};
	::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
	struct {
		nlmsghdr nh;
		nfgenmsg nfg;
	} req{};
	req.nh.nlmsg_len = sizeof req;
	req.nh.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	req.nfg.nfgen_family = AF_UNSPEC;
	req.nfg.version = NFNETLINK_V0;
	sockaddr_nl kernel{};
	kernel.nl_family = AF_NETLINK;
	if (::sendto(sock.get(), &req, sizeof req, 0, reinterpret_cast<sockaddr *>(&kernel), sizeof kernel) < 0)
		return false;
	// The generation (NFT_MSG_NEWGEN) comes first, then the ACK; a kernel
	// without nf_tables answers with an error instead.
	alignas(nlmsghdr) char buf[8192];
	for (int replies = 0; replies < 4; replies++) {
		ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		for (auto *nh = reinterpret_cast<nlmsghdr *>(buf); NLMSG_OK(nh, size_t(n)); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
				return true;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return false;
		}
	}
	return false;
}

std::optional<criu::criu_network_lock_method> chosen_network_lock(const Options &opts, const std::string &criu_identity,
								  bool own_network_namespace)
{
	if (opts.network_lock != CCR_NETWORK_LOCK_DEFAULT)
		return to_criu_network_lock(opts.network_lock);
	if (!own_network_namespace)
		return std::nullopt;
	static const char *fact = "nftables-lock";
	unsigned nftables;
	if (auto c = cached_criu_fact(criu_identity, fact)) {
		nftables = *c;
	} else {
		nftables = links_libnftables(criu_path_of(criu_identity)) && kernel_answers_nf_tables();
		remember_criu_fact(criu_identity, fact, nftables);
	}
	if (!nftables)
		return std::nullopt;
	return criu::NFTABLES;
}

} // namespace ccr
