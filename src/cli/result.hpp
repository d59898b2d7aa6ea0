// The machine-readable result of a run (docs/result.md): one JSON object with the same
// fields every time, written to --result FILE.
#pragma once

#include <chrono>
#include <string>

#include "runtime/launcher.hpp"

namespace hutch::cli {

// `status` as docs/result.md names it: ok, runtime-error, signaled,
// seccomp-violation, setup-error.
std::string result_status(const runtime::Outcome& outcome);

// The JSON text, one line.
std::string result_json(const runtime::Outcome& outcome, std::chrono::milliseconds wall_time);

// Writes it to `path` (created 0644, replaced if present). Throws hutch::Error.
void write_result(const std::string& path, const std::string& json);

}  // namespace hutch::cli
