// Diagnostics on stderr with a "hutch: " prefix (STYLE.md section 6).
//
// The level and the destination fd are set once by the CLI (-v, -vv). Before execve the
// child and payload log to a private duplicate of the caller's stderr that is
// close-on-exec, never to fds 0-2: those belong to the payload.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace hutch::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3 };

void set_level(Level level) noexcept;
Level level() noexcept;
// The fd log lines go to; hutch keeps it O_CLOEXEC.
void set_fd(int fd) noexcept;
int fd() noexcept;

void write_line(Level level, std::string_view text) noexcept;

template <typename... Args>
void emit(Level lvl, fmt::format_string<Args...> f, Args&&... args) noexcept {
  if (lvl > level()) return;
  try {
    write_line(lvl, fmt::format(f, std::forward<Args>(args)...));
  } catch (...) {  // logging never throws
  }
}

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) noexcept {
  emit(Level::Debug, f, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) noexcept {
  emit(Level::Info, f, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) noexcept {
  emit(Level::Warn, f, std::forward<Args>(args)...);
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) noexcept {
  emit(Level::Error, f, std::forward<Args>(args)...);
}

}  // namespace hutch::log
