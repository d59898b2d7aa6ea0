// The supervisor's side of -t: relays between the caller's terminal and the pty master
// that the sandbox's init sent over the sync channel. With -i the caller's terminal is
// put in raw mode (so ^C, ^Z and friends reach the sandbox as bytes) and restored on
// every way out but SIGKILL; the window size follows SIGWINCH.
#pragma once

#include <poll.h>
#include <termios.h>

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
  explicit TerminalRelay(bool forward_stdin) : forward_stdin_(forward_stdin) {}
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

 private:
  void read_master();
  void write_stdout();
  void read_stdin();
  void write_master();
  void end_input();

  bool forward_stdin_;
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
