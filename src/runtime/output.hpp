// The supervisor's side of the command's stdout and stderr when they go through hutch:
// with limits.output, or --stdout/--stderr FILE. The payload writes into two pipes;
// the supervisor copies each to its destination (the file, or hutch's own stdout and
// stderr) and counts the bytes of both together. Past the limit it writes what still
// fits and says so; the supervisor then ends the run (output-limit).
//
// Writes to the destinations block: a destination nobody reads (a full pipe) stalls
// the supervisor, and with it the wall-time limit, until it is read.
#pragma once

#include <poll.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "util/fd.hpp"

namespace hutch::runtime {

class OutputRelay {
 public:
  // `out`/`err`: the read ends of the payload's pipes (`err` empty when one pipe carries
  // both); `out_to`/`err_to`: where the bytes go, empty for hutch's own fds 1 and 2.
  OutputRelay(UniqueFd out, UniqueFd err, UniqueFd out_to, UniqueFd err_to, std::optional<std::uint64_t> limit);
  OutputRelay(const OutputRelay&) = delete;
  OutputRelay& operator=(const OutputRelay&) = delete;

  // Appends this relay's fds to `fds`; handle() then looks at the same slots.
  void add_pollfds(std::vector<pollfd>& fds);
  void handle(const std::vector<pollfd>& fds);
  // After the sandbox is gone: copy what the pipes still hold, to EOF.
  void drain();

  bool exceeded() const noexcept { return exceeded_; }
  std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  struct Stream {
    UniqueFd from;
    UniqueFd to;   // owned destination, or empty for `fallback`
    int fallback;  // 1 or 2
    int dest() const { return to ? to.get() : fallback; }
  };
  // Reads once from `s`; false at EOF.
  bool pump(Stream& s);

  Stream streams_[2];
  std::optional<std::uint64_t> limit_;
  std::uint64_t bytes_ = 0;
  bool exceeded_ = false;
  std::size_t first_slot_ = 0;
  bool polled_ = false;
};

}  // namespace hutch::runtime
