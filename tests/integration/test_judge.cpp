// The judge policy's seccomp allow list: the languages a judge grades still run under
// it, and the calls it exists to stop are stopped and named in the result.
#include <signal.h>
#include <sys/syscall.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "harness.hpp"

namespace fs = std::filesystem;
using hutch::testing::paths;
using hutch::testing::read_text;
using hutch::testing::probe;
using hutch::testing::run_hutch;

namespace {

// Sources of one small program per language: the sum of two numbers on stdin. The C++
// one sorts and starts a thread, the Java one compiles itself (java's source launcher).
const char* kC = "#include <stdio.h>\nint main(void) { long a, b; if (scanf(\"%ld %ld\", &a, &b) != 2) return 1;\n"
                 "printf(\"%ld\\n\", a + b); return 0; }\n";
const char* kCpp = "#include <algorithm>\n#include <iostream>\n#include <thread>\n#include <vector>\n"
                   "int main() { long a, b; std::cin >> a >> b; std::vector<long> v{b, a};\n"
                   "std::sort(v.begin(), v.end()); long s = 0; std::thread t([&] { s = v[0] + v[1]; }); t.join();\n"
                   "std::cout << s << '\\n'; }\n";
const char* kPython = "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n";
const char* kJava = "import java.util.Scanner;\npublic class Main { public static void main(String[] args) {\n"
                    "Scanner in = new Scanner(System.in); long a = in.nextLong(), b = in.nextLong();\n"
                    "System.out.println(a + b); } }\n";

}  // namespace

TEST_CASE("judge: compiled C and C++, Python and Java run under its allow list", "[integration][seccomp][judge]") {
  const fs::path root = hutch::testing::languages_rootfs();
  const fs::path dir = paths().work / "submissions";
  fs::create_directories(dir);
  std::ofstream(dir / "sum.c") << kC;
  std::ofstream(dir / "sum.cpp") << kCpp;
  std::ofstream(dir / "sum.py") << kPython;
  std::ofstream(dir / "Main.java") << kJava;
  // Compiled here, as a judge compiles before it runs: the root is the same Debian.
  const std::string compile = "cd " + dir.string() + " && gcc -O2 -o sum_c sum.c && g++ -O2 -pthread -o sum_cpp sum.cpp";
  if (std::system(compile.c_str()) != 0) hutch::testing::skip("no gcc/g++ on this machine to compile the C and C++ submissions");
  const fs::path result = dir / "result.json";
  // The judge's limits are in force. Here (no memory cgroup for this user unless the
  // harness configured one below) memory is RLIMIT_AS, so Java runs with its address-
  // space reservations cut to fit, as policies/judge.yaml says.
  const std::vector<std::string> java_fits{"java", "-Xmx128m", "-XX:ReservedCodeCacheSize=32m",
                                           "-XX:CompressedClassSpaceSize=32m", "-XX:+UseSerialGC", "/sol/Main.java"};
  if (fs::exists("/etc/hutch/cgroups.conf")) hutch::testing::skip("/etc/hutch/cgroups.conf gives every run cgroups here");
  const fs::path no_config = paths().work / "judge-config-none";
  fs::create_directories(no_config);
  const auto submit = [&](const std::vector<std::string>& cmd, const std::string& config_home) {
    std::vector<std::string> args{"run", "--policy", "judge", "--rootfs", root.string(), "--ro-bind",
                                  dir.string() + ":/sol", "-i", "--result", result.string(), "--"};
    args.insert(args.end(), cmd.begin(), cmd.end());
    return run_hutch(args, {.stdin_data = "40 2\n", .env = {"XDG_CONFIG_HOME=" + config_home}});
  };
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"/sol/sum_c"}, {"/sol/sum_cpp"}, {"python3", "/sol/sum.py"}, java_fits}) {
    auto r = submit(cmd, no_config);
    INFO(cmd.front() << " " << cmd.back() << ": " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "42\n");
    const std::string json = read_text(result);
    CHECK(json.rfind("{\"status\":\"ok\",\"exit_code\":0,", 0) == 0);
    CHECK(json.find("\"memory\":{\"value\":536870912,\"backend\":\"rlimit\"}") != std::string::npos);
    CHECK(json.find("\"cpu_time\":{\"value\":10000,") != std::string::npos);
  }
  // A JVM left to its defaults reserves gigabytes of address space: under RLIMIT_AS it
  // cannot start, and the verdict says why.
  auto greedy = submit({"java", "/sol/Main.java"}, no_config);
  CHECK(greedy.exit_code == 128 + SIGKILL);
  CHECK(read_text(result).rfind("{\"status\":\"memory-limit\",", 0) == 0);
  CHECK(greedy.err.find("(RLIMIT_AS); the kernel refused it") != std::string::npos);
  // With a memory cgroup (an administrator delegated one) the same JVM runs unchanged:
  // the cgroup counts memory used, not reserved.
  if (!paths().cgroup_v1_config_home.empty()) {
    auto r = submit({"java", "/sol/Main.java"}, paths().cgroup_v1_config_home);
    INFO(r.err);
    CHECK(r.out == "42\n");
    const std::string json = read_text(result);
    CHECK(json.rfind("{\"status\":\"ok\",", 0) == 0);
    CHECK(json.find("\"memory\":{\"value\":536870912,\"backend\":\"cgroup-v1\"}") != std::string::npos);
  }
}

TEST_CASE("judge: ptrace, mount and keyctl stop the run and are named in the result",
          "[integration][seccomp][judge][security]") {
  const fs::path result = paths().work / "judge-result.json";
  const std::vector<std::string> judge{"--policy", "judge", "--result", result.string()};
  struct Case {
    std::vector<std::string> probe_args;
    std::string call;
  };
  for (const Case& c : {Case{{"ptrace", "1"}, "ptrace(PTRACE_ATTACH, 1)"},
                        Case{{"raw", std::to_string(SYS_mount), "0", "0x10", "0"}, "mount(0x0, 0x10, 0x0)"},
                        Case{{"raw", std::to_string(SYS_keyctl), "1", "0"}, "keyctl(1, 0x0)"},
                        Case{{"raw", std::to_string(SYS_process_vm_readv), "1"}, "process_vm_readv()"}}) {
    INFO(c.call);
    auto r = probe(c.probe_args, judge);
    CHECK(r.exit_code == 128 + SIGSYS);
    CHECK(r.out == "");
    CHECK(r.err == "hutch: seccomp: blocked " + c.call + "\n");
    const std::string json = read_text(result);
    CHECK(json.rfind("{\"status\":\"seccomp-violation\",", 0) == 0);
    CHECK(json.find("\"call\":\"" + c.call + "\"") != std::string::npos);
  }
  // What the judge does not allow, and does not kill, fails quietly: ENOSYS.
  CHECK(probe({"raw", std::to_string(SYS_acct), "0"}, judge).out == "ENOSYS\n");
}
