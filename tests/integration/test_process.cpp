// Process lifecycle: exit statuses, signals, reaping, and nothing left behind.
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace std::chrono_literals;
using hutch::testing::paths;
using hutch::testing::probe;
using hutch::testing::run_args;
using hutch::testing::run_hutch;

namespace {

std::string unique_marker(const std::string& what) {
  return "hutch-it-" + what + "-" + std::to_string(::getpid());
}

}  // namespace

TEST_CASE("exit: the payload's exit code is hutch's", "[integration][exit]") {
  CHECK(probe({"exit", "0"}).exit_code == 0);
  CHECK(probe({"exit", "3"}).exit_code == 3);
  CHECK(probe({"exit", "124"}).exit_code == 124);
  CHECK(probe({"exit", "255"}).exit_code == 255);
}

TEST_CASE("exit: a payload killed by signal N gives 128+N and no message", "[integration][exit]") {
  auto kill9 = probe({"kill-self", "9"});
  CHECK(kill9.exit_code == 137);
  CHECK(kill9.err == "");
  CHECK(probe({"kill-self", "15"}).exit_code == 143);
  CHECK(probe({"kill-self", "11"}).exit_code == 139);
}

TEST_CASE("exit: a missing command is 127, a non-executable one 126, with the errno", "[integration][exit]") {
  auto missing = run_hutch(run_args({"/no/such/program"}));
  CHECK(missing.exit_code == 127);
  CHECK(missing.err == "hutch: exec /no/such/program: No such file or directory (ENOENT)\n");
  auto not_in_path = run_hutch(run_args({"no-such-program"}));
  CHECK(not_in_path.exit_code == 127);
  CHECK(not_in_path.err ==
        "hutch: exec no-such-program: command not found "
        "(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)\n");
  auto directory = run_hutch(run_args({"/etc"}));
  CHECK(directory.exit_code == 126);
  CHECK(directory.err == "hutch: exec /etc: Permission denied (EACCES)\n");
}

TEST_CASE("exit: a command found through the sandbox's PATH runs", "[integration][exit]") {
  auto r = run_hutch(run_args({"echo", "found"}));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "found\n");
}

TEST_CASE("exit: hutch's own failures are 125 with a one-line message", "[integration][exit]") {
  auto r = run_hutch(run_args({"/probe", "echo"}, {"--workdir", "/nonexistent"}));
  CHECK(r.exit_code == 125);
  CHECK(r.err == "hutch: chdir to workdir /nonexistent: No such file or directory (ENOENT)\n");
  auto usage = run_hutch({"run", "--no-such-option", "--", "/probe"});
  CHECK(usage.exit_code == 125);
  CHECK(usage.err == "hutch: unrecognised option '--no-such-option'\nTry 'hutch run --help'.\n");
}

