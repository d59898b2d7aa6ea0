// Resource limits against the real kernel, as the unprivileged user: the rlimits the
// payload gets, each verdict and the statistics of the result (docs/limits.md,
// docs/result.md), under each backend this host offers: cgroup v2 (the harness, as
// root, delegates each test process a cgroup as systemd would, and the test starts
// hutch alone in a fresh one below it), cgroup v1 (the harness delegates a subtree to
// the test user as an administrator would) and the rlimit fallback. What a host's
// cgroup v2 lacks (on the CI machine: memory, pids, cpu, cpuset) is skipped, naming
// what goes untested. The busybox fixture's sh and the probe are the workloads.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fixture.hpp"
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

enum class Backend { Rlimit, CgroupV1, CgroupV2 };

// An XDG_CONFIG_HOME whose hutch/cgroups.conf says `text`.
std::string config_home(const std::string& name, const std::string& text) {
  const std::filesystem::path home = paths().work / name;
  std::filesystem::create_directories(home / "hutch");
  std::ofstream(home / "hutch/cgroups.conf") << text;
  return home.string();
}

// The environment that selects a backend: XDG_CONFIG_HOME with a cgroups.conf. The
// test process is in a delegated cgroup v2 (fixture.hpp): the others turn it off.
std::vector<std::string> backend_env(Backend b) {
  if (b == Backend::CgroupV1) {
    if (paths().cgroup_v1_config_home.empty()) {
      hutch::testing::skip("cgroup v1: " + paths().cgroup_v1_skip_reason);
    }
    return {"XDG_CONFIG_HOME=" + paths().cgroup_v1_config_home};
  }
  if (b == Backend::CgroupV2) return {"XDG_CONFIG_HOME=" + config_home("config-v2", "v2 = auto\n")};
  return {"XDG_CONFIG_HOME=" + config_home("config-rlimit", "v2 = off\n")};
}

// The controllers a run started alone in a fresh cgroup v2 below the test's gets: what
// the test's delegated cgroup enables for its children.
std::string v2_controllers() {
  return hutch::testing::read_text(std::filesystem::path(paths().cgroup_v2_dir) / "cgroup.subtree_control");
}
bool v2_has(const std::string& controller) {
  std::istringstream in(v2_controllers());
  for (std::string c; in >> c;) {
    if (c == controller) return true;
  }
  return false;
}

// Skips a cgroup v2 test of `controller` on a host whose cgroup v2 lacks it, saying
// exactly what is then untested.
void require_v2_controller(const std::string& controller, const std::string& untested) {
  if (paths().cgroup_v2_dir.empty()) hutch::testing::skip("cgroup v2: " + paths().cgroup_v2_skip_reason);
  if (v2_has(controller)) return;
  const std::filesystem::path dir(paths().cgroup_v2_dir);
  std::string mount = dir.parent_path().parent_path().string();
  std::string root = hutch::testing::read_text(mount + "/cgroup.controllers");
  while (!root.empty() && root.back() == '\n') root.pop_back();
  hutch::testing::skip("cgroup v2 here has no " + controller + " controller (only [" + root + "] in " + mount +
                       "/cgroup.controllers): " + untested + " untested on this machine");
}

// `hutch run --result FILE LIMITS... -- PAYLOAD...`, with the result parsed. Under
// cgroup v2 hutch starts alone in a fresh cgroup (as under systemd-run --scope), which
// it must leave as it found it.
Run limited(const std::vector<std::string>& payload, std::vector<std::string> limits,
            Backend backend = Backend::Rlimit) {
  const std::string file = (paths().work / "limits-result.json").string();
  std::filesystem::remove(file);
  limits.insert(limits.begin(), {"--result", file});
  hutch::testing::RunOptions options{.env = backend_env(backend)};
  if (backend == Backend::CgroupV2) options.cgroup = hutch::testing::new_v2_scope();
  Run run{run_hutch(run_args(payload, limits), options), {}};
  run.result = nlohmann::json::parse(hutch::testing::read_text(file));
  if (!options.cgroup.empty()) {
    INFO(options.cgroup);
    CHECK(hutch::testing::cgroup_children(options.cgroup).empty());
    CHECK(hutch::testing::read_text(options.cgroup + "/cgroup.subtree_control").find_first_not_of('\n') ==
          std::string::npos);
    hutch::testing::remove_cgroup_tree(options.cgroup);
  }
  return run;
}

