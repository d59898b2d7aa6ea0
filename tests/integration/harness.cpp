#include "harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "fixture.hpp"

namespace fs = std::filesystem;

namespace hutch::testing {
namespace {

Paths g_paths;
std::vector<std::string> g_cleanup;

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<char*> c_argv(const std::string& program, const std::vector<std::string>& args) {
  std::vector<char*> out;
  out.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& a : args) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void exec_hutch(const std::vector<std::string>& args, const std::vector<std::string>& env,
                             const std::string& binary = "") {
  for (const std::string& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
  const std::string program = binary.empty() ? g_paths.hutch.string() : binary;
  std::vector<char*> argv = c_argv(program, args);
  ::execv(program.c_str(), argv.data());
  std::perror("exec hutch");
  ::_exit(126);
}

void remove_work_dir() {
  for (const std::string& dir : g_cleanup) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // The cgroups this process made for its runs; its own (self/) and test-PID go once
  // it is gone (fixture.hpp).
  if (!g_paths.cgroup_v2_dir.empty()) {
    for (const std::string& name : cgroup_children(g_paths.cgroup_v2_dir)) {
      if (name != "self") remove_cgroup_tree(fs::path(g_paths.cgroup_v2_dir) / name);
    }
  }
}

// runs in: the forked child that becomes hutch. Moves it into `cgroup` ("0": the
// writer), which the test user may do below its delegated cgroup.
void enter_cgroup(const std::string& cgroup) {
  if (cgroup.empty()) return;
  const int fd = ::open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::write(fd, "0", 1) != 1) {
    std::perror(("enter cgroup " + cgroup).c_str());
    ::_exit(126);
  }
  ::close(fd);
}

}  // namespace

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void setup(int argc, char** argv) {
  (void)argc;
  (void)argv;
  StagedBinaries staged = prepare_user_and_binaries(HUTCH_TEST_BINARY, HUTCH_TEST_PROBE, HUTCH_SOURCE_DIR);
  g_paths.hutch = staged.hutch;
  g_paths.probe = staged.probe;
  if (!staged.stage_dir.empty()) g_cleanup.push_back(staged.stage_dir);
  g_paths.make_rootfs = staged.make_rootfs;
  g_paths.policies = staged.policies;
  g_paths.policy_cases = staged.policy_cases;
  g_paths.cgroup_v1_config_home = staged.cgroup_v1_config_home;
  g_paths.cgroup_v1_skip_reason = staged.cgroup_v1_skip_reason;
  g_paths.cgroup_v2_dir = staged.cgroup_v2_dir;
  g_paths.cgroup_v2_skip_reason = staged.cgroup_v2_skip_reason;
  char tmpl[] = "/tmp/hutch-it-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  g_paths.work = tmpl;
  g_cleanup.push_back(tmpl);
  if (std::atexit(remove_work_dir) != 0) throw std::runtime_error("atexit failed");
  g_paths.rootfs = g_paths.work / "rootfs";
  build_busybox_rootfs(g_paths.rootfs, g_paths.probe);
}

const Paths& paths() { return g_paths; }

Result run_hutch(const std::vector<std::string>& args, const RunOptions& options) {
  return run_hutch_binary("", args, options);
}

Result run_hutch_binary(const std::string& binary, const std::vector<std::string>& args, const RunOptions& options) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    for (int s : options.ignored_signals) {
      if (::signal(s, SIG_IGN) == SIG_ERR) ::_exit(126);  // an ignored signal survives execve
    }
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(126);
    enter_cgroup(options.cgroup);
    ::dup2(options.stdin_fd >= 0 ? options.stdin_fd : in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    exec_hutch(args, options.env, binary);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!options.stdin_data.empty()) {
    // Small inputs only: the pipe buffer takes them without blocking.
    [[maybe_unused]] ssize_t n = ::write(in[1], options.stdin_data.data(), options.stdin_data.size());
  }
  ::close(in[1]);
  Result r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(-pid, SIGKILL);
      r.err += "\n[harness: hutch did not finish within the hang guard; killed]";
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = decode_status(status);
  return r;
}

