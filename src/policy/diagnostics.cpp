#include "policy/diagnostics.hpp"

#include <fmt/format.h>

namespace hutch::policy {
namespace {

std::string join(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    if (!out.empty()) out += '\n';
    out += format_diagnostic(d);
  }
  return out;
}

}  // namespace

std::string format_diagnostic(const Diagnostic& d) {
  std::string out = d.at.file;
  if (d.at.line > 0) out += fmt::format(":{}:{}", d.at.line, d.at.column);
  out += ": ";
  if (!d.key.empty()) out += d.key + ": ";
  out += d.message;
  return out;
}

PolicyError::PolicyError(std::vector<Diagnostic> diagnostics)
    : Error(join(diagnostics), EINVAL), diagnostics_(std::move(diagnostics)) {}

}  // namespace hutch::policy
