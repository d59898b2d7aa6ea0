// The escape suite (`hutch selftest`, docs/selftest.md) run by the unprivileged user
// against the real kernel: every attack held under the shipped policies, and negative
// controls showing the attacks do reach what they go for when nothing stops them
// (--unconfined) or when a policy opens a door, so that "held" cannot be a probe that
// never works.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using hutch::testing::paths;
using hutch::testing::run_hutch;

namespace {

namespace fs = std::filesystem;

// The selftest's private workspaces go to a directory of this test, which must be
// empty again afterwards: nothing is left on the host.
fs::path selftest_tmpdir() {
  fs::path dir = paths().work / "selftest-tmp";
  fs::create_directories(dir);
  return dir;
}

struct Suite {
  int exit_code = -1;
  std::map<std::string, std::string> verdicts;  // attack -> held, breached, error, not-run
  std::string text;                             // the whole output, for failure messages
};

Suite selftest(const std::vector<std::string>& extra) {
  std::vector<std::string> args{"selftest", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const fs::path tmp = selftest_tmpdir();
  const auto r = run_hutch(args, {.env = {"TMPDIR=" + tmp.string()}});
  Suite s{r.exit_code, {}, r.out + r.err};
  CHECK(hutch::testing::list_dir(tmp).empty());
  if (r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 2) {
    const nlohmann::json j = nlohmann::json::parse(r.out);
    for (const nlohmann::json& a : j.at("attacks")) s.verdicts[a.at("attack")] = a.at("verdict");
  }
  return s;
}

// Names in the first column of `hutch selftest --list` (or one per line).
std::vector<std::string> first_words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line.substr(0, line.find(' ')));
  }
  return out;
}

std::vector<std::string> listed_attacks() {
  const auto r = run_hutch({"selftest", "--list"});
  REQUIRE(r.exit_code == 0);
  return first_words(r.out);
}

std::set<std::string> with_verdict(const Suite& s, const std::string& verdict) {
  std::set<std::string> out;
  for (const auto& [attack, v] : s.verdicts)
    if (v == verdict) out.insert(attack);
  return out;
}

// Every attack held, but those the policy lets through on purpose.
void check_every_attack_held(const Suite& s, const std::set<std::string>& permitted = {}) {
  INFO(s.text);
  CHECK(s.exit_code == 0);
  std::vector<std::string> ran;
  for (const auto& [attack, verdict] : s.verdicts) {
    ran.push_back(attack);
    const std::string expected = permitted.count(attack) != 0 ? "permitted" : "held";
    INFO(attack);
    CHECK(verdict == expected);
  }
  std::vector<std::string> listed = listed_attacks();
  std::sort(listed.begin(), listed.end());
  CHECK(ran == listed);  // std::map keeps `ran` sorted
  CHECK(listed.size() >= 30);
}

// A small file in this test's scratch directory, readable by hutch.
fs::path write_policy(const std::string& name, const std::string& text) {
  fs::path p = paths().work / name;
  std::ofstream(p) << text;
  return p;
}

}  // namespace

TEST_CASE("security: every attack of the escape suite is held under the default policy", "[integration][security]") {
  check_every_attack_held(selftest({}));
}

TEST_CASE("security: every attack of the escape suite is held under the judge policy", "[integration][security]") {
  check_every_attack_held(selftest({"--policy", "judge"}));
}

TEST_CASE("security: every attack of the escape suite is held under the ci and shell policies",
          "[integration][security]") {
  // ci shares the host's network (network: host): reaching the host's loopback is what
  // it is for, and the suite says so rather than calling it a breach.
  check_every_attack_held(selftest({"--policy", "ci"}), {"host-abstract-socket", "host-loopback"});
  check_every_attack_held(selftest({"--policy", "shell"}));
}

TEST_CASE("security: unconfined, the attacks reach what they go for", "[integration][security]") {
  const Suite s = selftest({"--unconfined"});
  INFO(s.text);
  CHECK(s.exit_code == 1);
  CHECK(with_verdict(s, "error").empty());
  // What no kernel setting stops for an ordinary process: the suite's own bait, files,
  // listeners, descriptor and environment. The rest (ptrace of a sibling, TIOCSTI,
  // keyrings, perf events, userfaultfd, user namespaces) depends on sysctls; which of
  // them this machine allows shows in the output above.
  const std::set<std::string> breached = with_verdict(s, "breached");
  for (const char* attack :
       {"host-processes", "hutch-binary", "read-host-file", "write-rootfs", "write-ro-bind", "escape-root",
        "leaked-fds", "reopen-stdin", "host-loopback", "host-abstract-socket", "caller-env"}) {
    CHECK(breached.count(attack) == 1);
  }
  // A hostile root filesystem attacks hutch's own mounts: there are none to attack.
  CHECK(with_verdict(s, "not-run") ==
        std::set<std::string>{"hostile-bind-target", "hostile-dev", "hostile-proc", "hostile-tmp"});
}

