// Errors in policy files: each names the file, line and column, the key and what was
// expected (`judge.yaml:12:7: limits.memory: expected a size like 256M, got "lots"`).
// A file's errors are collected and reported together.
#pragma once

#include <string>
#include <vector>

#include "util/error.hpp"

namespace hutch::policy {

struct Position {
  std::string file;  // as the user named it, or where the lookup found it
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;
};

struct Diagnostic {
  Position at;
  std::string key;      // dotted path such as "mounts[2].target"; may be empty
  std::string message;
};

// "file:line:col: key: message"
std::string format_diagnostic(const Diagnostic& d);

// Every diagnostic of a load, one per line in what(). Thrown only by policy/.
class PolicyError : public Error {
 public:
  explicit PolicyError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const noexcept { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace hutch::policy
