// Landlock: the payload's file access mirrors the mount plan (docs/internals.md), so a
// file reached around the mounts (a host file hutch opened, through /proc/self/fd) is
// opened no wider than the fd the payload holds.
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "harness.hpp"

using hutch::testing::paths;
using hutch::testing::read_text;
using hutch::testing::run_args;
using hutch::testing::run_hutch;

namespace {

void require_landlock() {
  const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1) hutch::testing::skip("Landlock: this kernel has none (landlock_create_ruleset failed)");
}

}  // namespace

TEST_CASE("landlock: a --stdin file cannot be reopened for writing through /proc/self/fd/0",
          "[integration][landlock][security]") {
  require_landlock();
  // The caller owns the file, so without Landlock the open(2) of the magic link would
  // succeed: proc(5) checks the file's own permissions, not how hutch opened it.
  const std::filesystem::path in = hutch::testing::host_temp_file("stdin.txt", "input\n");
  for (const char* mode : {"w", "rw", "wt"}) {
    auto r = run_hutch(run_args({"/probe", "reopen", "/proc/self/fd/0", mode}, {"--stdin", in.string()}));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "EACCES\n");
  }
  CHECK(read_text(in) == "input\n");
  // Reading is what the fd gives already: `cat /dev/stdin` still works.
  auto r = run_hutch(run_args({"/bin/cat", "/dev/stdin"}, {"--stdin", in.string()}));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "input\n");
}

TEST_CASE("landlock: ordinary work runs under the rules", "[integration][landlock]") {
  require_landlock();
  const std::filesystem::path work = paths().work / "landlock-rw";
  std::filesystem::create_directories(work);
  const char* script =
      "set -e\n"
      // /tmp: files, directories, renames, links, a fifo, a program run from there
      "echo hi > /tmp/a; mkdir /tmp/d; mv /tmp/a /tmp/d/b; ln -s b /tmp/d/l; ln /tmp/d/b /tmp/h; mkfifo /tmp/f\n"
      "cat /tmp/d/l; rm -r /tmp/d /tmp/h /tmp/f\n"
      "cp /probe /tmp/p; /tmp/p echo ran-from-tmp\n"
      // devices, /dev/shm and /proc/self, as shells write them (O_TRUNC)
      "echo x > /dev/null; head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c\n"
      "echo s > /dev/shm/s; cat /dev/shm/s; rm /dev/shm/s\n"
      "echo renamed > /proc/self/comm; echo 500 > /proc/self/oom_score_adj; cat /proc/self/oom_score_adj\n"
      "echo via-dev-stdout > /dev/stdout\n"
      // a writable bind
      "echo w > /work/f; mkdir /work/sub; mv /work/f /work/sub/; cat /work/sub/f\n"
      // the read-only root still answers EROFS, as without Landlock
      "/probe write /etc/x\n";
  auto r = run_hutch(run_args({"/bin/sh", "-c", script}, {"--bind", work.string() + ":/work"}));
  CHECK(r.exit_code == 0);
  CHECK(r.err == "");
  CHECK(r.out == "hi\nran-from-tmp\n4\n4\ns\n500\nvia-dev-stdout\nw\nEROFS\n");
  CHECK(read_text(work / "sub/f") == "w\n");
  // A terminal reopened (/dev/tty, /dev/stdin on the pty) takes its ioctls.
  auto t = run_hutch(
      run_args({"/bin/sh", "-c", "stty size < /dev/tty > /dev/null && stty size < /dev/stdin && echo ok"}, {"-t"}));
  CHECK(t.exit_code == 0);
  CHECK(t.out.find("ok") != std::string::npos);
}

TEST_CASE("landlock: a policy that lets nested sandboxes mount runs without it", "[integration][landlock]") {
  require_landlock();
  // Landlock forbids mounts in its domain, nested mount namespaces included: a policy
  // asking for them (for bubblewrap or podman inside) gets them, without Landlock.
  const std::filesystem::path policy = paths().work / "nested-mount.yaml";
  {
    std::ofstream(policy) << "version: 1\nextends: default\nnamespaces: {nested_user: true}\n"
                             "seccomp:\n  allow: [mount]\n";
  }
  const std::filesystem::path in = hutch::testing::host_temp_file("nested-stdin.txt", "input\n");
  auto r = run_hutch(run_args({"/bin/sh", "-c", "/probe nested-mount; /probe reopen /proc/self/fd/0 w"},
                              {"--policy", policy.string(), "--stdin", in.string()}));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "OK\nOK\n");
  // Nested user namespaces alone: the seccomp baseline still refuses mount, Landlock holds.
  r = run_hutch(run_args({"/bin/sh", "-c", "/probe nested-mount; /probe reopen /proc/self/fd/0 w"},
                         {"--allow-nested-userns", "--stdin", in.string()}));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "EPERM\nEACCES\n");
}
