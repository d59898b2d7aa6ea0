#include "seccomp/resolve.hpp"

#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "seccomp/groups.hpp"
#include "util/error.hpp"

namespace hutch::seccomp {
namespace {

constexpr std::uint64_t kLow32 = 0xffffffffu;

// SECURITY: what every filter refuses unless the policy allows the call by name. Each
// is kernel attack surface a sandboxed program has no business with; most would fail
// anyway without capabilities, but only after the kernel has parsed their input.
const std::vector<std::pair<std::string_view, std::string_view>> kWholeCalls{
    {"init_module", "loads kernel code"},
    {"finit_module", "loads kernel code"},
    {"delete_module", "unloads kernel code"},
    {"kexec_load", "replaces the running kernel"},
    {"kexec_file_load", "replaces the running kernel"},
    {"reboot", "reboots or halts the machine"},
    {"swapon", "changes the machine's swap"},
    {"swapoff", "changes the machine's swap"},
    {"mount", "mount-family calls reshape the sandbox's own filesystem view"},
    {"umount", "mount-family calls reshape the sandbox's own filesystem view"},
    {"umount2", "unmounting could uncover what the sandbox's mounts hide"},
    {"pivot_root", "mount-family calls reshape the sandbox's own filesystem view"},
    {"fsopen", "the new mount API: same reasons as mount"},
    {"fsconfig", "the new mount API: same reasons as mount"},
    {"fsmount", "the new mount API: same reasons as mount"},
    {"fspick", "the new mount API: same reasons as mount"},
    {"move_mount", "the new mount API: same reasons as mount"},
    {"open_tree", "the new mount API: same reasons as mount"},
    {"mount_setattr", "the new mount API: same reasons as mount"},
    {"bpf", "the eBPF verifier and maps: a large, often exploited kernel surface"},
    {"perf_event_open", "performance counters: side channels and a history of kernel bugs"},
    {"userfaultfd", "lets a program stall the kernel mid-copy, the core of many exploits"},
    {"keyctl", "kernel keyrings are not namespaced: keys could leak between sandboxes"},
    {"add_key", "kernel keyrings are not namespaced: keys could leak between sandboxes"},
    {"request_key", "kernel keyrings are not namespaced: keys could leak between sandboxes"},
    {"io_uring_setup", "io_uring: a large kernel surface whose operations seccomp cannot see"},
    {"io_uring_enter", "io_uring: a large kernel surface whose operations seccomp cannot see"},
    {"io_uring_register", "io_uring: a large kernel surface whose operations seccomp cannot see"},
    {"open_by_handle_at", "opens files by handle, around mount boundaries (the shocker escape)"},
};

Condition masked(unsigned arg, std::uint64_t mask, std::uint64_t value, std::string mask_text, std::string text) {
  return Condition{arg, Op::Masked, value, mask, std::move(text), std::move(mask_text)};
}

struct Candidate {
  Action action;
  bool named = false;  // by its name, not through a group
};

struct Working {
  std::optional<Candidate> unconditional;
  std::vector<ResolvedRule> conditional;
  std::string why;
};

void offer(Working& w, const Action& action, bool named, const std::string& source) {
  if (!w.unconditional) {
    w.unconditional = Candidate{action, named};
    w.why = source;
    return;
  }
  Candidate& c = *w.unconditional;
  // A name beats a group; between groups, the stricter action.
  if ((named && !c.named) || (named == c.named && strictness(action) > strictness(c.action))) {
    c = Candidate{action, named};
    w.why = source;
  }
}

bool allows(const Action& a) { return a.kind == Action::Kind::Allow || a.kind == Action::Kind::Log; }

// A baseline item is lifted by allowing (or logging) the call by name, or, for an item
// with conditions, by a rule with the same conditions.
bool lifted(const Working& w, const BaselineItem& item) {
  if (item.args.empty()) return w.unconditional && w.unconditional->named && allows(w.unconditional->action);
  return std::any_of(w.conditional.begin(), w.conditional.end(), [&](const ResolvedRule& r) {
    return allows(r.action) && r.args.size() == item.args.size() &&
           std::equal(r.args.begin(), r.args.end(), item.args.begin(),
                      [](const Condition& a, const Condition& b) { return a.same_test(b); });
  });
}

}  // namespace

int strictness(const Action& action) {
  switch (action.kind) {
    case Action::Kind::Allow: return 0;
    case Action::Kind::Log: return 1;
    case Action::Kind::Errno: return 2;
    case Action::Kind::Trap: return 3;
    case Action::Kind::Kill: return 4;
  }
  return 4;
}

std::vector<BaselineItem> baseline_items(const ResolveOptions& options) {
  std::vector<BaselineItem> items;
  items.reserve(kWholeCalls.size() + 6);  // and the six with conditions below
  for (const auto& [name, reason] : kWholeCalls) items.push_back({std::string(name), {}, std::string(reason), {}});
  items.push_back({"clone3", {}, "its flags are in memory the filter cannot read; ENOSYS makes the C library fall "
                   "back to clone, whose flags it can", Action{Action::Kind::Errno, ENOSYS}});
  // SECURITY: ioctl's request is an int; the kernel ignores the upper half of the
  // register, so only the low 32 bits are compared (CVE-2019-10063).
  items.push_back({"ioctl", {masked(1, kLow32, TIOCSTI, "0xffffffff", "TIOCSTI")},
                   "pushes input into a terminal, typing commands into the caller's shell", {}});
  items.push_back({"ioctl", {masked(1, kLow32, TIOCLINUX, "0xffffffff", "TIOCLINUX")},
                   "can paste the Linux console's selection as input, like TIOCSTI", {}});
  // SECURITY: socket's family is an int: the low 32 bits only, as for ioctl.
  items.push_back({"socket", {masked(0, kLow32, AF_VSOCK, "0xffffffff", "AF_VSOCK")},
                   "talks to the hypervisor and other virtual machines, past every network namespace", {}});
  if (!options.nested_user_namespaces) {
    for (const char* call : {"clone", "unshare"}) {
      items.push_back({call, {masked(0, CLONE_NEWUSER, CLONE_NEWUSER, "CLONE_NEWUSER", "CLONE_NEWUSER")},
                       "a new user namespace gives back every capability inside it (namespaces.nested_user allows "
                       "it)", {}});
    }
  }
  return items;
}

Resolved resolve(const Filter& filter, const ResolveOptions& options) {
  std::map<std::string, Working> calls;
  for (const Rule& rule : filter.rules) {
    const bool named = rule.syscall.front() != '@';
    const std::string source = named ? "rule" : rule.syscall;
    if (!rule.args.empty()) {
      calls[rule.syscall].conditional.push_back({rule.action, rule.args, "rule"});
      continue;
    }
    if (named) {
      offer(calls[rule.syscall], rule.action, true, source);
      continue;
    }
    for (const std::string& member : expand_group(rule.syscall)) offer(calls[member], rule.action, false, source);
  }
  for (const BaselineItem& item : baseline_items(options)) {
    Working& w = calls[item.syscall];
    if (lifted(w, item)) continue;
    const Action action = item.fixed.value_or(filter.baseline);
    // A call the policy gives a stricter action (kill, by name or group) keeps it.
    if (w.unconditional && strictness(w.unconditional->action) > strictness(action)) continue;
    if (item.args.empty()) {
      w.unconditional = Candidate{action, true};
      w.why = "baseline";
    } else {
      w.conditional.push_back({action, item.args, "baseline"});
    }
  }
  // SECURITY: clone3's flags are in memory the filter cannot read; allowed, it would
  // create user namespaces that clone's and unshare's checks refuse.
  if (!options.nested_user_namespaces) {
    const auto it = calls.find("clone3");
    if (it != calls.end() &&
        ((it->second.unconditional && allows(it->second.unconditional->action)) ||
         std::any_of(it->second.conditional.begin(), it->second.conditional.end(),
                     [](const ResolvedRule& r) { return allows(r.action); }))) {
      throw Error("seccomp: clone3 is allowed while nested user namespaces are not: the filter cannot read clone3's "
                  "flags, so it could create them; set namespaces.nested_user, or leave clone3 to the baseline "
                  "(ENOSYS, and the C library uses clone)");
    }
  }
  Resolved out{filter.default_action, {}};
  for (auto& [name, w] : calls) {
    ResolvedSyscall s{name, w.unconditional ? w.unconditional->action : filter.default_action,
                      w.unconditional ? w.why : "default", {}};
    for (ResolvedRule& r : w.conditional) {
      if (r.action != s.otherwise) s.conditional.push_back(std::move(r));
    }
    if (s.otherwise == filter.default_action && s.conditional.empty()) continue;
    out.syscalls.push_back(std::move(s));
  }
  return out;
}

}  // namespace hutch::seccomp
