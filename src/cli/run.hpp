// Parsing of `hutch run`'s command line into a RunRequest: flags are overrides applied
// onto the request's Policy. Pure apart from reading nothing; unit-tested.
#pragma once

#include <string>
#include <vector>

#include "runtime/plan.hpp"

namespace hutch::cli {

struct RunArgs {
  runtime::RunRequest request;
  int verbosity = 0;  // -v: 1, -vv or -v -v: 2
  bool help = false;
};

// tokens: everything after "hutch run"; cwd: what relative paths are relative to.
// Throws UsageError for command-line mistakes and Error for bad values.
RunArgs parse_run_args(const std::vector<std::string>& tokens, const std::string& cwd);

}  // namespace hutch::cli
