// The root filesystem and mounts: what the payload can see and write.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "harness.hpp"

namespace fs = std::filesystem;
using hutch::testing::paths;
using hutch::testing::probe;
using hutch::testing::run_args;
using hutch::testing::run_hutch;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path dir = paths().work / name;
  fs::create_directories(dir);
  return dir;
}

// A copy of the fixture root that a test may change (symlinks, missing directories).
fs::path copy_of_rootfs(const std::string& name) {
  fs::path copy = paths().work / name;
  fs::copy(paths().rootfs, copy, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  return copy;
}

}  // namespace

TEST_CASE("mount: an unbound host file is invisible", "[integration][mount]") {
  auto secret = hutch::testing::host_temp_file("secret");
  auto r = probe({"stat", secret.string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "ENOENT\n");
}

TEST_CASE("mount: the root filesystem is read-only", "[integration][mount]") {
  CHECK(probe({"write", "/newfile"}).out == "EROFS\n");
  CHECK(probe({"write", "/etc/passwd"}).out == "EROFS\n");
  CHECK(!fs::exists(paths().rootfs / "newfile"));
}

TEST_CASE("mount: /tmp and /dev/shm are writable tmpfs, gone after the run", "[integration][mount]") {
  CHECK(probe({"write", "/tmp/x"}).out == "OK\n");
  CHECK(probe({"write", "/dev/shm/x"}).out == "OK\n");
  CHECK(!fs::exists(paths().rootfs / "tmp/x"));
}

TEST_CASE("mount: /dev holds only the minimal nodes and is sealed", "[integration][mount]") {
  auto r = run_hutch(run_args({"/bin/ls", "/dev"}));
  CHECK(r.out == "core\nfd\nfull\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n");
  CHECK(probe({"write", "/dev/newnode"}).out == "EROFS\n");
  CHECK(probe({"write", "/dev/null"}).out == "OK\n");
  auto zero = run_hutch(run_args({"/bin/sh", "-c", "head -c 4 /dev/zero | od -An -tx1"}));
  CHECK(zero.out == " 00 00 00 00\n");
  CHECK(probe({"write", "/dev/full"}).out == "ENOSPC\n");
}

TEST_CASE("mount: /proc is fresh, its kernel knobs are read-only", "[integration][mount]") {
  CHECK(probe({"read", "/proc/self/comm"}).out == "probe\n");
  CHECK(probe({"write", "/proc/sys/kernel/hostname"}).out == "EROFS\n");
}

TEST_CASE("mount: no /sys unless asked, --sys gives a read-only one", "[integration][mount]") {
  CHECK(probe({"stat", "/sys/kernel"}).out == "ENOENT\n");
  CHECK(probe({"stat", "/sys/kernel"}, {"--sys"}).out == "OK\n");
  CHECK(probe({"write", "/sys/kernel/newfile"}, {"--sys"}).out == "EROFS\n");
}

TEST_CASE("mount: --bind is writable, --ro-bind is not, both show the host files", "[integration][mount]") {
  const fs::path rw = fresh_dir("rw");
  const fs::path ro = fresh_dir("ro");
  std::ofstream(ro / "data") << "hello\n";
  const std::vector<std::string> binds{"--bind", rw.string() + ":/work", "--ro-bind", ro.string() + ":/data"};
  CHECK(probe({"write", "/work/out"}, binds).out == "OK\n");
  CHECK(fs::exists(rw / "out"));
  CHECK(probe({"read", "/data/data"}, binds).out == "hello\n");
  CHECK(probe({"write", "/data/new"}, binds).out == "EROFS\n");
  CHECK(!fs::exists(ro / "new"));
}

TEST_CASE("mount: a single file can be bound, a missing source is a clear error", "[integration][mount]") {
  auto file = hutch::testing::host_temp_file("conf", "setting=1\n");
  CHECK(probe({"read", "/etc/app.conf"}, {"--ro-bind", file.string() + ":/etc/app.conf"}).out == "setting=1\n");
  const std::string missing = (paths().work / "missing").string();
  auto r = probe({"echo"}, {"--bind", missing + ":/x"});
  CHECK(r.exit_code == 125);
  CHECK(r.err == "hutch: bind source " + missing + ": No such file or directory (ENOENT)\n");
}

TEST_CASE("mount: mount points missing from --rootfs go to an overlay, never into --rootfs", "[integration][mount]") {
  const fs::path data = fresh_dir("overlay-src");
  std::ofstream(data / "f") << "x\n";
  auto r = probe({"read", "/new/deep/dir/f"}, {"--ro-bind", data.string() + ":/new/deep/dir"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "x\n");
  CHECK(!fs::exists(paths().rootfs / "new"));
  // The overlay root is read-only like the plain one.
  CHECK(probe({"write", "/other"}, {"--ro-bind", data.string() + ":/new/deep/dir"}).out == "EROFS\n");
}

TEST_CASE("mount: --tmpfs with a size", "[integration][mount]") {
  auto r = run_hutch(run_args({"/bin/sh", "-c", "dd if=/dev/zero of=/scratch/f bs=1024 count=200 2>/dev/null; echo $?"},
                              {"--tmpfs", "/scratch:128K"}));
  CHECK(r.out == "1\n");
  auto bad = probe({"echo"}, {"--tmpfs", "/scratch:lots"});
  CHECK(bad.exit_code == 125);
  CHECK(bad.err == "hutch: --tmpfs \"/scratch:lots\" (expected DST or DST:SIZE): expected a size like 64M, got "
                   "\"lots\" (it must start with a number)\n");
}

TEST_CASE("mount: a relative or '..' target is refused", "[integration][mount]") {
  auto r = probe({"echo"}, {"--tmpfs", "/a/../etc"});
  CHECK(r.exit_code == 125);
  CHECK(r.err == "hutch: --tmpfs \"/a/../etc\" (expected DST or DST:SIZE): \"/a/../etc\" contains \"..\"\n");
}

// SECURITY: a hostile root filesystem must not redirect a mount outside itself.
TEST_CASE("mount: a symlinked mount target resolves inside the root, not on the host", "[integration][mount][security]") {
  const fs::path root = copy_of_rootfs("hostile-root");
  // A real host directory outside /tmp (the sandbox has its own /tmp).
  const fs::path outside =
      fs::path(hutch::testing::required_env("HOME")) / ("hutch-it-outside-" + std::to_string(::getpid()));
  fs::create_directories(outside);
  std::ofstream(outside / "host-only") << "host\n";
  // In the root: /data -> /../../../../<outside>, and an empty <outside> inside the root.
  fs::create_directories(root / outside.relative_path());
  fs::create_symlink("/../../../../../../.." + outside.string(), root / "data");
  const fs::path src = fresh_dir("bind-src");
  std::ofstream(src / "marker") << "bound\n";
  auto args = run_args({"/bin/ls", "/data/"}, {"--ro-bind", src.string() + ":/data"});
  args[2] = root.string();
  auto r = run_hutch(args);
  CHECK(r.err == "");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "marker\n");  // the bind landed on the root's own copy of the path
  CHECK(hutch::testing::list_dir(outside) == std::vector<std::string>{"host-only"});
  fs::remove_all(outside);
}

TEST_CASE("mount: a symlinked /proc, /dev or /tmp in the root is refused, not followed",
          "[integration][mount][security]") {
  for (const std::string dir : {"proc", "dev", "tmp"}) {
    const fs::path root = copy_of_rootfs("hostile-" + dir);
    fs::remove_all(root / dir);
    fs::create_symlink("/../../../../../../etc", root / dir);
    auto args = run_args({"/probe", "echo", "ran"});
    args[2] = root.string();
    auto r = run_hutch(args);
    CHECK(r.exit_code == 125);
    std::string expected = "hutch: mounting /";
    expected.append(dir).append(": mount point /").append(dir).append(
        ": a symlink in the root filesystem is on the way; hutch mounts /proc, /dev, /tmp and /sys only on real "
        "directories\n");
    CHECK(r.err == expected);
    CHECK(r.out == "");
  }
}

TEST_CASE("mount: a mount that fails inside the sandbox is reported with its step", "[integration][mount][errors]") {
  const fs::path dir = fresh_dir("dir-onto-file");
  auto r = probe({"echo", "ran"}, {"--bind", dir.string() + ":/bin/busybox"});
  CHECK(r.exit_code == 125);
  CHECK(r.err ==
        "hutch: mounting /bin/busybox: mount point /bin/busybox is not a directory, but what is mounted there is a "
        "directory\n");
  CHECK(r.out == "");
}

TEST_CASE("mount: a new mount point in a root with filesystems below it is refused clearly", "[integration][mount][errors]") {
  // The host's own / has /proc, /sys and more mounted below it.
  auto r = run_hutch({"run", "--rootfs", "/", "--tmpfs", "/hutch-no-such-dir", "--", "/bin/true"});
  CHECK(r.exit_code == 125);
  CHECK(r.err.rfind("hutch: rootfs /: the mount point /hutch-no-such-dir is missing from it, and other filesystems "
                    "are mounted below it (",
                    0) == 0);
  auto ok = run_hutch({"run", "--rootfs", "/", "--tmpfs", "/mnt", "--", "/bin/true"});
  CHECK(ok.err == "");
  CHECK(ok.exit_code == 0);
}
