// -t / -i: a pseudo-terminal inside the sandbox, raw mode, window size, and no
// terminal injection into the caller's terminal without -t.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace std::chrono_literals;
using hutch::testing::paths;
using hutch::testing::run_args;

namespace {

// hutch started the way a shell in a terminal starts it: the pty slave is its
// controlling terminal and fds 0-2; the test holds the master like a terminal emulator.
class PtySession {
 public:
  PtySession(const std::vector<std::string>& args, unsigned short rows, unsigned short cols) {
    winsize ws{rows, cols, 0, 0};
    REQUIRE(::openpty(&master_, &slave_, nullptr, nullptr, &ws) == 0);
    REQUIRE(::tcgetattr(slave_, &before_) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setsid();
      ::ioctl(slave_, TIOCSCTTY, 0);
      for (int fd = 0; fd < 3; ++fd) ::dup2(slave_, fd);
      ::close(master_);
      ::close(slave_);
      std::vector<char*> argv{const_cast<char*>(paths().hutch.c_str())};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(126);
    }
  }
  ~PtySession() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    ::close(master_);
    ::close(slave_);
  }
  void write(const std::string& s) { REQUIRE(::write(master_, s.data(), s.size()) == static_cast<ssize_t>(s.size())); }
  // Reads until `needle` has appeared in the output; returns everything read so far.
  std::string read_until(const std::string& needle, std::chrono::seconds guard = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + guard;
    while (output_.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(master_, buf, sizeof buf);
      if (n <= 0) break;
      output_.append(buf, static_cast<std::size_t>(n));
    }
    return output_;
  }
  bool saw(const std::string& needle) { return read_until(needle).find(needle) != std::string::npos; }
  void resize(unsigned short rows, unsigned short cols) {
    winsize ws{rows, cols, 0, 0};
    REQUIRE(::ioctl(master_, TIOCSWINSZ, &ws) == 0);  // the kernel sends SIGWINCH to hutch
  }
  termios current() const {
    termios t{};
    ::tcgetattr(slave_, &t);
    return t;
  }
  const termios& before() const { return before_; }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  int master_ = -1;
  int slave_ = -1;
  pid_t pid_ = -1;
  bool reaped_ = false;
  termios before_{};
  std::string output_;
};

bool same_modes(const termios& a, const termios& b) {
  return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_lflag == b.c_lflag && a.c_cflag == b.c_cflag;
}

}  // namespace

TEST_CASE("tty: -it gives a shell on a pty of the sandbox, sized like the caller's", "[integration][tty]") {
  PtySession s(run_args({"/bin/sh"}, {"-it"}), 24, 80);
  // Markers are computed by the shell ($((...))), so the terminal's echo of the typed
  // line never matches them.
  s.write("tty; stty size; echo TERM=$TERM; echo done-$((40+2))\n");
  CHECK(s.saw("done-42\r\n"));
  const std::string out = s.read_until("done-42\r\n");
  CHECK(out.find("/dev/pts/0\r\n") != std::string::npos);
  CHECK(out.find("24 80\r\n") != std::string::npos);
  CHECK(out.find("TERM=xterm\r\n") != std::string::npos);
  s.write("exit 5\n");
  CHECK(s.wait() == 5);
}

TEST_CASE("tty: the window size follows SIGWINCH", "[integration][tty]") {
  PtySession s(run_args({"/bin/sh"}, {"-it"}), 24, 80);
  s.write("echo ready-$((1+1))\n");
  REQUIRE(s.saw("ready-2\r\n"));
  s.resize(40, 120);
  // The relay applies the new size when hutch reads its SIGWINCH; poll for it.
  bool resized = false;
  for (int i = 0; i < 100 && !resized; ++i) {
    const std::string tag = "size-" + std::to_string(i) + "-done";
    s.write("stty size; echo size-" + std::to_string(i) + "-$(echo done)\n");
    resized = s.read_until(tag + "\r\n").find("40 120\r\n" + tag) != std::string::npos;
  }
  CHECK(resized);
  s.write("exit\n");
  CHECK(s.wait() == 0);
}

