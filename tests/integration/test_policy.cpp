// Policy files: hutch policy list/check/show, and real sandboxes run under each
// shipped policy, under a user's own, and with command-line overrides.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "harness.hpp"

namespace fs = std::filesystem;
using hutch::testing::paths;
using hutch::testing::read_text;
using hutch::testing::run_args;
using hutch::testing::run_hutch;

namespace {

void replace_all(std::string& text, const std::string& what, const std::string& with) {
  for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + with.size())) {
    text.replace(pos, what.size(), with);
  }
}

// A scratch directory with a policy file in it.
fs::path write_policy(const std::string& dir_name, const std::string& file, const std::string& text) {
  const fs::path dir = paths().work / dir_name;
  fs::create_directories(dir);
  std::ofstream(dir / file) << text;
  return dir / file;
}

hutch::testing::Result probe_with(const std::vector<std::string>& extra, const std::vector<std::string>& probe_args,
                                  const hutch::testing::RunOptions& options = {}) {
  std::vector<std::string> payload{"/probe"};
  payload.insert(payload.end(), probe_args.begin(), probe_args.end());
  return run_hutch(run_args(payload, extra), options);
}

}  // namespace

TEST_CASE("policy check: each malformed policy gives its exact message and exit 1", "[integration][policy]") {
  const fs::path cases = paths().policy_cases / "malformed";
  const std::string home = hutch::testing::required_env("HOME");
  const std::string prefix = (paths().hutch.parent_path().parent_path() / "share/hutch/policies").string();
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(cases)) {
    if (entry.path().extension() != ".expected") continue;
    const std::string name = entry.path().stem().string() + ".yaml";
    std::string expected = read_text(entry.path());
    // Placeholders for this machine's paths (the search path a missing parent names).
    replace_all(expected, "@CWD@", cases.string());
    replace_all(expected, "@CONFIG@", home + "/.config/hutch/policies");
    replace_all(expected, "@PREFIX@", prefix);
    auto r = run_hutch({"policy", "check", name}, {.cwd = cases.string()});
    INFO(name);
    CHECK(r.exit_code == 1);
    CHECK(r.out == "");
    CHECK(r.err == expected);
    ++checked;
  }
  CHECK(checked >= 25);
}

TEST_CASE("policy check: every shipped policy passes, as a file and by name", "[integration][policy]") {
  for (const std::string name : {"default", "judge", "ci", "shell"}) {
    const std::string file = (paths().policies / (name + ".yaml")).string();
    auto by_file = run_hutch({"policy", "check", file});
    INFO(name);
    CHECK(by_file.err == "");
    CHECK(by_file.exit_code == 0);
    CHECK(by_file.out == file + ": ok\n");
    // The built-in copy is the same text.
    auto shown = run_hutch({"policy", "show", name});
    CHECK(shown.out == "# builtin:" + name + ".yaml\n" + read_text(file));
  }
  auto all = run_hutch({"policy", "check", "default", "judge", "ci", "shell"});
  CHECK(all.exit_code == 0);
  CHECK(all.out == "builtin:default.yaml: ok\nbuiltin:judge.yaml: ok\nbuiltin:ci.yaml: ok\nbuiltin:shell.yaml: ok\n");
}

TEST_CASE("policy judge: no network, uid 1000, read-only root, a writable /work", "[integration][policy]") {
  const std::vector<std::string> judge{"--policy", "judge"};
  CHECK(probe_with(judge, {"netifs"}).out == "lo:down\n");
  CHECK(probe_with(judge, {"id"}).out == "uid=1000 gid=1000\n");
  CHECK(probe_with(judge, {"hostname"}).out == "judge\n");
  CHECK(probe_with(judge, {"write", "/work/answer"}).out == "OK\n");
  CHECK(probe_with(judge, {"write", "/answer"}).out == "EROFS\n");
  CHECK(probe_with(judge, {"status"}).out.find("CapEff:\t0000000000000000\n") != std::string::npos);
  auto sh = run_hutch(run_args({"/bin/sh", "-c", "pwd; echo $LANG; df -k /tmp | tail -1 | awk '{print $2}'"}, judge));
  CHECK(sh.err == "");
  CHECK(sh.out == "/work\nC.UTF-8\n65536\n");
  // The operator binds the submission over /work.
  const fs::path submission = paths().work / "submission";
  fs::create_directories(submission);
  std::ofstream(submission / "main.sh") << "echo graded\n";
  fs::permissions(submission, fs::perms(0777));
  auto graded = run_hutch(run_args({"/bin/sh", "main.sh"}, {"--policy", "judge", "--bind", submission.string() + ":/work"}));
  CHECK(graded.out == "graded\n");
}