std::vector<std::string> run_args(const std::vector<std::string>& payload, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"run", "--rootfs", g_paths.rootfs.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--");
  args.insert(args.end(), payload.begin(), payload.end());
  return args;
}

Result probe(const std::vector<std::string>& probe_args, const std::vector<std::string>& extra) {
  std::vector<std::string> payload{"/probe"};
  payload.insert(payload.end(), probe_args.begin(), probe_args.end());
  return run_hutch(run_args(payload, extra));
}

Spawned::~Spawned() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    wait();
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

std::string Spawned::read_line(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) return {};
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

int Spawned::wait() { return decode_status(wait_status()); }

int Spawned::wait_status() {
  int status = 0;
  ::waitpid(pid_, &status, 0);
  reaped_ = true;
  return status;
}

Spawned spawn_hutch(const std::vector<std::string>& args, const std::vector<int>& ignored_signals,
                    const std::string& cgroup) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    enter_cgroup(cgroup);
    for (int s : ignored_signals) {
      if (::signal(s, SIG_IGN) == SIG_ERR) ::_exit(126);  // an ignored signal survives execve
    }
    ::dup2(out[1], 1);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // dup2 gives 0 without the flag
    ::dup2(null, 0);
    exec_hutch(args, {});
  }
  ::close(out[1]);
  return Spawned(pid, out[0]);
}

std::vector<pid_t> processes_with_marker(const std::string& marker) {
  std::vector<pid_t> found;
  for (const std::string& name : list_dir("/proc")) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::string cmdline = read_text(fs::path("/proc") / name / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(marker) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

bool wait_until_gone(const std::string& marker, std::chrono::seconds guard) {
  const auto deadline = std::chrono::steady_clock::now() + guard;
  while (std::chrono::steady_clock::now() < deadline) {
    if (processes_with_marker(marker).empty()) return true;
    ::usleep(20000);
  }
  return processes_with_marker(marker).empty();
}

std::string new_v2_scope() {
  if (g_paths.cgroup_v2_dir.empty()) skip("cgroup v2: " + g_paths.cgroup_v2_skip_reason);
  static int count = 0;
  const fs::path scope = fs::path(g_paths.cgroup_v2_dir) / ("scope-" + std::to_string(++count));
  if (::mkdir(scope.c_str(), 0755) != 0) throw std::runtime_error("mkdir " + scope.string() + ": " + std::strerror(errno));
  return scope.string();
}

std::vector<std::string> cgroup_children(const fs::path& dir) {
  std::vector<std::string> names;
  for (const std::string& name : list_dir(dir)) {
    if (fs::is_directory(dir / name)) names.push_back(name);
  }
  return names;
}

void remove_cgroup_tree(const fs::path& dir) {
  if (fs::exists(dir / "cgroup.kill")) std::ofstream(dir / "cgroup.kill") << "1";
  for (const std::string& name : cgroup_children(dir)) remove_cgroup_tree(dir / name);
  for (int attempt = 0; attempt < 100 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++attempt) ::usleep(10000);
}

std::vector<std::string> host_mount_points() {
  std::vector<std::string> points;
  std::istringstream in(read_text("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    points.push_back(point);
  }
  std::sort(points.begin(), points.end());
  return points;
}

std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) throw std::runtime_error(std::string("the test needs $") + name + ", which is not set");
  return value;
}

fs::path host_temp_file(const std::string& name, const std::string& content) {
  fs::path path = g_paths.work / ("host-" + name);
  std::ofstream(path) << content;
  return path;
}

void skip(const std::string& reason) {
  std::cout << "SKIP: " << reason << std::endl;
  std::exit(77);  // atexit handlers still remove the scratch directory
}

}  // namespace hutch::testing
