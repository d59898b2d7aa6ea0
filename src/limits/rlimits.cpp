#include "limits/rlimits.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace hutch::limits {

std::vector<Rlimit> plan_rlimits(const policy::Limits& l, bool with_init, std::chrono::milliseconds extra) {
  std::vector<Rlimit> out;
  const auto add = [&](int resource, rlim_t soft, rlim_t hard, const char* key) {
    out.push_back(Rlimit{resource, soft, hard, fmt::format("limits.{}", key)});
  };
  if (l.memory) add(RLIMIT_AS, *l.memory, *l.memory, "memory");
  if (l.processes) {
    const rlim_t n = *l.processes + (with_init ? 1 : 0);
    add(RLIMIT_NPROC, n, n, "processes");
  }
  if (l.cpu_time) {
    // Whole seconds, rounded up, past the grace period: SIGXCPU at the soft limit, SIGKILL
    // a second later. The supervisor enforces the exact total of all processes.
    const auto ms = (*l.cpu_time + extra).count();
    const rlim_t seconds = static_cast<rlim_t>((ms + 999) / 1000);
    add(RLIMIT_CPU, seconds, seconds + 1, "cpu_time");
  }
  if (l.file_size) add(RLIMIT_FSIZE, *l.file_size, *l.file_size, "file_size");
  if (l.open_files) add(RLIMIT_NOFILE, *l.open_files, *l.open_files, "open_files");
  if (l.stack) add(RLIMIT_STACK, *l.stack, *l.stack, "stack");
  add(RLIMIT_CORE, 0, 0, "core dumps");
  return out;
}

void apply_rlimits(const std::vector<Rlimit>& rlimits) {
  for (const Rlimit& r : rlimits) {
    rlimit current{};
    if (::getrlimit(r.resource, &current) != 0) throw_sys("getrlimit", rlimit_name(r.resource));
    if (current.rlim_max != RLIM_INFINITY && r.hard > current.rlim_max) {
      throw Error(fmt::format("{}: {} is above this user's hard {} of {}; hutch cannot raise it", r.key, r.hard,
                              rlimit_name(r.resource), current.rlim_max),
                  EPERM);
    }
    const rlimit want{r.soft, r.hard};
    if (::setrlimit(r.resource, &want) != 0) throw_sys("setrlimit", fmt::format("{} ({})", r.key, rlimit_name(r.resource)));
  }
}

const char* rlimit_name(int resource) {
  switch (resource) {
    case RLIMIT_AS: return "RLIMIT_AS";
    case RLIMIT_NPROC: return "RLIMIT_NPROC";
    case RLIMIT_CPU: return "RLIMIT_CPU";
    case RLIMIT_FSIZE: return "RLIMIT_FSIZE";
    case RLIMIT_NOFILE: return "RLIMIT_NOFILE";
    case RLIMIT_STACK: return "RLIMIT_STACK";
    case RLIMIT_CORE: return "RLIMIT_CORE";
  }
  return "RLIMIT_?";
}

}  // namespace hutch::limits