TEST_CASE("policy default: the same sandbox as no policy at all", "[integration][policy]") {
  CHECK(probe_with({"--policy", "default"}, {"netifs"}).out == "lo:up\n");
  CHECK(probe_with({"--policy", "default"}, {"hostname"}).out == "hutch\n");
  CHECK(probe_with({"--policy", "default"}, {"env"}).out == probe_with({}, {"env"}).out);
}

TEST_CASE("policy ci: the working directory is the workspace, read-write", "[integration][policy]") {
  const fs::path workspace = paths().work / "ci-workspace";
  fs::create_directories(workspace);
  std::ofstream(workspace / "Makefile") << "all:\n";
  auto r = run_hutch(run_args({"/bin/sh", "-c", "pwd; ls; hostname; echo built > out.txt"}, {"--policy", "ci"}),
                     {.cwd = workspace.string()});
  CHECK(r.err == "");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "/workspace\nMakefile\nci\n");
  CHECK(read_text(workspace / "out.txt") == "built\n");
  // The host's network (until user-mode networking lands).
  CHECK(probe_with({"--policy", "ci"}, {"netifs"}, {.cwd = workspace.string()}).out ==
        probe_with({"--net", "host"}, {"netifs"}).out);
}

TEST_CASE("policy shell: an interactive shell keeps the caller's terminal type", "[integration][policy]") {
  auto r = run_hutch(run_args({"/bin/sh", "-c", "echo $TERM; pwd"}, {"--policy", "shell", "-t"}),
                     {.env = {"TERM=vt220"}});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "vt220\r\n/root\r\n");
}

TEST_CASE("policy: command-line flags override the policy", "[integration][policy]") {
  CHECK(probe_with({"--policy", "judge", "--net", "loopback"}, {"netifs"}).out == "lo:up\n");
  CHECK(probe_with({"--policy", "judge", "--uid", "0"}, {"id"}).out == "uid=0 gid=1000\n");
  CHECK(probe_with({"--policy", "judge", "--hostname", "other"}, {"hostname"}).out == "other\n");
}

TEST_CASE("policy: a file of one's own, with relative sources, extends and !reset", "[integration][policy]") {
  const fs::path data = paths().work / "own-policy" / "data";
  fs::create_directories(data);
  std::ofstream(data / "input.txt") << "from the policy's folder\n";
  const fs::path file = write_policy("own-policy", "grader.yaml",
                                     "version: 1\n"
                                     "extends: judge\n"
                                     "description: judge, with the test data\n"
                                     "mounts: !reset\n"
                                     "  - {type: bind, source: ./data, target: /data}\n"
                                     "  - {type: bind, source: ./absent, target: /absent, optional: true}\n"
                                     "env:\n"
                                     "  EXTRA: \"1\"\n");
  // Run from elsewhere: ./data is relative to the policy file, not to the caller.
  auto r = run_hutch(run_args({"/bin/sh", "-c", "cat /data/input.txt; echo $LANG $EXTRA; grep -c ' /work ' /proc/mounts; id -u"},
                              {"--policy", file.string()}),
                     {.cwd = "/"});
  CHECK(r.err == "");
  CHECK(r.exit_code == 0);
  // judge's /work tmpfs is gone with the !reset, its environment and user are kept.
  CHECK(r.out == "from the policy's folder\nC.UTF-8 1\n0\n1000\n");
}

