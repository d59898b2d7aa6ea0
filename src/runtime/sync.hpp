// The two channels between the supervisor and the sandbox (STYLE.md section 5).
//
// SyncChannel: a SOCK_SEQPACKET pair carrying typed messages (and, once, the pty
// master fd) in both directions. Message boundaries are kept by the socket, so a short
// read or an EOF is always an error, never a partial message.
//
// FailureReport: the O_CLOEXEC error pipe. The child and the payload write one record
// when a setup step fails; a successful execve closes the payload's copy, so EOF
// without a record means the payload is running (sync #2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace hutch::runtime {

enum class SyncMsg : std::uint32_t {
  SupervisorReady = 1,  // sync #1, supervisor -> child: outside setup done, the payload may start
  PtyMaster = 2,        // child -> supervisor: the pty master (SCM_RIGHTS); value unused
  PayloadStatus = 3,    // child -> supervisor: the payload's wait status, just before init exits
  SeccompListener = 4,  // child -> supervisor: the seccomp filter's notification fd (SCM_RIGHTS)
  SeccompProgram = 5,   // supervisor -> child, before sync #1: a memfd with the BPF program; value: kProgram* flags
  InitCpu = 6,  // child -> supervisor, just before PayloadStatus: init's own CPU time in µs
};

// SeccompProgram's value.
constexpr std::int32_t kProgramNotifies = 1;  // it returns USER_NOTIF: install it with a listener
// Install it watching the address-space calls (seccomp/observe.hpp); only with kProgramNotifies.
constexpr std::int32_t kProgramWatchAddressSpace = 2;

std::string_view to_string(SyncMsg msg);

struct SyncMessage {
  SyncMsg type = SyncMsg::SupervisorReady;
  std::int32_t value = 0;
  UniqueFd fd;  // only for PtyMaster, SeccompListener and SeccompProgram
};

class SyncChannel {
 public:
  static std::pair<SyncChannel, SyncChannel> create_pair();  // (supervisor end, child end)
  SyncChannel() = default;
  explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}

  void send(SyncMsg type, std::int32_t value = 0, int fd_to_pass = -1);
  // Like send(), but a peer that is already gone is not an error: returns false.
  bool send_if_connected(SyncMsg type, std::int32_t value = 0, int fd_to_pass = -1);
  // Blocks for the next message; std::nullopt at EOF (the peer is gone).
  std::optional<SyncMessage> receive();
  // Blocks for a message of this type; anything else, or EOF, throws.
  SyncMessage expect(SyncMsg type);

  int fd() const noexcept { return fd_.get(); }
  void close() noexcept { fd_.reset(); }
  // True when the peer has closed its end (it exited), without consuming anything.
  bool peer_gone() const;

 private:
  UniqueFd fd_;
};

enum class FailureKind : std::uint32_t {
  Setup = 1,  // a step of namespace, mount or process setup failed
  Exec = 2,   // execve of the command failed (exit status 126/127 like a shell)
};

struct Failure {
  FailureKind kind = FailureKind::Setup;
  int sys_errno = 0;
  std::string message;
};

// Writes one record with a single write(2) (atomic: records are capped below PIPE_BUF).
// Never throws: it runs on the way out of a failing child.
void write_failure(int fd, const Failure& failure) noexcept;
// Parses what a reader collected; std::nullopt when `bytes` is empty or malformed.
std::optional<Failure> parse_failure(std::string_view bytes);

}  // namespace hutch::runtime
