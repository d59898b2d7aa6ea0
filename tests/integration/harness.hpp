// Test harness for the integration tests: they drive the real `hutch` binary as an
// unprivileged user against the real kernel (DEVELOPERS.md, STYLE.md section 8).
//
// When the test binary starts as root it creates (or reuses) the user "hutch-test",
// stages the binaries where that user can read them, and drops to it before any test
// runs. Each test process builds its own busybox root filesystem with the static
// `probe` program at /probe, in a private temporary directory removed at exit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace hutch::testing {

struct Paths {
  std::filesystem::path hutch;   // the binary under test
  std::filesystem::path probe;   // static probe (also at /probe inside the fixture)
  std::filesystem::path work;    // this process's scratch directory (host side)
  std::filesystem::path rootfs;  // busybox fixture root filesystem
  std::filesystem::path make_rootfs;  // scripts/make-rootfs, readable by the test user
  std::filesystem::path policies;     // the shipped policies/, readable by the test user
  std::filesystem::path policy_cases; // tests/policies/, readable by the test user
  // XDG_CONFIG_HOME naming the cgroup v1 subtree delegated to the test user, or "" and
  // the reason (fixture.hpp).
  std::string cgroup_v1_config_home;
  std::string cgroup_v1_skip_reason;
  // The cgroup v2 delegated to this test process, which is in its self/ (fixture.hpp),
  // or "" and the reason.
  std::string cgroup_v2_dir;
  std::string cgroup_v2_skip_reason;
};

// Called once from main() before Catch runs.
void setup(int argc, char** argv);
const Paths& paths();

struct Result {
  int exit_code = -1;  // exit status, or 128+N when signal N killed hutch
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string stdin_data;     // written to hutch's stdin, then closed
  int stdin_fd = -1;          // instead: use this fd as stdin (e.g. a pty)
  std::vector<std::string> env;  // extra KEY=VALUE for hutch's own environment
  std::vector<int> ignored_signals;  // start hutch with these ignored (nohup, a careless parent)
  std::chrono::seconds timeout{120};  // a hang guard, not a timing assertion
  std::string cwd;                    // hutch's working directory (default: the test's)
  std::string cgroup;                 // a cgroup v2 directory hutch starts in (new_v2_scope())
};

// Runs `hutch ARGS...` to completion.
Result run_hutch(const std::vector<std::string>& args, const RunOptions& options = {});
// The same with another copy of the binary.
Result run_hutch_binary(const std::string& binary, const std::vector<std::string>& args,
                        const RunOptions& options = {});

// {"run", "--rootfs", <fixture>, EXTRA..., "--", PAYLOAD...}
std::vector<std::string> run_args(const std::vector<std::string>& payload,
                                  const std::vector<std::string>& extra = {});

// `hutch run --rootfs <fixture> -- /probe ARGS...`
Result probe(const std::vector<std::string>& probe_args, const std::vector<std::string>& extra = {});

// A hutch process started in the background, leader of its own process group (as a
// shell's job would be); stdout is a pipe read line by line.
class Spawned {
 public:
  Spawned(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;
  ~Spawned();
  pid_t pid() const { return pid_; }
  // Next line of stdout without the newline; empty on EOF or after `timeout`.
  std::string read_line(std::chrono::seconds timeout = std::chrono::seconds(60));
  // Waits for exit; returns the status as Result::exit_code encodes it.
  int wait();
  // Waits for exit; returns the raw wait status (to tell an exit from a death by signal).
  int wait_status();

 private:
  pid_t pid_;
  int out_fd_;
  std::string buffer_;
  bool reaped_ = false;
};
Spawned spawn_hutch(const std::vector<std::string>& args, const std::vector<int>& ignored_signals = {},
                    const std::string& cgroup = "");

// cgroup v2 (fixture.hpp): a fresh cgroup below the one delegated to this test process,
// for hutch to start in alone, as `systemd-run --user --scope -p Delegate=yes` starts a
// command; skips the test when there is no delegated cgroup v2.
std::string new_v2_scope();
// The names of the cgroups below `dir` (what a run left behind).
std::vector<std::string> cgroup_children(const std::filesystem::path& dir);
// Kills every process in `dir` and below (cgroup.kill), then removes them all.
void remove_cgroup_tree(const std::filesystem::path& dir);

// Host processes whose command line contains `marker`.
std::vector<pid_t> processes_with_marker(const std::string& marker);
// Polls until no host process carries `marker` (true) or the guard time passes (false).
bool wait_until_gone(const std::string& marker, std::chrono::seconds guard = std::chrono::seconds(30));

// Mount points of the test's own mount namespace (from /proc/self/mountinfo).
std::vector<std::string> host_mount_points();
// Names of the entries of a directory, sorted (empty when it does not exist).
std::vector<std::string> list_dir(const std::filesystem::path& dir);

// An environment variable the harness sets (HOME, XDG_RUNTIME_DIR); throws when unset.
std::string required_env(const char* name);

// A fresh file on the host, outside anything the sandbox binds.
std::filesystem::path host_temp_file(const std::string& name, const std::string& content = "secret\n");

// Ends this test process with CTest's skip code and the exact reason.
// The whole content of a file ("" when it cannot be read).
std::string read_text(const std::filesystem::path& path);

[[noreturn]] void skip(const std::string& reason);

}  // namespace hutch::testing
