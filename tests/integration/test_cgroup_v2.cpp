// The cgroup v2 backend against the real kernel, as the unprivileged user, in the cgroup
// v2 the harness delegated to each test process (fixture.hpp): where the sandbox is
// placed, how hutch takes over a cgroup it is alone in and gives it back, the clean-up
// of runs of a hutch that was killed, and what -v says. The limits and statistics are
// tested in test_limits.cpp.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "harness.hpp"

namespace fs = std::filesystem;
using hutch::testing::paths;
using hutch::testing::read_text;
using hutch::testing::run_args;
using hutch::testing::run_hutch;

namespace {

// The test process's own cgroup (it and the hutch it starts are in it), or a skip.
fs::path shared_cgroup() {
  if (paths().cgroup_v2_dir.empty()) hutch::testing::skip("cgroup v2: " + paths().cgroup_v2_skip_reason);
  return fs::path(paths().cgroup_v2_dir) / "self";
}

// A cgroup's path as /proc/PID/cgroup shows it, from the cgroup2 mount point.
std::string as_in_proc(const fs::path& dir) {
  const fs::path mount = fs::path(paths().cgroup_v2_dir).parent_path().parent_path();
  return "0::/" + fs::relative(dir, mount).string() + "\n";
}

// The v2 line of /proc/PID/cgroup.
std::string v2_line(pid_t pid) {
  const std::string text = read_text("/proc/" + std::to_string(pid) + "/cgroup");
  const std::size_t at = text.find("0::/");
  return at == std::string::npos ? "" : text.substr(at);
}

// Moves the calling process into `dir` (below the test's delegated cgroup).
void enter(const fs::path& dir) {
  std::ofstream procs(dir / "cgroup.procs");
  procs << 0;
  procs.flush();
  if (!procs) ::_exit(126);
}

const std::vector<std::string> kAuto{"XDG_CONFIG_HOME=/nonexistent"};  // no cgroups.conf: v2 = auto

}  // namespace

TEST_CASE("cgroup v2: the sandbox is in the run's leaf from clone3 on, hutch beside it",
          "[integration][limits][cgroup-v2]") {
  const std::string scope = hutch::testing::new_v2_scope();
  const std::string marker = "v2-placement-" + std::to_string(::getpid());
  hutch::testing::Spawned h = hutch::testing::spawn_hutch(
      run_args({"/bin/sh", "-c", "cat /proc/self/cgroup; echo ready; sleep 60; : " + marker}), {}, scope);
  // Inside, its own cgroup namespace is rooted at the leaf: "/", nothing of the host's.
  std::string inside;
  for (std::string line; (line = h.read_line()) != "ready" && !line.empty();) inside += line + "\n";
  CHECK(inside.find("0::/\n") != std::string::npos);
  // Outside: hutch moved itself out of the scope it was started alone in; the sandbox's
  // init (a clone of hutch, the same command line) and the command are in the leaf.
  // Nothing moved init there after clone3 (on cgroup v2 hutch writes no cgroup.procs
  // for it), so it was created there: CLONE_INTO_CGROUP.
  const fs::path top = fs::path(scope) / ("hutch-" + std::to_string(h.pid()));
  CHECK(v2_line(h.pid()) == as_in_proc(top / "supervisor"));
  const std::vector<pid_t> found = hutch::testing::processes_with_marker(marker);
  int in_leaf = 0;
  for (pid_t pid : found) {
    if (pid == h.pid()) continue;
    INFO(pid);
    CHECK(v2_line(pid) == as_in_proc(top / "run"));
    ++in_leaf;
  }
  CHECK(in_leaf >= 2);  // init and sh (and sh's child for sleep, just forked)
  CHECK(read_text(top / "run/cgroup.procs").find(std::to_string(h.pid())) == std::string::npos);
  ::kill(h.pid(), SIGTERM);  // relayed to the command
  CHECK(h.wait() == 128 + SIGTERM);
  // hutch moved itself back and left the scope as it found it.
  CHECK(hutch::testing::cgroup_children(scope).empty());
  CHECK(hutch::testing::wait_until_gone(marker));
  hutch::testing::remove_cgroup_tree(scope);
}

