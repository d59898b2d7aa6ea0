#include "seccomp/model.hpp"

#include <string.h>

#include <charconv>

#include <fmt/format.h>

#include "util/error.hpp"

namespace hutch::seccomp {

bool Rule::same_key(const Rule& o) const {
  if (syscall != o.syscall || args.size() != o.args.size()) return false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!args[i].same_test(o.args[i])) return false;
  }
  return true;
}

std::string format_action(const Action& action) {
  switch (action.kind) {
    case Action::Kind::Allow: return "allow";
    case Action::Kind::Kill: return "kill";
    case Action::Kind::Trap: return "trap";
    case Action::Kind::Log: return "log";
    case Action::Kind::Errno: {
      const char* name = ::strerrorname_np(action.errno_value);
      return name ? fmt::format("errno({})", name) : fmt::format("errno({})", action.errno_value);
    }
  }
  return "kill";
}

const char* format_op(Op op) {
  switch (op) {
    case Op::Eq: return "==";
    case Op::Ne: return "!=";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::Masked: return "masked";
  }
  return "==";
}

Action parse_action(std::string_view text) {
  if (text == "allow") return {Action::Kind::Allow, 0};
  if (text == "kill") return {Action::Kind::Kill, 0};
  if (text == "trap") return {Action::Kind::Trap, 0};
  if (text == "log") return {Action::Kind::Log, 0};
  const std::string expected = fmt::format("expected allow, kill, trap, log or errno(NAME), got {:?}", text);
  if (text.rfind("errno(", 0) != 0 || text.back() != ')') throw Error(expected);
  const std::string_view inner = text.substr(6, text.size() - 7);
  int value = 0;
  const auto [end, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), value);
  if (!inner.empty() && ec == std::errc() && end == inner.data() + inner.size()) {
    if (value < 1 || value > 4095) throw Error(fmt::format("errno {} is out of range (1 to 4095)", value));
    return {Action::Kind::Errno, value};
  }
  for (int e = 1; e < 4096; ++e) {
    const char* name = ::strerrorname_np(e);
    if (name && inner == name) return {Action::Kind::Errno, e};
  }
  throw Error(fmt::format("unknown errno name \"{}\" (expected a name like EPERM or a number)", inner));
}

}  // namespace hutch::seccomp