TEST_CASE("policy show --resolved: what would run, which itself checks clean", "[integration][policy]") {
  auto shown = run_hutch({"policy", "show", "judge", "--resolved", "--hostname", "box", "--tmpfs", "/extra:1M"});
  CHECK(shown.exit_code == 0);
  CHECK(shown.out ==
        "# resolved from builtin:judge.yaml <- builtin:default.yaml and the command line\n"
        "\n"
        "version: 1\n"
        "description: \"Grading untrusted submissions: no network, uid 1000, read-only root, one writable /work\"\n"
        "user: {uid: 1000, gid: 1000}\n"
        "hostname: box\n"
        "namespaces: {nested_user: false}\n"
        "network: none\n"
        "mounts:\n"
        "  - {type: tmpfs, target: /work, size: 256M, mode: \"0755\"}\n"
        "  - {type: tmpfs, target: /tmp, size: 64M}\n"
        "  - {type: tmpfs, target: /extra, size: 1M}\n"
        "env:\n"
        "  LANG: \"C.UTF-8\"\n"
        "  MALLOC_ARENA_MAX: \"2\"\n"
        "env_pass: []\n"
        "workdir: /work\n"
        "init: true\n"
        "limits:\n"
        "  memory: 512M\n"
        "  processes: 64\n"
        "  cpu_time: 10s\n"
        "  wall_time: 30s\n"
        "  output: 64M\n"
        "  file_size: 64M\n"
        "  open_files: 256\n"
        "  stack: 64M\n"
        "preferred: []\n"
        "seccomp:\n"
        "  default: errno(ENOSYS)\n"
        "  baseline: kill\n"
        "  allow: !reset [\"@system-service\"]\n"
        "  rules: !reset\n"
        "    - {syscall: \"@debug\", action: kill}\n");
  const fs::path resolved = write_policy("resolved", "resolved.yaml", shown.out);
  auto check = run_hutch({"policy", "check", resolved.string()});
  CHECK(check.err == "");
  CHECK(check.exit_code == 0);
  CHECK(probe_with({"--policy", resolved.string()}, {"hostname"}).out == "box\n");
  // Faithful to the filter too: the resolved file gives the same, not the defaults' plus.
  auto filter = run_hutch({"policy", "seccomp", "judge"});
  auto again = run_hutch({"policy", "seccomp", resolved.string()});
  CHECK(filter.out.substr(filter.out.find('\n')) == again.out.substr(again.out.find('\n')));
}