TEST_CASE("cgroup v2: a run in a cgroup shared with other processes gets a leaf, and hutch stays put",
          "[integration][limits][cgroup-v2]") {
  const fs::path self = shared_cgroup();
  const std::string file = (paths().work / "shared.json").string();
  auto r = run_hutch(run_args({"/bin/sh", "-c", "cat /proc/self/cgroup"}, {"-v", "--cpu-time", "5s", "--result", file}),
                     {.env = kAuto});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("0::/\n") != std::string::npos);
  // -v says what the cgroup gives and why no more: the test process is in it too.
  CHECK(r.err.find("hutch: cgroup v2: " + self.string() + " is delegated; runs get a leaf below it with ") !=
        std::string::npos);
  CHECK((r.err.find(self.string() + " holds 1 other process, so hutch cannot enable its controllers") !=
             std::string::npos ||
         r.err.find(self.string() + " offers no controller hutch uses") != std::string::npos));
  CHECK(read_text(file).find("\"cpu_time\":{\"value\":5000,\"backend\":\"cgroup-v2\"}") != std::string::npos);
  // Nothing is left below it, and the test process is where it was.
  for (const std::string& name : hutch::testing::cgroup_children(self)) CHECK(name.rfind("hutch-", 0) != 0);
  CHECK(v2_line(::getpid()) == as_in_proc(self));
}

TEST_CASE("cgroup v2: alone in its cgroup, hutch says it takes it over", "[integration][limits][cgroup-v2]") {
  const std::string scope = hutch::testing::new_v2_scope();
  auto r = run_hutch(run_args({"/bin/true"}, {"-v"}), {.env = kAuto, .cgroup = scope});
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("hutch: cgroup v2: " + scope +
                   " is delegated and hutch is alone in it (it moves itself to hutch-PID/supervisor); runs get a leaf "
                   "below it with ") != std::string::npos);
  CHECK(hutch::testing::cgroup_children(scope).empty());
  hutch::testing::remove_cgroup_tree(scope);
  // v2 = off: not used, and -v says so.
  const fs::path off = paths().work / "config-v2-off";
  fs::create_directories(off / "hutch");
  std::ofstream(off / "hutch/cgroups.conf") << "v2 = off\n";
  const std::string scope2 = hutch::testing::new_v2_scope();
  auto o = run_hutch(run_args({"/bin/true"}, {"-v"}), {.env = {"XDG_CONFIG_HOME=" + off.string()}, .cgroup = scope2});
  CHECK(o.err.find("hutch: cgroup v2: turned off by " + (off / "hutch/cgroups.conf").string() + ":1 (v2 = off)") !=
        std::string::npos);
  CHECK(hutch::testing::cgroup_children(scope2).empty());
  hutch::testing::remove_cgroup_tree(scope2);
}

TEST_CASE("cgroup v2: the next run removes what a killed hutch left, killing what still ran there (cgroup.kill)",
          "[integration][limits][cgroup-v2]") {
  const fs::path self = shared_cgroup();
  // The pid of a process that is gone, for a hutch-PID left behind by "a killed hutch".
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const fs::path stale = self / ("hutch-" + std::to_string(dead));
  for (const fs::path& d : {stale, stale / "supervisor", stale / "run"}) REQUIRE(::mkdir(d.c_str(), 0755) == 0);
  // Something still running in its leaf (normally the sandbox dies with its supervisor).
  const pid_t straggler = ::fork();
  if (straggler == 0) {
    enter(stale / "run");
    ::execl("/bin/sleep", "sleep", "100", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 500 && read_text(stale / "run/cgroup.procs").empty(); ++i) ::usleep(2000);
  REQUIRE(read_text(stale / "run/cgroup.procs") == std::to_string(straggler) + "\n");
  // A hutch-PID of a live process (this one) is not touched.
  const fs::path live = self / ("hutch-" + std::to_string(::getpid()));
  REQUIRE(::mkdir(live.c_str(), 0755) == 0);

  auto r = run_hutch(run_args({"/bin/true"}, {"-vv"}), {.env = kAuto});
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("] cgroup: removed stale " + stale.string() + "\n") != std::string::npos);
  int status = 0;
  CHECK(::waitpid(straggler, &status, 0) == straggler);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(live));
  ::rmdir(live.c_str());
}
