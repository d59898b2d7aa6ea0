#include "cli/result.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace hutch::cli {

std::string result_status(const runtime::Outcome& outcome) {
  using S = runtime::Outcome::Status;
  switch (outcome.status) {
    case S::Exited: return outcome.exit_code == 0 ? "ok" : "runtime-error";
    case S::Signaled: return "signaled";
    case S::SeccompViolation: return "seccomp-violation";
    case S::SetupError: return "setup-error";
    case S::TimeLimit: return "time-limit";
    case S::WallTimeLimit: return "wall-time-limit";
    case S::MemoryLimit: return "memory-limit";
    case S::OutputLimit: return "output-limit";
  }
  return "setup-error";
}

std::string result_json(const runtime::Outcome& outcome, std::chrono::milliseconds wall_time) {
  nlohmann::ordered_json j;
  j["status"] = result_status(outcome);
  // The command's own exit code, when it exited; hutch's exit status is another matter.
  j["exit_code"] = outcome.status == runtime::Outcome::Status::Exited ? nlohmann::json(outcome.exit_code)
                                                                       : nlohmann::json(nullptr);
  j["signal"] = outcome.signal != 0 ? nlohmann::json(::sigabbrev_np(outcome.signal) != nullptr
                                                         ? std::string("SIG") + ::sigabbrev_np(outcome.signal)
                                                         : std::to_string(outcome.signal))
                                    : nlohmann::json(nullptr);
  j["wall_time_ms"] = wall_time.count();
  const auto or_null = [](bool known, auto value) { return known ? nlohmann::json(value) : nlohmann::json(nullptr); };
  const std::optional<runtime::Outcome::Usage>& u = outcome.usage;
  j["run_time_ms"] = or_null(outcome.run_time.has_value(), outcome.run_time.value_or(std::chrono::milliseconds(0)).count());
  j["cpu_time_ms"] = or_null(u.has_value(), u ? u->cpu_time.count() : 0);
  j["memory_peak_bytes"] = or_null(u && u->memory_peak_bytes, u ? u->memory_peak_bytes.value_or(0) : 0);
  j["processes_peak"] = or_null(u && u->processes_peak, u ? u->processes_peak.value_or(0) : 0);
  j["max_rss_bytes"] = or_null(u.has_value(), u ? u->max_rss_bytes : 0);
  j["context_switches_voluntary"] = or_null(u.has_value(), u ? u->voluntary_switches : 0);
  j["context_switches_forced"] = or_null(u.has_value(), u ? u->forced_switches : 0);
  j["output_bytes"] = or_null(outcome.output_bytes.has_value(), outcome.output_bytes.value_or(0));
  if (outcome.violation) {
    const seccomp::Violation& v = *outcome.violation;
    nlohmann::ordered_json viol;
    viol["syscall"] = v.syscall_name();
    viol["arch"] = v.arch_name();
    viol["number"] = v.nr;
    viol["args"] = nlohmann::json::array();
    for (std::uint64_t a : v.args) viol["args"].push_back(a);
    viol["call"] = seccomp::describe(v);
    j["violation"] = viol;
  } else {
    j["violation"] = nullptr;
  }
  j["limits"] = nlohmann::json::object();
  for (const limits::Applied& a : outcome.limits) {
    j["limits"][a.key] = nlohmann::ordered_json{{"value", a.value ? nlohmann::json(*a.value) : nlohmann::json(a.text)},
                                                {"backend", a.backend}};
  }
  j["missing"] = nlohmann::json::array();
  for (const limits::Missing& m : outcome.missing) {
    j["missing"].push_back(nlohmann::ordered_json{{"key", m.key}, {"reason", m.reason}});
  }
  j["message"] = outcome.message;
  // Invalid UTF-8 (a path in a message) is replaced rather than refused.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write_result(const std::string& path, const std::string& json) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw_sys("open result file", path);
  const std::string text = json + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_sys("write result file", path);
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace hutch::cli
