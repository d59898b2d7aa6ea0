#include "cgroup/parse.hpp"

#include <charconv>

#include <fmt/format.h>

namespace hutch::cgroup {
namespace {

constexpr Controller kV2Controllers[] = {Controller::Memory, Controller::Pids, Controller::Cpu, Controller::Cpuset};

// Splits on spaces, tabs and newlines.
std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

template <typename T>
std::optional<T> number(std::string_view s) {
  T value{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::string names(const std::set<Controller>& controllers) {
  std::string out;
  for (Controller c : controllers) out += fmt::format("{}{}", out.empty() ? "" : " ", controller_name(c));
  return out;
}

}  // namespace

std::optional<std::string> parse_v2_path(std::string_view proc_pid_cgroup) {
  std::size_t start = 0;
  while (start < proc_pid_cgroup.size()) {
    const std::size_t end = std::min(proc_pid_cgroup.find('\n', start), proc_pid_cgroup.size());
    const std::string_view line = proc_pid_cgroup.substr(start, end - start);
    start = end + 1;
    // "hierarchy-ID:controller-list:cgroup-path"; v2's is "0::PATH" (cgroups(7)).
    if (line.size() > 3 && line.substr(0, 3) == "0::" && line[3] == '/') return std::string(line.substr(3));
  }
  return std::nullopt;
}

std::optional<std::string> resolve_v2_dir(const std::vector<mount::MountInfo>& mounts, std::string_view path) {
  // A path from outside this cgroup namespace ("/../..") is not below any mount here.
  if (path.find("/..") != std::string_view::npos) return std::nullopt;
  for (const mount::MountInfo& m : mounts) {
    if (m.fstype != "cgroup2") continue;
    // The mount shows the hierarchy from m.root down ("/" unless a subtree was bound).
    const std::string_view root = m.root == "/" ? std::string_view() : std::string_view(m.root);
    if (path.substr(0, root.size()) != root) continue;
    const std::string_view rest = path.substr(root.size());
    if (!rest.empty() && rest.front() != '/') continue;  // "/a" does not hold "/ab"
    return m.mount_point + std::string(rest == "/" ? std::string_view() : rest);
  }
  return std::nullopt;
}

std::set<Controller> parse_controllers(std::string_view text) {
  std::set<Controller> out;
  for (std::string_view w : words(text)) {
    for (Controller c : kV2Controllers) {
      if (w == controller_name(c)) out.insert(c);
    }
  }
  return out;
}

std::string controller_list(const std::set<Controller>& controllers, char sign) {
  std::string out;
  for (Controller c : controllers) out += fmt::format("{}{}{}", out.empty() ? "" : " ", sign, controller_name(c));
  return out;
}

std::vector<pid_t> parse_pids(std::string_view text) {
  std::vector<pid_t> out;
  for (std::string_view w : words(text)) {
    // A process of another pid namespace shows as 0: it is there all the same.
    out.push_back(number<pid_t>(w).value_or(0));
  }
  return out;
}

std::optional<std::uint64_t> parse_keyed(std::string_view text, std::string_view key) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const std::vector<std::string_view> w = words(line);
    if (w.size() == 2 && w[0] == key) return number<std::uint64_t>(w[1]);
  }
  return std::nullopt;
}

std::optional<V2Delegation> resolve_v2_delegation(const V2Facts& f, std::string& note) {
  const char* missing = !f.dir_writable               ? ""
                        : !f.procs_writable           ? "/cgroup.procs"
                        : !f.subtree_control_writable ? "/cgroup.subtree_control"
                                                      : nullptr;
  if (missing != nullptr) {
    note = fmt::format("{} is not delegated to this user (it cannot write {}{})", f.dir, f.dir, missing);
    return std::nullopt;
  }
  V2Delegation d;
  d.dir = f.dir;
  d.offered = parse_controllers(f.controllers);
  for (pid_t pid : parse_pids(f.procs)) d.other_processes += pid == f.self ? 0 : 1;
  d.swap = f.swap_max;
  note.clear();
  if (d.offered.empty()) {
    std::string listed;
    for (std::string_view w : words(f.controllers)) listed += fmt::format("{}{}", listed.empty() ? "" : " ", w);
    note = fmt::format(
        "{} offers no controller hutch uses (its cgroup.controllers: [{}]): runs get a cgroup v2 leaf "
        "for CPU time, placement and clean-up only",
        f.dir, listed);
  } else if (!d.alone()) {
    note = fmt::format(
        "{} holds {} other process{}, so hutch cannot enable its controllers [{}] for runs there "
        "(cgroup v2 enables controllers only in a cgroup without processes); those limits fall back to "
        "cgroup v1 or rlimits. Start hutch alone in a delegated cgroup: systemd-run --user --scope -p "
        "Delegate=yes hutch ...",
        f.dir, d.other_processes, d.other_processes == 1 ? "" : "es", names(d.offered));
  }
  return d;
}

}  // namespace hutch::cgroup
