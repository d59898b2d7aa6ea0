#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "runtime/launcher.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#ifndef HUTCH_VERSION
#define HUTCH_VERSION "0.0.0"
#endif

namespace hutch::cli {
namespace {

constexpr std::string_view kUsage =
    "usage: hutch COMMAND [OPTIONS]\n"
    "\n"
    "Run programs in a rootless sandbox.\n"
    "\n"
    "commands:\n"
    "  run [OPTIONS] [--] COMMAND [ARG...]   run COMMAND in a new sandbox\n"
    "  policy list|check|show ...            inspect and check policies\n"
    "  doctor                                what this machine offers, and what fixes what is missing\n"
    "  selftest [--policy NAME]              attack the sandbox, and say of each attack whether it held\n"
    "\n"
    "hutch COMMAND --help shows a command's options; hutch --version prints the version.\n";

// Fds 0-2 must be open before hutch opens anything, or a new fd could land on one of
// them and be handed to the payload as its stdin, stdout or stderr.
void ensure_stdio_open() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open(2) returns the lowest free fd: this one, as those below it are open.
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) ::_exit(runtime::kExitSetupFailed);
    // On purpose, the one fd hutch makes survive execve: fds 0-2 are the payload's
    // stdio when hutch does not relay them. dup2(2) would clear FD_CLOEXEC on a copy.
    const bool inheritable = null == fd ? ::fcntl(fd, F_SETFD, 0) == 0 : ::dup2(null, fd) == fd;
    if (null != fd) ::close(null);
    if (!inheritable) ::_exit(runtime::kExitSetupFailed);
  }
}

// Writes the whole text to stdout; false when it could not (a closed pipe, a full disk).
bool print(std::string_view text) {
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0;
}

int dispatch(std::span<char* const> args) {
  try {
    if (args.size() < 2) throw UsageError{"no command given", ""};
    const std::string_view command = args[1];
    if (command == "-h" || command == "--help" || command == "help") {
      return print(kUsage) ? 0 : runtime::kExitSetupFailed;
    }
    if (command == "--version" || command == "version") {
      return print(fmt::format("hutch {}\n", HUTCH_VERSION)) ? 0 : runtime::kExitSetupFailed;
    }
    if (command == "run") return run_command(args.subspan(2));
    if (command == "policy") return policy_command(args.subspan(2));
    if (command == "doctor") return doctor_command(args.subspan(2));
    if (command == "selftest") return selftest_command(args.subspan(2));
    throw UsageError{fmt::format("unknown command \"{}\"", command), ""};
  } catch (const UsageError& e) {
    const std::string help = e.command.empty() ? "hutch --help" : fmt::format("hutch {} --help", e.command);
    // Nothing is left to tell when stderr itself fails.
    (void)std::fprintf(stderr, "hutch: %s\nTry '%s'.\n", e.message.c_str(), help.c_str());
  } catch (const Error& e) {
    // One "hutch: " line per line of the message (a policy's errors come several).
    std::string_view rest = e.message();
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      log::error("{}", rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    }
  } catch (const std::exception& e) {
    log::error("internal error: {}", e.what());
  }
  return runtime::kExitSetupFailed;
}

}  // namespace

int main(int argc, char** argv) {
  ensure_stdio_open();
  try {
    return dispatch(std::span<char* const>(argv, static_cast<std::size_t>(argc)));
  } catch (...) {
    // Reporting an error failed in turn (out of memory): the exit status still says so.
    return runtime::kExitSetupFailed;
  }
}

}  // namespace hutch::cli
