// startup_timer RUNS NAME_A -- CMD_A... ++ NAME_B -- CMD_B...
//
// Runs two commands alternately RUNS times each (alternating cancels drift between
// them), times every run from spawn to exit, and prints the median, p10 and p90 of
// each and the ratio of the medians. Any run that fails aborts the benchmark: a fast
// failure is not a fast start.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Contender {
  std::string name;
  std::vector<std::string> argv;
  std::vector<double> ms;
};

double now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double time_once(const Contender& c) {
  std::vector<char*> argv;
  for (const std::string& a : c.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const double start = now_ms();
  pid_t pid = 0;
  if (::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    (void)std::fprintf(stderr, "startup_timer: cannot start %s\n", argv[0]);
    std::exit(1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const double elapsed = now_ms() - start;
  ::posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    (void)std::fprintf(stderr, "startup_timer: %s failed (status %d); run it by hand to see why\n", c.name.c_str(),
                       status);
    std::exit(1);
  }
  return elapsed;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(std::lround(p * static_cast<double>(v.size() - 1)))];
}

Contender parse(char** begin, char** end) {
  Contender c;
  if (begin == end) return c;
  c.name = *begin++;
  if (begin != end && std::string(*begin) == "--") ++begin;
  for (; begin != end; ++begin) c.argv.emplace_back(*begin);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    (void)std::fprintf(stderr, "usage: startup_timer RUNS NAME_A -- CMD_A... ++ NAME_B -- CMD_B...\n");
    return 2;
  }
  char* runs_end = nullptr;
  const long runs = std::strtol(argv[1], &runs_end, 10);
  char** sep = std::find_if(argv + 2, argv + argc, [](const char* a) { return std::string(a) == "++"; });
  Contender contenders[2] = {parse(argv + 2, sep), parse(sep == argv + argc ? sep : sep + 1, argv + argc)};
  if (*runs_end != '\0' || runs < 1 || runs > 1000000 || contenders[0].argv.empty() || contenders[1].argv.empty()) {
    (void)std::fprintf(stderr, "startup_timer: bad arguments\n");
    return 2;
  }
  for (Contender& c : contenders) time_once(c);  // warm caches; not counted
  for (long i = 0; i < runs; ++i) {
    for (Contender& c : contenders) c.ms.push_back(time_once(c));
  }
  for (const Contender& c : contenders) {
    std::printf("%-12s median %6.2f ms   p10 %6.2f   p90 %6.2f   (%ld runs)\n", c.name.c_str(), percentile(c.ms, 0.5),
                percentile(c.ms, 0.1), percentile(c.ms, 0.9), runs);
  }
  std::printf("ratio %s/%s (medians): %.2f\n", contenders[0].name.c_str(), contenders[1].name.c_str(),
              percentile(contenders[0].ms, 0.5) / percentile(contenders[1].ms, 0.5));
  return 0;
}