std::string backend_name(Backend b) {
  return b == Backend::CgroupV2 ? "cgroup-v2" : b == Backend::CgroupV1 ? "cgroup-v1" : "rlimit";
}
// Where this backend puts the pids and memory controllers (v2 only where offered).
std::string pids_backend(Backend b) {
  return b == Backend::CgroupV2 && !v2_has("pids") ? "rlimit" : backend_name(b);
}
bool has_memory_cgroup(Backend b) { return b == Backend::CgroupV1 || (b == Backend::CgroupV2 && v2_has("memory")); }

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

namespace {

// The verdicts and statistics, once per backend.
void wall_time_ends_everything(Backend b) {
  auto r = limited({"/bin/sh", "-c", "sleep 100 & sleep 100 & sleep 100; wait"}, {"--wall-time", "300ms"}, b);
  CHECK(r.r.exit_code == kKilledStatus);
  CHECK(r.result["status"] == "wall-time-limit");
  CHECK(r.result["run_time_ms"].get<long>() >= 300);
  CHECK(r.r.err == "hutch: wall-time limit: the run was stopped after 300 ms\n");
  CHECK(hutch::testing::wait_until_gone("sleep 100 & sleep 100 & sleep 100; wait"));
  // Within the limit: ok.
  auto ok = limited({"/bin/true"}, {"--wall-time", "10s"}, b);
  CHECK(ok.result["status"] == "ok");
}

void spinning_children_hit_the_cpu_limit(Backend b) {
  // Two processes that would spin for 100 s: the limit stops the run. Under a cgroup
  // (v2's cpu.stat, v1's cpuacct.usage) the supervisor samples the total every 50 ms
  // (a tenth of the limit): at most 500 ms + 2 CPUs x 50 ms, plus scheduling. Under
  // rlimits each process is stopped by its own RLIMIT_CPU of 1 s: the total is about
  // 2 s (docs/limits.md).
  auto r = limited({"/bin/sh", "-c", "/probe spin 100000 & /probe spin 100000 & wait"},
                   {"--cpu-time", "500ms", "--wall-time", "60s"}, b);
  CHECK(r.result["status"] == "time-limit");
  CHECK(r.r.exit_code == kKilledStatus);
  CHECK(r.result["limits"]["cpu_time"]["backend"] == backend_name(b));
  const long cpu = r.result["cpu_time_ms"].get<long>();
  CHECK(cpu > 500);
  CHECK(cpu < (b == Backend::Rlimit ? 2600 : 900));
  // Two children of 900 ms each, neither over the limit alone (nor stopped by its
  // RLIMIT_CPU of 2 s): together they are, and the verdict counts both.
  auto two = limited({"/bin/sh", "-c", "/probe spin 900 & /probe spin 900 & wait"},
                     {"--cpu-time", "1500ms", "--wall-time", "60s"}, b);
  CHECK(two.result["status"] == "time-limit");
  CHECK(two.result["cpu_time_ms"].get<long>() >= 1500);
  CHECK(two.r.err.find("hutch: time limit: ") == 0);
}

void statistics_are_accurate(Backend b) {
  // probe spin stops at 1000 ms of its own CPU time; the rest is busybox and exec.
  auto spin = limited({"/probe", "spin", "1000"}, {"--cpu-time", "10s"}, b);
  CHECK(spin.result["status"] == "ok");
  const long cpu = spin.result["cpu_time_ms"].get<long>();
  CHECK(cpu >= 1000);
  CHECK(cpu <= 1100);
  // 256 MiB touched: the peak is within 10% of it. (Large enough to stand above the
  // floor of max_rss, the resident set of the init the command starts as a copy of:
  // about 3 MB, and 80 MB in a sanitizer build.)
  auto mem = limited({"/probe", "alloc", "256"}, {"--memory", "1G"}, b);
  CHECK(mem.result["status"] == "ok");
  const double mib = 256.0 * 1024 * 1024;
  const double rss = mem.result["max_rss_bytes"].get<double>();
  CHECK(rss >= mib);
  CHECK(rss <= mib * 1.1);
  if (has_memory_cgroup(b)) {
    const double peak = mem.result["memory_peak_bytes"].get<double>();
    CHECK(peak >= mib);
    CHECK(peak <= mib * 1.1);
  } else {
    CHECK(mem.result["memory_peak_bytes"].is_null());  // no memory cgroup, no sandbox-wide figure
  }
  // The probe and 7 threads: 8 tasks at once (hutch's init left out), exactly.
  auto threads = limited({"/probe", "threads", "7"}, {}, b);
  CHECK(threads.r.out == "started 7 threads\n");
  if (pids_backend(b) == "rlimit") {
    CHECK(threads.result["processes_peak"].is_null());  // no pids cgroup
  } else {
    CHECK(threads.result["processes_peak"] == 8);
  }
  // A normal run: plausible figures.
  auto r = limited({"/bin/true"}, {}, b);
  CHECK(r.result["status"] == "ok");
  if (pids_backend(b) != "rlimit") CHECK(r.result["processes_peak"] == 1);
  CHECK(r.result["cpu_time_ms"].get<long>() < 1000);
  CHECK(r.result["max_rss_bytes"].get<long>() > 4096);
  CHECK(r.result["max_rss_bytes"].get<long>() < 100L << 20);
  CHECK(r.result["context_switches_voluntary"].is_number());
  CHECK(r.result["run_time_ms"].get<long>() <= r.result["wall_time_ms"].get<long>());
}

void fork_bomb_is_contained(Backend b) {
  // Every fork past the limit fails; the wall-time limit ends the bomb; nothing is left.
  auto r = limited({"/bin/sh", "-c", "b() { b | b & }; b; sleep 10"}, {"--processes", "20", "--wall-time", "2s"}, b);
  CHECK(r.result["status"] == "wall-time-limit");
  CHECK(r.result["limits"]["processes"]["backend"] == pids_backend(b));
  if (pids_backend(b) != "rlimit") {
    // pids.max is 21 with hutch's init: never more than 20 of the command's at once.
    CHECK(r.result["processes_peak"].get<long>() > 1);
    CHECK(r.result["processes_peak"].get<long>() <= 20);
  }
  CHECK(hutch::testing::wait_until_gone("b() { b | b & }; b; sleep 10"));
}

void output_flood_gives_output_limit(Backend b) {
  // Exactly the limit reaches stdout; the run ends; the count says how much was written.
  auto r = limited({"/bin/sh", "-c", "yes flood"}, {"--output", "1000B", "--wall-time", "30s"}, b);
  CHECK(r.result["status"] == "output-limit");
  CHECK(r.r.exit_code == kKilledStatus);
  CHECK(r.r.out.size() == 1000);
  CHECK(r.r.out.rfind("flood\nflood\n", 0) == 0);
  CHECK(r.result["output_bytes"].get<long>() > 1000);
  CHECK(r.result["limits"]["output"]["backend"] == "supervisor");
  CHECK(r.r.err.find("hutch: output limit: the command wrote more than 1000 bytes") != std::string::npos);
  // stderr counts too, and a run within the limit is ok with its count.
  auto err = limited({"/bin/sh", "-c", "yes flood >&2"}, {"--output", "2K"}, b);
  CHECK(err.result["status"] == "output-limit");
  auto ok = limited({"/bin/sh", "-c", "echo small; echo err >&2"}, {"--output", "1M"}, b);
  CHECK(ok.result["status"] == "ok");
  CHECK(ok.result["output_bytes"] == 10);
  CHECK(ok.r.out == "small\n");
}

void thread_bomb_is_contained(Backend b) {
  // Threads count as processes: the probe and 19 threads make the 20 (init is not counted).
  auto r = limited({"/probe", "threads", "10000"}, {"--processes", "20"}, b);
  CHECK(r.result["status"] == "ok");
  CHECK(r.r.out == "started 19 threads, then Resource temporarily unavailable\n");
}

void descriptors_and_files_are_limited(Backend b) {
  auto fds = limited({"/probe", "openmax"}, {"--open-files", "16"}, b);
  CHECK(fds.r.out == "opened 13, then Too many open files\n");  // 16 minus stdin, stdout, stderr
  auto big = limited({"/bin/sh", "-c", "head -c 2000000 /dev/zero > /tmp/f"}, {"--file-size", "1M"}, b);
  CHECK(big.result["status"] == "signaled");
  CHECK(big.result["signal"] == "SIGXFSZ");
  // A disk filler on a sized tmpfs: ENOSPC, the host's disk untouched.
  auto fill = limited({"/bin/sh", "-c", "cat /dev/zero > /work/f; echo $?; du -k /work/f"}, {"--tmpfs", "/work:1M"}, b);
  CHECK(fill.result["status"] == "ok");
  CHECK(fill.r.out.find("1\n1024\t/work/f\n") == 0);
}

// A CPU quota and a cpuset, from a policy (they have no flags).
void cpu_quota_and_cpuset_hold(Backend b, const std::string& limits_yaml) {
  const std::filesystem::path policy = paths().work / "cpus.yaml";
  std::ofstream(policy) << "version: 1\nlimits: " << limits_yaml << "\n";
  const std::string status = "/proc/self/status";
  auto r = limited({"/bin/cat", status}, {"--policy", policy.string()}, b);
  if (b == Backend::Rlimit) {
    CHECK(r.r.exit_code == 125);
    CHECK(r.r.err.find("needs the cpu") != std::string::npos);
    CHECK(r.result["status"] == "setup-error");
    return;
  }
  CHECK(r.result["status"] == "ok");
  if (limits_yaml.find("cpuset") != std::string::npos) {
    CHECK(r.result["limits"]["cpuset"]["backend"] == backend_name(b));
    CHECK(r.result["limits"]["cpuset"]["value"] == "0");
    CHECK(r.r.out.find("Cpus_allowed_list:\t0\n") != std::string::npos);
  }
  if (limits_yaml.find("cpus") != std::string::npos) {
    CHECK(r.result["limits"]["cpus"]["backend"] == backend_name(b));
    CHECK(r.result["limits"]["cpus"]["value"] == 500);
  }
}

}  // namespace

