// The supervisor's side of -t: relays between the caller's terminal and the pty master
// that the sandbox's init sent over the sync channel. With -i the caller's terminal is
// put in raw mode (so ^C, ^Z and friends reach the sandbox as bytes) and restored on
// every way out but SIGKILL; the window size follows SIGWINCH.
#pragma once

#include <poll.h>
#include <termios.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/plan.hpp"
#include "util/fd.hpp"

namespace hutch::runtime {

// The size of the caller's terminal (stdin, else stdout), if it has one.
std::optional<TerminalSize> caller_terminal_size();

class TerminalRelay {
 public:
  // output_limit (limits.output): what the terminal shows of the command, in bytes;
  // past it the rest is dropped and exceeded() says so (the supervisor ends the run).
  TerminalRelay(bool forward_stdin, std::optional<std::uint64_t> output_limit)
      : forward_stdin_(forward_stdin), output_limit_(output_limit) {}
  TerminalRelay(const TerminalRelay&) = delete;
  TerminalRelay& operator=(const TerminalRelay&) = delete;
  ~TerminalRelay();

  void attach(UniqueFd master);
  // Appends this relay's fds to `fds`; handle() then looks at the same slots.
  void add_pollfds(std::vector<pollfd>& fds);
  void handle(const std::vector<pollfd>& fds);
  void resize();
  // After the sandbox is gone: copy what the pty still holds.
  void drain();
  // Restores the caller's terminal now (also done by the destructor)...
  void restore() noexcept;
  // ...and takes it back after a suspension (SIGCONT).
  void reenter_raw_mode();
  // Bytes the command's terminal produced (the echo of what was typed included), and
  // whether they passed the output limit.
  std::uint64_t bytes() const { return bytes_; }
  bool exceeded() const { return output_limit_ && bytes_ > *output_limit_; }
  bool attached() const { return attached_; }

 private:
  void read_master();
  void write_stdout();
  void read_stdin();
  void write_master();
  void end_input();

  bool forward_stdin_;
  std::optional<std::uint64_t> output_limit_;
  std::uint64_t bytes_ = 0;
  bool attached_ = false;
  UniqueFd master_;
  bool stdin_open_ = false;
  bool stdout_open_ = true;
  std::string to_master_;   // stdin bytes the pty has not taken yet
  std::string to_stdout_;   // pty output stdout has not taken yet (a non-blocking stdout)
  char last_input_ = '\n';  // last byte forwarded to the pty
  bool raw_ = false;
  bool have_saved_ = false;
  termios saved_{};
  std::size_t first_slot_ = 0;
  bool polled_ = false;  // add_pollfds() gave poll() this relay's slots this round
};

}  // namespace hutch::runtime
