#include "util/log.hpp"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <string>

namespace hutch::log {
namespace {
std::atomic<Level> g_level{Level::Warn};
std::atomic<int> g_fd{STDERR_FILENO};

double monotonic_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}
// Debug lines carry the time since hutch started, so -vv doubles as a profile of the
// launch sequence (the child inherits this value across clone3).
const double g_start_ms = monotonic_ms();
}  // namespace

void set_level(Level level) noexcept { g_level = level; }
Level level() noexcept { return g_level; }
void set_fd(int fd) noexcept { g_fd = fd; }
int fd() noexcept { return g_fd; }

void write_line(Level level, std::string_view text) noexcept {
  std::string line = "hutch: ";
  if (level == Level::Warn) line += "warning: ";
  if (level == Level::Debug) line += fmt::format("[{} +{:.3f}ms] ", ::getpid(), monotonic_ms() - g_start_ms);
  line.append(text);
  line.push_back('\n');
  // One write(2) per line so lines of the supervisor and the child do not interleave.
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(g_fd, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace hutch::log