TEST_CASE("limits (rlimit): wall time ends the whole sandbox, children included", "[integration][limits]") {
  wall_time_ends_everything(Backend::Rlimit);
}
TEST_CASE("limits (cgroup v2): wall time ends the whole sandbox, children included", "[integration][limits]") {
  wall_time_ends_everything(Backend::CgroupV2);
}
TEST_CASE("limits (cgroup v2): spinning children give time-limit within the sampling bound", "[integration][limits]") {
  spinning_children_hit_the_cpu_limit(Backend::CgroupV2);
}
TEST_CASE("limits (cgroup v2): CPU time and memory statistics are accurate", "[integration][limits]") {
  statistics_are_accurate(Backend::CgroupV2);
}
TEST_CASE("limits (cgroup v2): a fork bomb is contained", "[integration][limits]") {
  fork_bomb_is_contained(Backend::CgroupV2);
}
TEST_CASE("limits (cgroup v2): a thread bomb is contained", "[integration][limits]") {
  thread_bomb_is_contained(Backend::CgroupV2);
}
TEST_CASE("limits (cgroup v2): an output flood gives output-limit", "[integration][limits]") {
  output_flood_gives_output_limit(Backend::CgroupV2);
}
TEST_CASE("limits (rlimit): cpus and cpuset are refused", "[integration][limits]") {
  cpu_quota_and_cpuset_hold(Backend::Rlimit, "{cpus: 0.5}");
}
TEST_CASE("limits (cgroup v1): cpus and cpuset are in force", "[integration][limits]") {
  cpu_quota_and_cpuset_hold(Backend::CgroupV1, "{cpus: 0.5, cpuset: \"0\"}");
}
TEST_CASE("limits (cgroup v2): cpus is in force (cpu.max)", "[integration][limits]") {
  require_v2_controller("cpu", "cpu.max (limits.cpus)");
  cpu_quota_and_cpuset_hold(Backend::CgroupV2, "{cpus: 0.5}");
}
TEST_CASE("limits (cgroup v2): cpuset is in force (cpuset.cpus)", "[integration][limits]") {
  require_v2_controller("cpuset", "cpuset.cpus (limits.cpuset)");
  cpu_quota_and_cpuset_hold(Backend::CgroupV2, "{cpuset: \"0\"}");
}
TEST_CASE("limits (cgroup v2): a memory hog gives memory-limit (memory.max, memory.events)", "[integration][limits]") {
  require_v2_controller("memory", "memory.max, memory.swap.max, memory.peak and the memory-limit verdict from "
                                  "memory.events");
  auto r = limited({"/probe", "alloc", "200"}, {"--memory", "64M"}, Backend::CgroupV2);
  CHECK(r.result["status"] == "memory-limit");
  CHECK(r.r.exit_code == kKilledStatus);
  CHECK(r.result["limits"]["memory"]["backend"] == "cgroup-v2");
  CHECK(r.result["limits"]["swap"]["value"] == 0);  // memory.swap.max = 0
  CHECK(r.r.err.find("hutch: memory limit: the kernel killed ") != std::string::npos);
  CHECK(r.result["memory_peak_bytes"].get<double>() <= 64.0 * 1024 * 1024);
}
TEST_CASE("limits (cgroup v2): pids.max contains a fork bomb, pids.peak says how far it got", "[integration][limits]") {
  require_v2_controller("pids", "pids.max and pids.peak (limits.processes, processes_peak)");
  fork_bomb_is_contained(Backend::CgroupV2);  // with pids on v2, it expects backend cgroup-v2
}

