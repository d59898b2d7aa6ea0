// Resource limits against the real kernel, as the unprivileged user: the rlimits the
// payload gets, the wall-clock and CPU-time verdicts, and the statistics of the result
// (docs/limits.md, docs/result.md). The busybox fixture's sh and sleep are the workloads.
#include <signal.h>

#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using hutch::testing::paths;
using hutch::testing::run_args;
using hutch::testing::run_hutch;

namespace {

const int kKilledStatus = 128 + SIGKILL;

struct Run {
  hutch::testing::Result r;
  nlohmann::json result;
};

// `hutch run --result FILE LIMITS... -- PAYLOAD...`, with the result parsed.
Run limited(const std::vector<std::string>& payload, std::vector<std::string> limits) {
  const std::string file = (paths().work / "limits-result.json").string();
  limits.insert(limits.begin(), {"--result", file});
  Run run{run_hutch(run_args(payload, limits)), {}};
  run.result = nlohmann::json::parse(hutch::testing::read_text(file));
  return run;
}

// One line of /proc/self/limits inside the sandbox, e.g. "Max open files 10 10 files".
std::string limit_line(const std::string& limits, const std::string& name) {
  const std::size_t at = limits.find(name);
  if (at == std::string::npos) return "";
  std::string line = limits.substr(at, limits.find('\n', at) - at);
  // Columns are padded with spaces: squeeze them.
  std::string out;
  for (char c : line) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

TEST_CASE("limits: each rlimit is in force in the payload, and core dumps are off", "[integration][limits]") {
  auto r = run_hutch(run_args({"/bin/cat", "/proc/self/limits"},
                              {"--memory", "256M", "--processes", "20", "--cpu-time", "1500ms", "--file-size", "1M",
                               "--open-files", "64", "--stack", "4M"}));
  REQUIRE(r.exit_code == 0);
  CHECK(limit_line(r.out, "Max address space") == "Max address space 268435456 268435456 bytes");
  // The sandbox's init is a process of the same user: one more than asked for.
  CHECK(limit_line(r.out, "Max processes") == "Max processes 21 21 processes");
  CHECK(limit_line(r.out, "Max cpu time") == "Max cpu time 2 3 seconds");
  CHECK(limit_line(r.out, "Max file size") == "Max file size 1048576 1048576 bytes");
  CHECK(limit_line(r.out, "Max open files") == "Max open files 64 64 files");
  CHECK(limit_line(r.out, "Max stack size") == "Max stack size 4194304 4194304 bytes");
  CHECK(limit_line(r.out, "Max core file size") == "Max core file size 0 0 bytes");
  // Without limits, only core dumps are off.
  auto plain = run_hutch(run_args({"/bin/cat", "/proc/self/limits"}));
  CHECK(limit_line(plain.out, "Max core file size") == "Max core file size 0 0 bytes");
  CHECK(limit_line(plain.out, "Max open files").find("Max open files 64 ") == std::string::npos);
}

TEST_CASE("limits: a value above the user's hard limit is refused, naming it", "[integration][limits]") {
  auto r = limited({"/bin/true"}, {"--open-files", "1048576"});
  CHECK(r.r.exit_code == 125);
  CHECK(r.r.err.find("limits.open_files: 1048576 is above this user's hard RLIMIT_NOFILE of ") != std::string::npos);
  CHECK(r.result["status"] == "setup-error");
}

TEST_CASE("limits: wall time ends the whole sandbox, children included", "[integration][limits]") {
  auto r = limited({"/bin/sh", "-c", "sleep 100 & sleep 100 & sleep 100; wait"}, {"--wall-time", "300ms"});
  CHECK(r.r.exit_code == kKilledStatus);
  CHECK(r.result["status"] == "wall-time-limit");
  CHECK(r.result["run_time_ms"].get<long>() >= 300);
  CHECK(r.r.err == "hutch: wall-time limit: the run was stopped after 300 ms\n");
  // Within the limit: ok.
  auto ok = limited({"/bin/true"}, {"--wall-time", "10s"});
  CHECK(ok.result["status"] == "ok");
}

TEST_CASE("limits: CPU time of all processes together gives time-limit", "[integration][limits]") {
  // One spinning process: RLIMIT_CPU stops it a little past the limit.
  auto one = limited({"/bin/sh", "-c", "while :; do :; done"}, {"--cpu-time", "300ms", "--wall-time", "60s"});
  CHECK(one.result["status"] == "time-limit");
  CHECK(one.r.exit_code == kKilledStatus);
  CHECK(one.result["cpu_time_ms"].get<long>() > 300);
  // Two children of 900 ms each, neither over the limit alone (nor stopped by its
  // RLIMIT_CPU of 2 s): together they are.
  auto two = limited({"/bin/sh", "-c", "/probe spin 900 & /probe spin 900 & wait"},
                     {"--cpu-time", "1500ms", "--wall-time", "60s"});
  CHECK(two.result["status"] == "time-limit");
  CHECK(two.result["cpu_time_ms"].get<long>() >= 1800);
  CHECK(two.r.err.find("hutch: time limit: ") == 0);
}

TEST_CASE("limits: CPU time is measured within 10% of the truth", "[integration][limits]") {
  // probe spin stops at 1000 ms of its own CPU time; the rest is busybox and exec.
  auto r = limited({"/probe", "spin", "1000"}, {});
  CHECK(r.result["status"] == "ok");
  const long cpu = r.result["cpu_time_ms"].get<long>();
  CHECK(cpu >= 1000);
  CHECK(cpu <= 1100);
}

TEST_CASE("limits: a normal run reports plausible statistics", "[integration][limits]") {
  auto r = limited({"/bin/true"}, {});
  CHECK(r.result["status"] == "ok");
  CHECK(r.result["cpu_time_ms"].is_number());
  CHECK(r.result["cpu_time_ms"].get<long>() < 1000);
  // busybox's resident set: more than a page, far less than 100 MB.
  CHECK(r.result["memory_peak_bytes"].get<long>() > 4096);
  CHECK(r.result["memory_peak_bytes"].get<long>() < 100L << 20);
  CHECK(r.result["context_switches_voluntary"].is_number());
  CHECK(r.result["run_time_ms"].get<long>() <= r.result["wall_time_ms"].get<long>());
}

TEST_CASE("limits: flags are checked as policy values are", "[integration][limits]") {
  auto r = run_hutch(run_args({"/bin/true"}, {"--memory", "lots"}));
  CHECK(r.exit_code == 125);
  CHECK(r.err.find("--memory: ") != std::string::npos);
  r = run_hutch(run_args({"/bin/true"}, {"--processes", "0"}));
  CHECK(r.err == "hutch: --processes: expected a whole number from 1 to 4194304, got \"0\"\n");
  r = run_hutch(run_args({"/bin/true"}, {"--wall-time", "0s"}));
  CHECK(r.err == "hutch: --wall-time: expected a duration of at least 1ms, got \"0s\"\n");
}
