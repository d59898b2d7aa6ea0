#include "runtime/output.hpp"

#include <unistd.h>

#include <algorithm>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {

OutputRelay::OutputRelay(UniqueFd out, UniqueFd err, UniqueFd out_to, UniqueFd err_to,
                         std::optional<std::uint64_t> limit)
    : streams_{Stream{std::move(out), std::move(out_to), 1}, Stream{std::move(err), std::move(err_to), 2}},
      limit_(limit) {}

void OutputRelay::add_pollfds(std::vector<pollfd>& fds) {
  first_slot_ = fds.size();
  for (const Stream& s : streams_) fds.push_back({s.from ? s.from.get() : -1, POLLIN, 0});
  polled_ = true;
}

void OutputRelay::handle(const std::vector<pollfd>& fds) {
  if (!polled_) return;
  polled_ = false;
  for (std::size_t i = 0; i < 2; ++i) {
    if (fds[first_slot_ + i].revents != 0 && streams_[i].from && !pump(streams_[i])) streams_[i].from.reset();
  }
}

void OutputRelay::drain() {
  for (Stream& s : streams_) {
    while (s.from && pump(s)) {
    }
    s.from.reset();
  }
}

bool OutputRelay::pump(Stream& s) {
  char buf[65536];
  const std::size_t n = sys::read_some(s.from.get(), buf, sizeof buf, "the command's output");
  if (n == 0) return false;
  // Past the limit, the bytes are read (the writers must not block before the kill
  // lands) and dropped.
  std::size_t keep = n;
  if (limit_) {
    const std::uint64_t room = *limit_ > bytes_ ? *limit_ - bytes_ : 0;
    keep = static_cast<std::size_t>(std::min<std::uint64_t>(n, room));
    if (n > room) exceeded_ = true;
  }
  bytes_ += n;
  if (keep > 0) {
    try {
      sys::write_all(s.dest(), buf, keep, s.fallback == 1 ? "stdout" : "stderr");
    } catch (const Error& e) {
      // A destination that went away (EPIPE: the reader of hutch's stdout quit) loses
      // the rest, as it would without hutch; anything else stops the run.
      if (e.sys_errno() != EPIPE) throw;
    }
  }
  return true;
}

}  // namespace hutch::runtime