TEST_CASE("limits (rlimit): spinning children give time-limit", "[integration][limits]") {
  spinning_children_hit_the_cpu_limit(Backend::Rlimit);
}
TEST_CASE("limits (cgroup v1): spinning children give time-limit within the sampling bound", "[integration][limits]") {
  spinning_children_hit_the_cpu_limit(Backend::CgroupV1);
}
TEST_CASE("limits (rlimit): CPU time and memory statistics are accurate", "[integration][limits]") {
  statistics_are_accurate(Backend::Rlimit);
}
TEST_CASE("limits (cgroup v1): CPU time and memory statistics are accurate", "[integration][limits]") {
  statistics_are_accurate(Backend::CgroupV1);
}
TEST_CASE("limits (rlimit): a fork bomb is contained", "[integration][limits]") {
  fork_bomb_is_contained(Backend::Rlimit);
}
TEST_CASE("limits (cgroup v1): a fork bomb is contained", "[integration][limits]") {
  fork_bomb_is_contained(Backend::CgroupV1);
}
TEST_CASE("limits (rlimit): an output flood gives output-limit", "[integration][limits]") {
  output_flood_gives_output_limit(Backend::Rlimit);
}
TEST_CASE("limits (cgroup v1): an output flood gives output-limit", "[integration][limits]") {
  output_flood_gives_output_limit(Backend::CgroupV1);
}
TEST_CASE("limits (rlimit): a thread bomb is contained", "[integration][limits]") {
  thread_bomb_is_contained(Backend::Rlimit);
}
TEST_CASE("limits (cgroup v1): a thread bomb is contained", "[integration][limits]") {
  thread_bomb_is_contained(Backend::CgroupV1);
}
TEST_CASE("limits (rlimit): descriptors, file size and a sized tmpfs hold", "[integration][limits]") {
  descriptors_and_files_are_limited(Backend::Rlimit);
}
TEST_CASE("limits (cgroup v1): descriptors, file size and a sized tmpfs hold", "[integration][limits]") {
  descriptors_and_files_are_limited(Backend::CgroupV1);
}

