// Fuzzes the parser of failure records the supervisor reads from the sandbox's error
// pipe (runtime/sync.hpp). It must accept or reject any bytes without crashing, and a
// record it accepts must survive a round trip.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/sync.hpp"
#include "util/fd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8192) return 0;
  using namespace hutch::runtime;
  const auto parsed = parse_failure(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed) return 0;
  hutch::Pipe pipe = hutch::Pipe::create();
  write_failure(pipe.write.get(), *parsed);
  pipe.write.reset();
  char buf[8192];
  const ssize_t n = ::read(pipe.read.get(), buf, sizeof buf);
  if (n <= 0) __builtin_trap();
  const auto again = parse_failure(std::string_view(buf, static_cast<std::size_t>(n)));
  if (!again || again->message != parsed->message || again->kind != parsed->kind ||
      again->sys_errno != parsed->sys_errno) {
    __builtin_trap();
  }
  return 0;
}