TEST_CASE("security: a policy that opens doors is breached through exactly those doors", "[integration][security]") {
  // network: host and nested user namespaces are doors a policy opens knowingly
  // (permitted); a seccomp rule letting keyctl through exposes the user's keyrings, which
  // the suite calls a breach.
  const fs::path weak = write_policy("weak.yaml",
                                     "version: 1\n"
                                     "extends: default\n"
                                     "network: host\n"
                                     "namespaces: {nested_user: true}\n"
                                     "seccomp:\n"
                                     "  rules:\n"
                                     "    - {syscall: add_key, action: allow}\n"
                                     "    - {syscall: keyctl, action: allow}\n");
  const Suite s = selftest({"--policy", weak.string()});
  INFO(s.text);
  CHECK(s.exit_code == 1);
  CHECK(with_verdict(s, "breached") == std::set<std::string>{"keyctl"});
  CHECK(with_verdict(s, "permitted") ==
        std::set<std::string>{"host-abstract-socket", "host-loopback", "nested-userns"});
  CHECK(with_verdict(s, "error").empty());
}

TEST_CASE("security: the suite names the same attacks as the attack program", "[integration][security]") {
  // hutch-attack's helpers: setuid-report (what a setuid copy runs with), noop (the
  // control run) and mount-targets (the hostile roots' command).
  const auto r = hutch::testing::run_hutch_binary((paths().hutch.parent_path() / "hutch-attack").string(), {"--list"});
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> programs = first_words(r.out);
  std::erase_if(programs,
                [](const std::string& a) { return a == "setuid-report" || a == "noop" || a == "mount-targets"; });
  std::vector<std::string> suite = listed_attacks();
  std::erase_if(suite, [](const std::string& a) { return a.rfind("hostile-", 0) == 0; });
  CHECK(programs == suite);
}

TEST_CASE("security: a policy hutch refuses stops the suite before any attack", "[integration][security]") {
  const fs::path bad = write_policy("bad.yaml", "version: 1\nnetwork: wifi\n");
  const Suite s = selftest({"--policy", bad.string()});
  INFO(s.text);
  CHECK(s.exit_code == 125);
  CHECK(s.text.find("bad.yaml:2:10: network: expected none, loopback or host, got \"wifi\"") != std::string::npos);
  CHECK(s.verdicts.empty());
}

TEST_CASE("security: a signal stops the suite, and nothing it made is left", "[integration][security]") {
  // A policy file whose path marks every process of this suite: hutch selftest, its
  // bait (a fork) and every `hutch run` it starts (and their inits) carry it in their
  // command lines. Runs follow each other with only a snapshot between them, so the
  // signal most often lands while one is in progress, which must be stopped too.
  const std::string marker = "stop-marker-" + std::to_string(::getpid());
  const fs::path policy = write_policy(marker + ".yaml", "version: 1\n");
  const fs::path tmp = selftest_tmpdir();
  const char* old_tmpdir = std::getenv("TMPDIR");
  const std::string saved = old_tmpdir != nullptr ? old_tmpdir : "";
  REQUIRE(::setenv("TMPDIR", tmp.c_str(), 1) == 0);
  hutch::testing::Spawned suite = hutch::testing::spawn_hutch({"selftest", "--policy", policy.string()});
  if (old_tmpdir != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  REQUIRE(suite.read_line().rfind("hutch selftest:", 0) == 0);
  const std::string first = suite.read_line();  // the control ran, the attacks go on
  INFO(first);
  REQUIRE(first.find("host-processes") != std::string::npos);
  REQUIRE(::kill(suite.pid(), SIGTERM) == 0);
  // Caught, not killed by it: exit status 128+15 after the cleanup. Killed by the
  // signal, the suite would leave its workspace, bait and run behind.
  const int status = suite.wait_status();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  CHECK(hutch::testing::processes_with_marker(marker).empty());  // waited for, not just signalled
  CHECK(hutch::testing::list_dir(tmp).empty());
}