namespace {

// The same hogs under each backend: small pieces (from brk), large ones (mmap), and the
// break grown by hand. Under a memory cgroup the OOM killer stops them; under RLIMIT_AS
// the allocation fails, the program gives up, and the supervisor, which watched the
// request, says why.
void memory_hog_gives_memory_limit(Backend b) {
  // max_rss counts the init the command starts as a copy of (about 3 MB, 90 MB in a
  // sanitizer build): a hog stays within the limit above that floor.
  const double rss_floor =
      limited({"/probe", "exit", "0"}, {"--memory", "64M"}, b).result["max_rss_bytes"].get<double>();
  for (const std::vector<std::string>& hog : std::vector<std::vector<std::string>>{
           {"/probe", "hog", "200"}, {"/probe", "hog", "200", "1024"}, {"/probe", "sbrk", "200"}}) {
    INFO(hog[1] + (hog.size() > 3 ? " " + hog[3] : ""));
    auto r = limited(hog, {"--memory", "64M"}, b);
    CHECK(r.result["status"] == "memory-limit");
    CHECK(r.r.exit_code == kKilledStatus);
    CHECK(r.result["limits"]["memory"]["backend"] == backend_name(b));
    if (b == Backend::CgroupV1) {
      CHECK(r.result["limits"]["swap"]["value"] == 0);  // swap off: memsw = memory
      CHECK(r.r.err.find("hutch: memory limit: the kernel killed ") != std::string::npos);
      CHECK(r.result["memory_peak_bytes"].get<double>() <= 64.0 * 1024 * 1024);
    } else {
      CHECK(r.r.err.find(" more bytes of address space, which would have made ") != std::string::npos);
      CHECK(r.r.err.find("past the limit of 67108864 bytes (RLIMIT_AS); the kernel refused it") != std::string::npos);
      CHECK(r.result["max_rss_bytes"].get<double>() <= rss_floor + 64.0 * 1024 * 1024);
    }
  }
  // Within the limit, the same program is fine.
  auto fits = limited({"/probe", "hog", "16"}, {"--memory", "64M"}, b);
  CHECK(fits.r.out == "allocated 16 MiB\n");
  CHECK(fits.result["status"] == "ok");
}

}  // namespace