TEST_CASE("init: orphaned zombies are reaped", "[integration][process]") {
  auto r = probe({"orphans", "20"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "reaped\n");
}

TEST_CASE("init: stdin is /dev/null unless -i", "[integration][process]") {
  auto without = run_hutch(run_args({"/bin/cat"}), {.stdin_data = "input\n"});
  CHECK(without.exit_code == 0);
  CHECK(without.out == "");
  auto with = run_hutch(run_args({"/bin/cat"}, {"-i"}), {.stdin_data = "input\n"});
  CHECK(with.exit_code == 0);
  CHECK(with.out == "input\n");
}

TEST_CASE("lifetime: nothing survives when hutch is SIGKILLed", "[integration][process]") {
  const std::string marker = unique_marker("sigkill");
  auto hutch = hutch::testing::spawn_hutch(run_args({"/probe", "sleepers", "3", marker}));
  REQUIRE(hutch.read_line() == "ready");
  // hutch itself, the sandbox's init, the payload and its 3 sleepers
  REQUIRE(hutch::testing::processes_with_marker(marker).size() == 6);
  ::kill(hutch.pid(), SIGKILL);
  CHECK(hutch.wait() == 137);
  CHECK(hutch::testing::wait_until_gone(marker));
}

TEST_CASE("lifetime: SIGTERM to hutch reaches the payload and ends the sandbox", "[integration][process]") {
  const std::string marker = unique_marker("sigterm");
  auto hutch = hutch::testing::spawn_hutch(run_args({"/probe", "sleepers", "2", marker}));
  REQUIRE(hutch.read_line() == "ready");
  ::kill(hutch.pid(), SIGTERM);
  CHECK(hutch.wait() == 143);  // the payload died of the relayed SIGTERM
  CHECK(hutch::testing::wait_until_gone(marker));
}

TEST_CASE("lifetime: when the payload exits, its leftover children die with the sandbox", "[integration][process]") {
  const std::string marker = unique_marker("leftover");
  auto r = run_hutch(run_args({"/bin/sh", "-c", "/probe sleepers 2 " + marker + " & sleep 0.2; exit 7"}));
  CHECK(r.exit_code == 7);
  CHECK(hutch::testing::wait_until_gone(marker));
}

TEST_CASE("signals: a signal to hutch's process group reaches the command once", "[integration][process]") {
  auto hutch = hutch::testing::spawn_hutch(run_args({"/probe", "count-usr1"}));
  REQUIRE(hutch.read_line() == "ready");
  ::kill(-hutch.pid(), SIGUSR1);  // as a terminal's ^C or `kill -- -PGID` would
  CHECK(hutch.read_line() == "1");
  CHECK(hutch.wait() == 0);
}

namespace {

char process_state(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && line.size() > paren + 2 ? line[paren + 2] : '?';
}

// Polls (a hang guard, not a timing assertion) until pid is (or, negated, is not) in state.
bool wait_for_state(pid_t pid, char state, bool negated = false) {
  for (int i = 0; i < 1000; ++i) {
    if ((process_state(pid) == state) != negated) return true;
    ::usleep(10000);
  }
  return false;
}

}  // namespace

TEST_CASE("signals: SIGTSTP suspends the whole run, SIGCONT resumes it", "[integration][process]") {
  const std::string marker = unique_marker("tstp");
  auto hutch = hutch::testing::spawn_hutch(run_args({"/bin/sh", "-c", "echo started; /probe sleepers 0 " + marker}));
  REQUIRE(hutch.read_line() == "started");
  REQUIRE(hutch.read_line() == "ready");
  // The command's process group is orphaned inside the sandbox; a plain SIGTSTP would
  // be discarded there: the whole job must stop nonetheless.
  ::kill(hutch.pid(), SIGTSTP);
  CHECK(wait_for_state(hutch.pid(), 'T'));
  std::vector<pid_t> sandboxed;
  for (pid_t p : hutch::testing::processes_with_marker(marker)) {
    if (p != hutch.pid()) sandboxed.push_back(p);
  }
  REQUIRE(sandboxed.size() == 2);  // init's name carries the marker too; the probe stops
  int stopped = 0;
  for (pid_t p : sandboxed) stopped += wait_for_state(p, 'T') ? 1 : 0;
  CHECK(stopped == 1);
  ::kill(hutch.pid(), SIGCONT);
  for (pid_t p : sandboxed) CHECK(wait_for_state(p, 'T', true));
  ::kill(hutch.pid(), SIGTERM);
  CHECK(hutch.wait() == 143);
}

TEST_CASE("signals: SIGINT reaches the command's whole job, as ^C would", "[integration][process]") {
  auto hutch = hutch::testing::spawn_hutch(run_args({"/bin/sh", "-c", "echo started; sleep 30; echo not-interrupted"}));
  REQUIRE(hutch.read_line() == "started");
  ::kill(hutch.pid(), SIGINT);  // sh waits for sleep; only a signal to the group ends sleep now
  CHECK(hutch.wait() == 130);
}

TEST_CASE("signals: what the caller ignores (nohup) stays ignored, and is not relayed", "[integration][process]") {
  auto r = run_hutch(run_args({"/bin/sh", "-c", "kill -HUP $$; echo survived"}), {.ignored_signals = {SIGHUP}});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "survived\n");
  auto hutch = hutch::testing::spawn_hutch(run_args({"/bin/sh", "-c", "echo started; sleep 0.5; echo finished"}), {SIGHUP});
  REQUIRE(hutch.read_line() == "started");
  ::kill(hutch.pid(), SIGHUP);
  CHECK(hutch.read_line() == "finished");
  CHECK(hutch.wait() == 0);
}

TEST_CASE("exit: a caller that ignores SIGCHLD still gets the exact status", "[integration][exit]") {
  auto r = run_hutch(run_args({"/probe", "exit", "7"}), {.ignored_signals = {SIGCHLD}});
  CHECK(r.err == "");
  CHECK(r.exit_code == 7);
}

TEST_CASE("errors: a bad --rootfs is a clear error and leaves nothing behind", "[integration][errors]") {
  const auto mounts_before = hutch::testing::host_mount_points();
  const std::string marker = unique_marker("bad-rootfs");
  const auto runtime_before = hutch::testing::list_dir(hutch::testing::required_env("XDG_RUNTIME_DIR"));
  const auto work_before = hutch::testing::list_dir(paths().work);

  const std::string missing = (paths().work / "no-such-root").string();
  auto r = run_hutch({"run", "--rootfs", missing, "--", "/probe", "echo", marker});
  CHECK(r.exit_code == 125);
  CHECK(r.err == "hutch: rootfs " + missing + ": No such file or directory (ENOENT)\n");

  const std::string file = hutch::testing::host_temp_file("not-a-dir").string();
  auto nondir = run_hutch({"run", "--rootfs", file, "--", "/probe", "echo", marker});
  CHECK(nondir.exit_code == 125);
  CHECK(nondir.err == "hutch: rootfs " + file + ": Not a directory (ENOTDIR)\n");

  // A root that exists but cannot hold the command fails inside the sandbox: the same.
  const auto empty = paths().work / "empty-root";
  std::filesystem::create_directories(empty);
  auto inside = run_hutch({"run", "--rootfs", empty.string(), "--", "/probe", "echo", marker});
  CHECK(inside.exit_code == 127);
  CHECK(inside.err == "hutch: exec /probe: No such file or directory (ENOENT)\n");

  CHECK(hutch::testing::host_mount_points() == mounts_before);
  CHECK(hutch::testing::processes_with_marker(marker).empty());
  CHECK(hutch::testing::list_dir(hutch::testing::required_env("XDG_RUNTIME_DIR")) == runtime_before);
  auto work_after = hutch::testing::list_dir(paths().work);
  std::erase_if(work_after, [](const std::string& n) { return n == "empty-root" || n == "host-not-a-dir"; });
  CHECK(work_after == work_before);
  CHECK(hutch::testing::list_dir(empty).empty());  // the overlay never wrote into it
}
