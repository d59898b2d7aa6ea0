#include "runtime/sync.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {
namespace {

struct Wire {
  std::uint32_t type;
  std::int32_t value;
};

struct FailureHeader {
  std::uint32_t magic;
  std::uint32_t kind;
  std::int32_t sys_errno;
  std::uint32_t length;
};
constexpr std::uint32_t kFailureMagic = 0x68757463;  // "hutc"
constexpr std::size_t kMaxFailureText = 3800;        // header + text stay below PIPE_BUF

}  // namespace

std::string_view to_string(SyncMsg msg) {
  switch (msg) {
    case SyncMsg::SupervisorReady: return "SupervisorReady";
    case SyncMsg::PtyMaster: return "PtyMaster";
    case SyncMsg::PayloadStatus: return "PayloadStatus";
    case SyncMsg::SeccompListener: return "SeccompListener";
    case SyncMsg::SeccompProgram: return "SeccompProgram";
    case SyncMsg::InitCpu: return "InitCpu";
  }
  return "unknown";
}

std::pair<SyncChannel, SyncChannel> SyncChannel::create_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) throw_sys("socketpair", "sync channel");
  return {SyncChannel(UniqueFd(fds[0])), SyncChannel(UniqueFd(fds[1]))};
}

bool SyncChannel::send_if_connected(SyncMsg type, std::int32_t value, int fd_to_pass) {
  try {
    send(type, value, fd_to_pass);
    return true;
  } catch (const Error& e) {
    if (e.sys_errno() == EPIPE || e.sys_errno() == ECONNRESET) return false;
    throw;
  }
}

void SyncChannel::send(SyncMsg type, std::int32_t value, int fd_to_pass) {
  Wire wire{static_cast<std::uint32_t>(type), value};
  iovec iov{&wire, sizeof wire};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd_to_pass >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd_to_pass, sizeof(int));
  }
  const ssize_t n = sys::retry_eintr([&] { return ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL); });
  if (n < 0) throw_sys("send", fmt::format("sync message {}", to_string(type)));
  if (static_cast<std::size_t>(n) != sizeof wire) throw Error("sync channel: short send", EIO);
}

std::optional<SyncMessage> SyncChannel::receive() {
  Wire wire{};
  iovec iov{&wire, sizeof wire};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = sys::retry_eintr([&] { return ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC); });
  // unix(7): a peer that exits with a message of ours unread resets the connection;
  // for us that is the same as EOF (the peer is gone; its report is in the error pipe).
  if (n < 0 && errno == ECONNRESET) return std::nullopt;
  if (n < 0) throw_sys("receive", "sync message");
  if (n == 0) return std::nullopt;
  SyncMessage out;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      out.fd.reset(fd);
    }
  }
  if (static_cast<std::size_t>(n) != sizeof wire || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    throw Error("sync channel: malformed message", EPROTO);
  }
  out.type = static_cast<SyncMsg>(wire.type);
  out.value = wire.value;
  return out;
}

bool SyncChannel::peer_gone() const {
  pollfd p{fd_.get(), 0, 0};
  if (sys::retry_eintr([&] { return ::poll(&p, 1, 0); }) < 0) throw_sys("poll", "sync channel");
  return (p.revents & (POLLHUP | POLLERR)) != 0;
}

SyncMessage SyncChannel::expect(SyncMsg type) {
  std::optional<SyncMessage> msg = receive();
  if (!msg) throw Error(fmt::format("sync channel closed while waiting for {}", to_string(type)), EPIPE);
  if (msg->type != type) {
    throw Error(fmt::format("sync channel: expected {}, got {}", to_string(type), to_string(msg->type)), EPROTO);
  }
  return std::move(*msg);
}

void write_failure(int fd, const Failure& failure) noexcept {
  char buf[sizeof(FailureHeader) + kMaxFailureText];
  const std::size_t len = std::min(failure.message.size(), kMaxFailureText);
  FailureHeader h{kFailureMagic, static_cast<std::uint32_t>(failure.kind), failure.sys_errno,
                  static_cast<std::uint32_t>(len)};
  std::memcpy(buf, &h, sizeof h);
  failure.message.copy(buf + sizeof h, len);  // a counted text, no NUL: the header has its length
  // A lost report still ends the run as a setup error (the exit status says so).
  [[maybe_unused]] const ssize_t n = sys::retry_eintr([&] { return ::write(fd, buf, sizeof h + len); });
}

std::optional<Failure> parse_failure(std::string_view bytes) {
  FailureHeader h{};
  if (bytes.size() < sizeof h) return std::nullopt;
  std::memcpy(&h, bytes.data(), sizeof h);
  if (h.magic != kFailureMagic || h.length > kMaxFailureText || bytes.size() < sizeof h + h.length) return std::nullopt;
  if (h.kind != static_cast<std::uint32_t>(FailureKind::Setup) && h.kind != static_cast<std::uint32_t>(FailureKind::Exec)) {
    return std::nullopt;
  }
  return Failure{static_cast<FailureKind>(h.kind), h.sys_errno, std::string(bytes.substr(sizeof h, h.length))};
}

}  // namespace hutch::runtime
