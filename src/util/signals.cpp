#include "util/signals.hpp"

#include <signal.h>

namespace hutch::sig {

void set_all_dispositions(void (*handler)(int)) noexcept {
  struct sigaction sa{};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  for (int s = 1; s < NSIG; ++s) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    ::sigaction(s, &sa, nullptr);
  }
}

}  // namespace hutch::sig
