#include "runtime/terminal.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {
namespace {

constexpr std::size_t kChunk = 65536;

int caller_tty_fd() {
  if (::isatty(STDIN_FILENO)) return STDIN_FILENO;
  if (::isatty(STDOUT_FILENO)) return STDOUT_FILENO;
  return -1;
}

// The most written to the caller's stdout per poll round. stdout may be blocking (it
// is the caller's, we do not change its flags); after POLLOUT a pipe takes PIPE_BUF
// bytes without blocking, so the supervisor never stalls behind a slow reader and
// keeps relaying signals.
constexpr std::size_t kStdoutChunk = PIPE_BUF;

// Writes what it can of `buf` to fd (non-blocking fds: until EAGAIN); returns false
// when fd is gone (EPIPE and the like).
bool write_some(int fd, std::string& buf, std::size_t at_most = SIZE_MAX) {
  while (!buf.empty() && at_most > 0) {
    const std::size_t len = std::min(buf.size(), at_most);
    const ssize_t n = sys::retry_eintr([&] { return ::write(fd, buf.data(), len); });
    if (n < 0) return errno == EAGAIN;
    buf.erase(0, static_cast<std::size_t>(n));
    at_most -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::optional<TerminalSize> caller_terminal_size() {
  const int fd = caller_tty_fd();
  winsize ws{};
  if (fd < 0 || ::ioctl(fd, TIOCGWINSZ, &ws) != 0) return std::nullopt;
  return TerminalSize{ws.ws_row, ws.ws_col};
}

TerminalRelay::~TerminalRelay() { restore(); }

void TerminalRelay::attach(UniqueFd master) {
  master_ = std::move(master);
  attached_ = true;
  const int flags = ::fcntl(master_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(master_.get(), F_SETFL, flags | O_NONBLOCK) != 0) throw_sys("set O_NONBLOCK on", "pty");
  stdin_open_ = forward_stdin_;
  if (forward_stdin_ && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
    have_saved_ = true;
    reenter_raw_mode();
  }
  log::debug("tty: relaying {} <-> pty{}", forward_stdin_ ? "stdin/stdout" : "stdout", raw_ ? " (raw)" : "");
}

void TerminalRelay::reenter_raw_mode() {
  if (!have_saved_ || raw_) return;
  termios raw = saved_;
  ::cfmakeraw(&raw);
  if (::tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) != 0) throw_sys("set raw mode on", "the terminal");
  raw_ = true;
}

void TerminalRelay::restore() noexcept {
  if (raw_) {
    ::tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_);
    raw_ = false;
  }
}

void TerminalRelay::add_pollfds(std::vector<pollfd>& fds) {
  first_slot_ = fds.size();
  polled_ = master_.valid();
  if (!polled_) return;
  // Back-pressure both ways: read a side only when what it gave before has been taken.
  short master_events = to_stdout_.empty() ? POLLIN : 0;
  if (!to_master_.empty()) master_events |= POLLOUT;
  fds.push_back(pollfd{master_.get(), master_events, 0});
  fds.push_back(pollfd{stdin_open_ && to_master_.empty() ? STDIN_FILENO : -1, POLLIN, 0});
  fds.push_back(pollfd{to_stdout_.empty() ? -1 : STDOUT_FILENO, POLLOUT, 0});
}

void TerminalRelay::handle(const std::vector<pollfd>& fds) {
  // Only the slots add_pollfds() filled: the master may have arrived since.
  if (!polled_ || !master_) return;
  const pollfd& m = fds[first_slot_];
  const pollfd& in = fds[first_slot_ + 1];
  const pollfd& out = fds[first_slot_ + 2];
  if ((out.revents & (POLLOUT | POLLERR | POLLHUP)) != 0) write_stdout();
  if ((m.revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_master();
  if (master_ && (m.revents & POLLOUT) != 0) write_master();
  if (master_ && (in.revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_stdin();
}

void TerminalRelay::read_master() {
  char buf[kChunk];
  const ssize_t n = sys::retry_eintr([&] { return ::read(master_.get(), buf, sizeof buf); });
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {  // EIO: every slave fd is closed, the sandbox is finishing
    master_.reset();
    return;
  }
  const auto got = static_cast<std::size_t>(n);
  std::size_t shown = got;
  if (output_limit_) {
    const std::uint64_t room = bytes_ >= *output_limit_ ? 0 : *output_limit_ - bytes_;
    shown = static_cast<std::size_t>(std::min<std::uint64_t>(got, room));
  }
  bytes_ += got;
  if (stdout_open_) to_stdout_.append(buf, shown);
}

// runs in: supervisor, when poll reported POLLOUT on stdout
void TerminalRelay::write_stdout() {
  if (!write_some(STDOUT_FILENO, to_stdout_, kStdoutChunk)) {
    log::debug("tty: stdout is gone; discarding the rest of the output");
    stdout_open_ = false;
    to_stdout_.clear();
  }
}

void TerminalRelay::read_stdin() {
  char buf[kChunk];
  const ssize_t n = sys::retry_eintr([&] { return ::read(STDIN_FILENO, buf, sizeof buf); });
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    end_input();
    return;
  }
  to_master_.append(buf, static_cast<std::size_t>(n));
  write_master();
}

// The caller's input ended: tell the pty's reader the way a terminal does, with the
// EOF character (VEOF). In canonical mode one only flushes a pending partial line, so
// a second ends the input (tty(4), termios(3) "VEOF").
void TerminalRelay::end_input() {
  stdin_open_ = false;
  termios t{};
  if (::tcgetattr(master_.get(), &t) != 0) return;
  const char eof = static_cast<char>(t.c_cc[VEOF] != 0 ? t.c_cc[VEOF] : 0x04);
  if ((t.c_lflag & ICANON) != 0 && last_input_ != '\n') to_master_.push_back(eof);
  to_master_.push_back(eof);
  write_master();
}

void TerminalRelay::write_master() {
  if (!to_master_.empty()) last_input_ = to_master_.back();
  if (!write_some(master_.get(), to_master_)) to_master_.clear();  // EIO: nobody reads the pty any more
}

void TerminalRelay::resize() {
  if (!master_) return;
  const int fd = caller_tty_fd();
  winsize ws{};
  if (fd < 0 || ::ioctl(fd, TIOCGWINSZ, &ws) != 0) return;
  // ioctl_tty(2): setting the size on the master sends SIGWINCH to the pty's foreground
  // process group inside the sandbox.
  ::ioctl(master_.get(), TIOCSWINSZ, &ws);
  log::debug("tty: window {}x{}", ws.ws_col, ws.ws_row);
}

void TerminalRelay::drain() {
  // Every process of the sandbox is gone, so the pty only holds what they wrote last;
  // the master reports EAGAIN or EIO once it is empty. stdout may be non-blocking:
  // wait for it rather than drop the end of the output.
  while (master_ || !to_stdout_.empty()) {
    if (master_ && to_stdout_.empty()) {
      read_master();
      if (to_stdout_.empty()) break;
      continue;
    }
    if (!stdout_open_) break;
    pollfd p{STDOUT_FILENO, POLLOUT, 0};
    if (sys::retry_eintr([&] { return ::poll(&p, 1, -1); }) < 0) break;
    write_stdout();
  }
  master_.reset();
}

}  // namespace hutch::runtime