TEST_CASE("policy list: the search path in order, a user's policy shadowing a shipped one", "[integration][policy]") {
  const fs::path config = paths().work / "xdg-config";
  fs::create_directories(config / "hutch/policies");
  std::ofstream(config / "hutch/policies/judge.yaml") << "version: 1\nextends: builtin-judge-is-not-a-name\n";
  std::ofstream(config / "hutch/policies/mine.yaml") << "version: 1\ndescription: my own\n";
  auto r = run_hutch({"policy", "list"}, {.env = {"XDG_CONFIG_HOME=" + config.string()}, .cwd = "/"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("judge        " + (config / "hutch/policies/judge.yaml").string()) != std::string::npos);
  CHECK(r.out.find("(invalid: ") != std::string::npos);
  CHECK(r.out.find("mine         " + (config / "hutch/policies/mine.yaml").string()) != std::string::npos);
  CHECK(r.out.find("my own") != std::string::npos);
  CHECK(r.out.find("builtin:judge.yaml") != std::string::npos);
  CHECK(r.out.find("(shadowed by an earlier one)") != std::string::npos);
  // And by name, the user's own wins: here it is broken, so the run fails, naming it.
  auto run = run_hutch(run_args({"/probe", "echo"}, {"--policy", "judge"}),
                       {.env = {"XDG_CONFIG_HOME=" + config.string()}, .cwd = "/"});
  CHECK(run.exit_code == 125);
  CHECK(run.err.rfind("hutch: " + (config / "hutch/policies/judge.yaml").string() + ":2:10: extends: no policy named", 0) == 0);
}

TEST_CASE("policy: a bad policy named on the command line stops the run with every error", "[integration][policy]") {
  const fs::path file = write_policy("bad-run", "bad.yaml", "version: 1\nnetwork: wifi\nhostnme: x\n");
  auto r = run_hutch(run_args({"/probe", "echo", "ran"}, {"--policy", file.string()}));
  CHECK(r.exit_code == 125);
  CHECK(r.out == "");
  CHECK(r.err == "hutch: " + file.string() + ":2:10: network: expected none, loopback or host, got \"wifi\"\n"
                 "hutch: " + file.string() + ":3:1: hostnme: unknown key (did you mean \"hostname\"?)\n");
  auto missing = run_hutch(run_args({"/probe", "echo"}, {"--policy", "no-such-policy"}), {.cwd = "/"});
  CHECK(missing.exit_code == 125);
  CHECK(missing.err.rfind("hutch: no-such-policy: no policy named \"no-such-policy\" (looked in /, ", 0) == 0);
}

TEST_CASE("policy: limits are checked, and a run that names one not enforced yet fails closed",
          "[integration][policy][security]") {
  const fs::path file = write_policy("limits", "limited.yaml",
                                     "version: 1\nextends: judge\nlimits: {memory: 256M, wall_time: 2s, cpus: 1}\n");
  auto check = run_hutch({"policy", "check", file.string()});
  CHECK(check.err == "");
  CHECK(check.exit_code == 0);
  auto shown = run_hutch({"policy", "show", file.string(), "--resolved"});
  // Merged key by key over judge's own.
  CHECK(shown.out.find("limits:\n  memory: 256M\n  processes: 64\n  cpu_time: 10s\n  wall_time: 2s\n  cpus: 1\n") !=
        std::string::npos);
  auto r = run_hutch(run_args({"/probe", "echo", "ran"}, {"--policy", file.string()}));
  CHECK(r.exit_code == 125);
  CHECK(r.out == "");
  CHECK(r.err.rfind("hutch: limits.cpus: it needs the cpu controller of a delegated cgroup", 0) == 0);
  CHECK(r.err.find("mark it `preferred: [limits.cpus]` to run without it") != std::string::npos);
  // Marked preferred, the run goes on without it, warns, and the result lists it.
  const fs::path preferring = write_policy("limits", "preferring.yaml",
                                           "version: 1\nextends: ./limited.yaml\npreferred: [limits.cpus]\n");
  const fs::path result = paths().work / "preferring-result.json";
  auto went_on = run_hutch(run_args({"/probe", "echo", "ran"}, {"--policy", preferring.string(), "--result", result.string()}),
                           {.env = {"XDG_CONFIG_HOME=" + (paths().work / "preferring-no-config").string()}});
  CHECK(went_on.exit_code == 0);
  CHECK(went_on.out == "ran\n");
  CHECK(went_on.err == "hutch: warning: limits.cpus: not enforced: it needs the cpu controller of a delegated cgroup; "
                       "the policy prefers it, so the run goes on without it\n");
  const std::string json = read_text(result);
  CHECK(json.find("\"missing\":[{\"key\":\"limits.cpus\",\"reason\":\"it needs the cpu controller of a delegated "
                  "cgroup\"}]") != std::string::npos);
  CHECK(json.find("\"cpus\":") == std::string::npos);  // not among the limits in force
  // A policy extending it can clear them and run.
  const fs::path cleared = write_policy("limits", "cleared.yaml",
                                        "version: 1\nextends: ./limited.yaml\nlimits: !reset\n");
  CHECK(probe_with({"--policy", cleared.string()}, {"echo", "ran"}).out == "ran\n");
}

TEST_CASE("policy check: errors of every file along extends, each named by its own file", "[integration][policy]") {
  const fs::path parent = write_policy("chain-errors", "parent.yaml", "version: 1\nnetwork: wifi\n");
  const fs::path child = write_policy("chain-errors", "child.yaml", "version: 1\nextends: ./parent.yaml\nhostnme: x\n");
  auto r = run_hutch({"policy", "check", child.string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err == child.string() + ":3:1: hostnme: unknown key (did you mean \"hostname\"?)\n" +
                     (child.parent_path() / "parent.yaml").string() +
                     ":2:10: network: expected none, loopback or host, got \"wifi\"\n");
}

TEST_CASE("policy: of two command-line mounts at one target, the later wins", "[integration][policy]") {
  auto shown = run_hutch({"policy", "show", "default", "--resolved", "--tmpfs", "/x", "--bind", "/tmp:/x"});
  CHECK(shown.out.find("  - {type: bind, source: \"/tmp\", target: /x, readonly: false}\n") != std::string::npos);
  CHECK(shown.out.find("type: tmpfs, target: /x") == std::string::npos);
  auto bad = run_hutch({"policy", "show", "default", "--resolved", "--workdir", "rel"});
  CHECK(bad.exit_code == 125);
  CHECK(bad.err == "hutch: --workdir: \"rel\" is not an absolute path\n");
}

TEST_CASE("init: false makes the command pid 1 itself", "[integration][policy][process]") {
  CHECK(probe_with({"--no-init"}, {"pids"}).out == "1\n");
  CHECK(probe_with({"--no-init"}, {"exit", "9"}).exit_code == 9);
  // (As pid 1 it is immune to its own SIGKILL, like any init: pid_namespaces(7).)
  const fs::path file = write_policy("no-init", "p.yaml", "version: 1\ninit: false\n");
  CHECK(probe_with({"--policy", file.string()}, {"pids"}).out == "1\n");
}

TEST_CASE("policy lookup: the install prefix's share/hutch/policies, found from the binary", "[integration][policy]") {
  const fs::path prefix = paths().work / "prefix";
  fs::create_directories(prefix / "bin");
  fs::create_directories(prefix / "share/hutch/policies");
  fs::copy_file(paths().hutch, prefix / "bin/hutch");
  std::ofstream(prefix / "share/hutch/policies/site.yaml") << "version: 1\ndescription: the site's\nhostname: site\n";
  const std::string hutch = (prefix / "bin/hutch").string();
  auto list = hutch::testing::run_hutch_binary(hutch, {"policy", "list"}, {.cwd = "/"});
  CHECK(list.out.find("site         " + (prefix / "share/hutch/policies/site.yaml").string() + " ") != std::string::npos);
  auto run = hutch::testing::run_hutch_binary(hutch, run_args({"/probe", "hostname"}, {"--policy", "site"}), {.cwd = "/"});
  CHECK(run.err == "");
  CHECK(run.out == "site\n");
}

TEST_CASE("policy lookup: extends never reads the current directory, and shipped policies extend only shipped ones",
          "[integration][policy][security]") {
  // Anyone who can write to the directory a run starts in could otherwise slip a
  // default.yaml under judge, ci and shell, or under a policy named by its path.
  const fs::path planted = write_policy("planted-parent", "default.yaml",
                                        "version: 1\nhostname: planted\nnetwork: host\n");
  const fs::path mine = write_policy("planted-parent-mine", "mine.yaml", "version: 1\nextends: judge\n");
  const hutch::testing::RunOptions in_dir{.cwd = planted.parent_path().string()};
  auto judge = run_hutch(run_args({"/probe", "hostname"}, {"--policy", "judge"}), in_dir);
  CHECK(judge.err == "");
  CHECK(judge.out == "judge\n");
  CHECK(run_hutch(run_args({"/probe", "hostname"}, {"--policy", mine.string()}), in_dir).out == "judge\n");
  auto shown = run_hutch({"policy", "show", "judge", "--resolved"}, in_dir);
  CHECK(shown.out.rfind("# resolved from builtin:judge.yaml <- builtin:default.yaml\n", 0) == 0);
  // A user's own judge.yaml extends the shipped one by its builtin: name.
  const fs::path config = paths().work / "xdg-builtin";
  fs::create_directories(config / "hutch/policies");
  std::ofstream(config / "hutch/policies/judge.yaml") << "version: 1\nextends: builtin:judge\nhostname: mine\n";
  auto own = run_hutch(run_args({"/probe", "hostname"}, {"--policy", "judge"}),
                       {.env = {"XDG_CONFIG_HOME=" + config.string()}, .cwd = "/"});
  CHECK(own.err == "");
  CHECK(own.out == "mine\n");
}

TEST_CASE("policy lookup: a file in the current directory that shadows a shipped policy is announced",
          "[integration][policy][security]") {
  const fs::path planted = write_policy("planted", "judge.yaml", "version: 1\nextends: default\nhostname: planted\n");
  auto r = run_hutch(run_args({"/probe", "hostname"}, {"--policy", "judge"}), {.cwd = planted.parent_path().string()});
  CHECK(r.out == "planted\n");
  CHECK(r.err == "hutch: warning: policy judge: using " + planted.string() +
                     " from the current directory, not the shipped one\n");
}