TEST_CASE("tty: raw mode while running, ^C reaches the sandbox, the terminal is restored", "[integration][tty]") {
  PtySession s(run_args({"/bin/sh"}, {"-it"}), 24, 80);
  s.write("echo ready-$((2+2))\n");
  REQUIRE(s.saw("ready-4\r\n"));
  CHECK((s.current().c_lflag & (ICANON | ECHO)) == 0);  // the caller's terminal is raw
  s.write("echo sleeping-$((3*3)); sleep 60\n");
  REQUIRE(s.saw("sleeping-9\r\n"));
  // ^C is a byte for the sandbox's pty, whose line discipline turns it into SIGINT for
  // its foreground job. The shell may not have started `sleep` yet: try a few times.
  bool interrupted = false;
  for (int attempt = 0; attempt < 20 && !interrupted; ++attempt) {
    s.write("\x03");
    s.write("echo after-$(echo ctrl-c)\n");
    interrupted = s.read_until("after-ctrl-c\r\n", 1s).find("after-ctrl-c\r\n") != std::string::npos;
  }
  CHECK(interrupted);
  s.write("exit 3\n");
  CHECK(s.wait() == 3);
  CHECK(same_modes(s.current(), s.before()));
}

TEST_CASE("tty: -t without a terminal still allocates the pty", "[integration][tty]") {
  auto r = hutch::testing::run_hutch(run_args({"/bin/sh", "-c", "tty"}, {"-t"}));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "/dev/pts/0\r\n");
}

// SECURITY: the bubblewrap CVE-2017-5226 class. Without -t the payload shares the
// caller's terminal as fd 0 (-i), yet TIOCSTI must not push input into it.
TEST_CASE("tty: without -t, TIOCSTI into the caller's terminal is refused", "[integration][tty][security]") {
  PtySession s(run_args({"/probe", "tiocsti", "0"}, {"-i"}), 24, 80);
  CHECK(s.saw("EPERM\r\n"));
  CHECK(s.wait() == 0);
  CHECK(s.read_until("EPERM").find('#') == std::string::npos);  // nothing was injected
}

TEST_CASE("tty: -it with piped input that lacks a final newline still ends", "[integration][tty]") {
  auto r = hutch::testing::run_hutch(run_args({"/bin/cat"}, {"-it"}), {.stdin_data = "no-newline"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("no-newline") != std::string::npos);
}

TEST_CASE("tty: limits.output holds on the terminal too: a flood ends in output-limit", "[integration][tty][limits]") {
  const std::string result = (hutch::testing::paths().work / "tty-output-result.json").string();
  auto r = hutch::testing::run_hutch(
      run_args({"/bin/sh", "-c", "yes flood"}, {"-t", "--output", "1000B", "--wall-time", "30s", "--result", result}));
  CHECK(r.exit_code == 128 + SIGKILL);
  CHECK(r.out.size() == 1000);  // the pty's "flood\r\n", cut at the limit
  CHECK(r.out.rfind("flood\r\nflood\r\n", 0) == 0);
  CHECK(r.err.find("hutch: output limit: the command wrote more than 1000 bytes") != std::string::npos);
  const std::string json = hutch::testing::read_text(result);
  CHECK(json.rfind("{\"status\":\"output-limit\",", 0) == 0);
  // Within the limit, the count is what the terminal carried.
  auto ok = hutch::testing::run_hutch(run_args({"/bin/sh", "-c", "echo small"}, {"-t", "--output", "1M", "--result", result}));
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "small\r\n");
  CHECK(hutch::testing::read_text(result).find("\"output_bytes\":7,") != std::string::npos);
  // The judge policy sets an output limit; -t still works with it.
  auto judge = hutch::testing::run_hutch(run_args({"/bin/sh", "-c", "tty"}, {"--policy", "judge", "-t"}));
  CHECK(judge.exit_code == 0);
  CHECK(judge.out == "/dev/pts/0\r\n");
}
