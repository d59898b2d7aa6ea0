#include "runtime/terminal.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {
namespace {

constexpr std::size_t kChunk = 65536;
constexpr char kEndOfFile = 0x04;  // VEOF (^D): what a terminal sends when input ends

int caller_tty_fd() {
  if (::isatty(STDIN_FILENO)) return STDIN_FILENO;
  if (::isatty(STDOUT_FILENO)) return STDOUT_FILENO;
  return -1;
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
  const int flags = ::fcntl(master_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(master_.get(), F_SETFL, flags | O_NONBLOCK) != 0) throw_sys("set O_NONBLOCK on", "pty");
  stdin_open_ = forward_stdin_;
  if (forward_stdin_ && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
    termios raw = saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) != 0) throw_sys("set raw mode on", "the terminal");
    raw_ = true;
  }
  log::debug("tty: relaying {} <-> pty{}", forward_stdin_ ? "stdin/stdout" : "stdout", raw_ ? " (raw)" : "");
}

void TerminalRelay::restore() noexcept {
  if (raw_) {
    ::tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_);
    raw_ = false;
  }
}

void TerminalRelay::add_pollfds(std::vector<pollfd>& fds) {
  first_slot_ = fds.size();
  if (!master_) return;
  short master_events = POLLIN;
  if (!pending_.empty()) master_events |= POLLOUT;
  fds.push_back(pollfd{master_.get(), master_events, 0});
  fds.push_back(pollfd{stdin_open_ && pending_.empty() ? STDIN_FILENO : -1, POLLIN, 0});
}

void TerminalRelay::handle(const std::vector<pollfd>& fds) {
  if (!master_) return;
  const pollfd& m = fds[first_slot_];
  const pollfd& in = fds[first_slot_ + 1];
  if ((m.revents & (POLLIN | POLLHUP | POLLERR)) != 0) pump_output();
  if (master_ && (m.revents & POLLOUT) != 0) flush_input();
  if (master_ && (in.revents & (POLLIN | POLLHUP | POLLERR)) != 0) pump_input();
}

void TerminalRelay::pump_output() {
  char buf[kChunk];
  const ssize_t n = sys::retry_eintr([&] { return ::read(master_.get(), buf, sizeof buf); });
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {  // EIO: every slave fd is closed, the sandbox is finishing
    master_.reset();
    return;
  }
  if (!stdout_open_) return;
  try {
    sys::write_all(STDOUT_FILENO, buf, static_cast<std::size_t>(n), "stdout");
  } catch (const Error& e) {
    log::debug("tty: stdout closed ({}); discarding the rest", e.what());
    stdout_open_ = false;
  }
}

void TerminalRelay::pump_input() {
  char buf[kChunk];
  const ssize_t n = sys::retry_eintr([&] { return ::read(STDIN_FILENO, buf, sizeof buf); });
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    stdin_open_ = false;
    pending_.push_back(kEndOfFile);
  } else {
    pending_.append(buf, static_cast<std::size_t>(n));
  }
  flush_input();
}

void TerminalRelay::flush_input() {
  while (!pending_.empty()) {
    const ssize_t n = sys::retry_eintr([&] { return ::write(master_.get(), pending_.data(), pending_.size()); });
    if (n < 0) {
      if (errno == EAGAIN) return;
      pending_.clear();  // EIO: nobody reads the pty any more
      return;
    }
    pending_.erase(0, static_cast<std::size_t>(n));
  }
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
  // the master reports EAGAIN or EIO once it is empty.
  while (master_) {
    char buf[kChunk];
    const ssize_t n = sys::retry_eintr([&] { return ::read(master_.get(), buf, sizeof buf); });
    if (n <= 0) break;
    if (!stdout_open_) continue;
    try {
      sys::write_all(STDOUT_FILENO, buf, static_cast<std::size_t>(n), "stdout");
    } catch (const Error&) {
      stdout_open_ = false;
    }
  }
  master_.reset();
}

}  // namespace hutch::runtime
