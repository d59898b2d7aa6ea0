#include "util/error.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace hutch {

Error::Error(std::string message, int sys_errno) : message_(std::move(message)), errno_(sys_errno) {}

void Error::prepend(std::string_view context) {
  message_ = fmt::format("{}: {}", context, message_);
}

std::string describe_errno(int err) {
  const char* name = ::strerrorname_np(err);
  const char* text = ::strerrordesc_np(err);
  if (name == nullptr || text == nullptr) return fmt::format("unknown error {}", err);
  return fmt::format("{} ({})", text, name);
}

void throw_errno(int err, std::string_view op, std::string_view what) {
  if (what.empty()) throw Error(fmt::format("{}: {}", op, describe_errno(err)), err);
  throw Error(fmt::format("{} {}: {}", op, what, describe_errno(err)), err);
}

void throw_sys(std::string_view op, std::string_view what) {
  const int err = errno;
  throw_errno(err, op, what);
}

}  // namespace hutch