TEST_CASE("limits (rlimit): a memory hog gives memory-limit, whether it grows by brk, mmap or sbrk",
          "[integration][limits]") {
  memory_hog_gives_memory_limit(Backend::Rlimit);
}

TEST_CASE("limits (cgroup v1): a memory hog gives memory-limit, and the run's cgroups are removed",
          "[integration][limits]") {
  memory_hog_gives_memory_limit(Backend::CgroupV1);
  // Nothing is left below the delegated directories: every hutch-run-PID there belongs
  // to a hutch still running (other tests run in parallel).
  for (const char* c : hutch::testing::kCgroupV1Controllers) {
    const auto dir = std::filesystem::path("/sys/fs/cgroup") / c / "hutch" / hutch::testing::kTestUser;
    for (const auto& name : hutch::testing::list_dir(dir)) {
      if (name.rfind("hutch-run-", 0) != 0) continue;
      INFO(dir.string() + "/" + name);
      CHECK((::kill(std::stoi(name.substr(10)), 0) == 0 || !std::filesystem::exists(dir / name)));
    }
  }
}

TEST_CASE("limits (rlimit): a program that copes with a refused allocation is ok, and the watch keeps the policy",
          "[integration][limits]") {
  // malloc(200 MiB) fails; the probe prints ENOMEM and exits 0: the run is fine.
  auto coped = limited({"/probe", "alloc", "200"}, {"--memory", "64M"});
  CHECK(coped.r.out == "ENOMEM\n");
  CHECK(coped.result["status"] == "ok");
  // While mmap, mremap and brk are watched, a forbidden call is still a violation, and
  // what the policy refuses with an errno stays refused.
  auto ptrace = limited({"/probe", "ptrace", "1"}, {"--policy", "judge", "--memory", "64M"});
  CHECK(ptrace.result["status"] == "seccomp-violation");  // judge: kill
  auto mount = limited({"/probe", "raw", "165"}, {"--memory", "64M"});
  CHECK(mount.r.out == "EPERM\n");  // default: an errno
  auto verbose = run_hutch(run_args({"/probe", "echo", "hi"}, {"-vv", "--memory", "64M"}), {.env = backend_env(Backend::Rlimit)});
  CHECK(verbose.out == "hi\n");
  CHECK(verbose.err.find("mmap/mremap/brk watched for the memory limit") != std::string::npos);
}

