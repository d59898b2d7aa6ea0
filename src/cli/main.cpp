#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
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
    "\n"
    "hutch COMMAND --help shows a command's options; hutch --version prints the version.\n";

// Fds 0-2 must be open before hutch opens anything, or a new fd could land on one of
// them and be handed to the payload as its stdin, stdout or stderr.
void ensure_stdio_open() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int null = ::open("/dev/null", O_RDWR);
    if (null < 0) ::_exit(runtime::kExitSetupFailed);
    if (null != fd) {
      ::dup2(null, fd);
      ::close(null);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  ensure_stdio_open();
  const std::span<char* const> args(argv, static_cast<std::size_t>(argc));
  try {
    if (args.size() < 2) throw UsageError{"no command given", ""};
    const std::string_view command = args[1];
    if (command == "-h" || command == "--help" || command == "help") {
      std::fputs(kUsage.data(), stdout);
      return 0;
    }
    if (command == "--version" || command == "version") {
      std::printf("hutch %s\n", HUTCH_VERSION);
      return 0;
    }
    if (command == "run") return run_command(args.subspan(2));
    if (command == "policy") return policy_command(args.subspan(2));
    if (command == "doctor") return doctor_command(args.subspan(2));
    throw UsageError{fmt::format("unknown command \"{}\"", command), ""};
  } catch (const UsageError& e) {
    const std::string help = e.command.empty() ? "hutch --help" : fmt::format("hutch {} --help", e.command);
    std::fprintf(stderr, "hutch: %s\nTry '%s'.\n", e.message.c_str(), help.c_str());
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

}  // namespace hutch::cli