TEST_CASE("limits: extra time lets a run finish past its limits, and the verdicts stay", "[integration][limits]") {
  auto wall = limited({"/bin/sh", "-c", "sleep 0.6; echo finished"}, {"--wall-time", "200ms", "--extra-time", "5s"});
  CHECK(wall.r.out == "finished\n");
  CHECK(wall.result["status"] == "wall-time-limit");
  CHECK(wall.r.err.find("hutch: wall-time limit: the run took ") == 0);
  CHECK(wall.result["limits"]["extra_time"]["value"] == 5000);
  auto cpu = limited({"/probe", "spin", "600"}, {"--cpu-time", "300ms", "--extra-time", "3s"});
  CHECK(cpu.result["status"] == "time-limit");
  CHECK(cpu.result["exit_code"].is_null());
  CHECK(cpu.result["cpu_time_ms"].get<long>() >= 600);
}

TEST_CASE("stdio: --stdin, --stdout and --stderr are host files hutch opens", "[integration][limits]") {
  const std::filesystem::path dir = paths().work / "stdio";
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "in.txt") << "line one\nline two\n"; }
  const std::string in = (dir / "in.txt").string(), out = (dir / "out.txt").string(), err = (dir / "err.txt").string();
  auto r = run_hutch(run_args({"/bin/sh", "-c", "wc -l; echo to-err >&2"}, {"--stdin", in, "--stdout", out, "--stderr", err}));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "");
  CHECK(hutch::testing::read_text(out) == "2\n");
  CHECK(hutch::testing::read_text(err) == "to-err\n");
  // One file for both: the streams interleave in order.
  auto both = run_hutch(run_args({"/bin/sh", "-c", "echo a; echo b >&2; echo c"}, {"--stdout", out, "--stderr", out}));
  CHECK(hutch::testing::read_text(out) == "a\nb\nc\n");
  // A file that cannot be opened stops the run before anything exists.
  auto bad = run_hutch(run_args({"/bin/true"}, {"--stdout", (dir / "no/such/dir/f").string()}));
  CHECK(bad.exit_code == 125);
  CHECK(bad.err.find("hutch: --stdout: open ") == 0);
  auto tty = run_hutch(run_args({"/bin/true"}, {"-t", "--stdout", out}));
  CHECK(tty.exit_code == 125);
  CHECK(tty.err.find("-t does not combine with") != std::string::npos);
  auto i = run_hutch(run_args({"/bin/true"}, {"-i", "--stdin", in}));
  CHECK(i.err.find("-i forwards hutch's stdin; --stdin FILE replaces it") != std::string::npos);
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
