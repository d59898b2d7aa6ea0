#include "seccomp/compile.hpp"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "seccomp/syscalls.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace hutch::seccomp {
namespace {

using Context = std::unique_ptr<void, decltype(&seccomp_release)>;

std::uint32_t libseccomp_action(const Action& action, KillMode mode) {
  switch (action.kind) {
    case Action::Kind::Allow: return SCMP_ACT_ALLOW;
    case Action::Kind::Errno: return SCMP_ACT_ERRNO(static_cast<std::uint16_t>(action.errno_value));
    case Action::Kind::Trap: return SCMP_ACT_TRAP;
    case Action::Kind::Log: return SCMP_ACT_LOG;
    case Action::Kind::Kill: return mode == KillMode::Notify ? SCMP_ACT_NOTIFY : SCMP_ACT_KILL_PROCESS;
  }
  return SCMP_ACT_KILL_PROCESS;
}

scmp_compare to_libseccomp(Op op) {
  switch (op) {
    case Op::Eq: return SCMP_CMP_EQ;
    case Op::Ne: return SCMP_CMP_NE;
    case Op::Lt: return SCMP_CMP_LT;
    case Op::Le: return SCMP_CMP_LE;
    case Op::Gt: return SCMP_CMP_GT;
    case Op::Ge: return SCMP_CMP_GE;
    case Op::Masked: return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

void check(int rc, const std::string& what) {
  if (rc < 0) throw Error(fmt::format("seccomp: {}: {}", what, describe_errno(-rc)), -rc);
}

void add_rule(void* ctx, std::uint32_t action, int nr, const std::vector<Condition>& args, const std::string& name) {
  std::vector<scmp_arg_cmp> cmps;
  cmps.reserve(args.size());
  for (const Condition& c : args) {
    cmps.push_back(c.op == Op::Masked ? scmp_arg_cmp{c.arg, SCMP_CMP_MASKED_EQ, c.mask, c.value}
                                      : scmp_arg_cmp{c.arg, to_libseccomp(c.op), c.value, 0});
  }
  const int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
  if (rc == -EEXIST) {
    throw Error(fmt::format("seccomp: libseccomp cannot combine the rules for {} (conditions that overlap with "
                            "different actions); simplify them",
                            name),
                EEXIST);
  }
  check(rc, fmt::format("adding the rule for {}", name));
}

Program export_program(void* ctx) {
  UniqueFd mem(::memfd_create("hutch-seccomp", MFD_CLOEXEC));
  if (!mem) throw_sys("memfd_create", "for the seccomp program");
  check(seccomp_export_bpf(ctx, mem.get()), "exporting the program");
  const off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size < 0 || size % sizeof(sock_filter) != 0) throw Error("seccomp: libseccomp exported a truncated program");
  Program program(static_cast<std::size_t>(size) / sizeof(sock_filter));
  if (::pread(mem.get(), program.data(), static_cast<std::size_t>(size), 0) != size) {
    throw_sys("read back", "the seccomp program");
  }
  return program;
}

bool matches(const Condition& c, std::uint64_t arg) {
  switch (c.op) {
    case Op::Eq: return arg == c.value;
    case Op::Ne: return arg != c.value;
    case Op::Lt: return arg < c.value;
    case Op::Le: return arg <= c.value;
    case Op::Gt: return arg > c.value;
    case Op::Ge: return arg >= c.value;
    case Op::Masked: return (arg & c.mask) == c.value;
  }
  return false;
}

// What the rules mean for these arguments; nullopt when rules with different actions
// all match (the policy leaves that open, and so does the check).
std::optional<Action> intended(const ResolvedSyscall& s, const std::uint64_t (&args)[6]) {
  std::optional<Action> found;
  for (const ResolvedRule& r : s.conditional) {
    const bool all = std::all_of(r.args.begin(), r.args.end(), [&](const Condition& c) { return matches(c, args[c.arg]); });
    if (!all) continue;
    if (found && *found != r.action) return std::nullopt;
    found = r.action;
  }
  return found.value_or(s.otherwise);
}

// The values worth trying for one compared argument: each condition's value, its
// neighbours, with the upper half set, masked variants, 0 and all ones.
using Edges = std::map<unsigned, std::vector<std::uint64_t>>;  // compared argument -> values

Edges edges_of(const ResolvedSyscall& s) {
  std::map<unsigned, std::set<std::uint64_t>> sets;
  for (const ResolvedRule& r : s.conditional) {
    for (const Condition& c : r.args) {
      for (std::uint64_t v : {c.value, c.value - 1, c.value + 1, c.value | (std::uint64_t{1} << 32), c.value | c.mask,
                              c.value ^ c.mask, std::uint64_t{0}, ~std::uint64_t{0}}) {
        sets[c.arg].insert(v);
      }
    }
  }
  Edges out;
  for (const auto& [arg, values] : sets) out[arg].assign(values.begin(), values.end());
  return out;
}

void verify_one(const Program& program, const ResolvedSyscall& s, int nr, KillMode mode, const std::uint64_t (&args)[6]) {
  const std::optional<Action> want = intended(s, args);
  if (!want) return;
  seccomp_data data{};
  data.nr = nr;
  data.arch = seccomp_arch_native();
  std::copy(std::begin(args), std::end(args), std::begin(data.args));
  const std::uint32_t got = run_bpf(program, data);
  if (got == kernel_action(*want, mode)) return;
  std::string values;
  for (unsigned arg = 0; arg < 6; ++arg) {
    if (args[arg] != 0) values += fmt::format("{}argument {} = {:#x}", values.empty() ? "" : ", ", arg, args[arg]);
  }
  throw Error(fmt::format("seccomp: the rules for {} cannot be compiled as written: with {} the filter would "
                          "return {}, the policy means {} (simplify the conditions)",
                          s.name, values.empty() ? "all arguments 0" : values, describe_return(got),
                          format_action(*want)));
}

// Rules on two arguments can go wrong only in combination, so every combination of the
// compared arguments' edge values is tried, up to kMaxCombinations per call; past that
// (rules on many arguments with many values), one argument at a time, the others 0.
constexpr std::size_t kMaxCombinations = 4096;

void verify(const Program& program, const ResolvedSyscall& s, int nr, KillMode mode) {
  const Edges edges = edges_of(s);
  std::size_t combinations = 1;
  for (const auto& [arg, values] : edges) combinations = std::min(combinations * values.size(), kMaxCombinations + 1);
  if (combinations > kMaxCombinations) {
    for (const auto& [arg, values] : edges) {
      for (std::uint64_t v : values) {
        std::uint64_t args[6]{};
        args[arg] = v;
        verify_one(program, s, nr, mode, args);
      }
    }
    return;
  }
  // An odometer over the compared arguments.
  std::vector<std::pair<unsigned, const std::vector<std::uint64_t>*>> digits;
  for (const auto& [arg, values] : edges) digits.emplace_back(arg, &values);
  std::vector<std::size_t> at(digits.size(), 0);
  while (true) {
    std::uint64_t args[6]{};
    for (std::size_t i = 0; i < digits.size(); ++i) args[digits[i].first] = (*digits[i].second)[at[i]];
    verify_one(program, s, nr, mode, args);
    std::size_t i = 0;
    while (i < digits.size() && ++at[i] == digits[i].second->size()) at[i++] = 0;
    if (i == digits.size()) return;
  }
}

}  // namespace

std::uint32_t kernel_action(const Action& action, KillMode mode) {
  switch (action.kind) {
    case Action::Kind::Allow: return SECCOMP_RET_ALLOW;
    case Action::Kind::Errno: return SECCOMP_RET_ERRNO | (static_cast<std::uint32_t>(action.errno_value) & SECCOMP_RET_DATA);
    case Action::Kind::Trap: return SECCOMP_RET_TRAP;
    case Action::Kind::Log: return SECCOMP_RET_LOG;
    case Action::Kind::Kill: return mode == KillMode::Notify ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_KILL_PROCESS;
  }
  return SECCOMP_RET_KILL_PROCESS;
}

namespace {

// Native numbers of every call libseccomp knows, and the largest.
struct NativeTable {
  std::set<int> numbers;
  int max = 0;
};

const NativeTable& native_table() {
  static const NativeTable table = [] {
    NativeTable t;
    for (const std::string& name : known_syscalls()) {
      const int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr < 0) continue;
      t.numbers.insert(nr);
      t.max = std::max(t.max, nr);
    }
    return t;
  }();
  return table;
}

// The answer for a call number with all arguments 0, as the rules mean it.
Action intended_for(const Resolved& resolved, const std::map<int, const ResolvedSyscall*>& by_nr, int nr) {
  const auto it = by_nr.find(nr);
  if (it == by_nr.end()) return resolved.default_action;
  const std::uint64_t zero[6]{};
  return intended(*it->second, zero).value_or(it->second->otherwise);
}

std::map<int, const ResolvedSyscall*> native_numbers(const Resolved& resolved) {
  std::map<int, const ResolvedSyscall*> by_nr;
  for (const ResolvedSyscall& s : resolved.syscalls) {
    const int nr = seccomp_syscall_resolve_name(s.name.c_str());
    if (nr >= 0) by_nr[nr] = &s;  // else not a call of this architecture (i386's socketcall)
  }
  return by_nr;
}

// What most calls up to the last known one get: libseccomp's default, so that the
// fewest rules are needed (an allow list of 300 calls is 60 rules the other way round).
Action majority_action(const Resolved& resolved, const std::map<int, const ResolvedSyscall*>& by_nr) {
  // libseccomp refuses a rule whose action is its default (EACCES): an action some
  // argument rule uses cannot be it.
  std::set<std::string> in_rules;
  for (const auto& [nr, s] : by_nr) {
    for (const ResolvedRule& r : s->conditional) in_rules.insert(format_action(r.action));
  }
  std::map<std::string, std::pair<int, Action>> counts;
  for (int nr = 0; nr <= native_table().max; ++nr) {
    const auto it = by_nr.find(nr);
    const Action a = it == by_nr.end() ? resolved.default_action : it->second->otherwise;
    if (in_rules.count(format_action(a)) != 0) continue;
    auto& entry = counts[format_action(a)];
    entry.first++;
    entry.second = a;
  }
  // Every action taken: one no call gets, so that every call has a rule of its own.
  if (counts.empty()) return Action{Action::Kind::Errno, 4095};
  const auto best = std::max_element(counts.begin(), counts.end(),
                                     [](const auto& x, const auto& y) { return x.second.first < y.second.first; });
  return best->second.second;
}

// SECURITY: libseccomp's default is the majority's action, so calls past the last
// number it knows (newer than this libseccomp) need the policy's default explicitly:
//   ld arch; if not native: go to libseccomp's program (which refuses other architectures)
//   ld nr;   if >= the x32 bit: go to libseccomp's program (it refuses x32 calls)
//            if > the last known number: return the default
Program with_unknown_prefix(const Program& body, std::uint32_t default_ret) {
  const std::uint32_t max = static_cast<std::uint32_t>(native_table().max);
  Program p{
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, max, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, default_ret),
  };
  p.insert(p.end(), body.begin(), body.end());
  return p;
}

// The payload installs the filter and then calls execve, and on failure write and
// _exit, while init still waits for execve (CLONE_VFORK) holding the listener: a kill
// there would wait for a supervisor that has no listener yet. Those calls are needed
// for any command to start or fail visibly, so a policy must leave them be.
void check_needed_calls(const Resolved& resolved) {
  const auto find = [&](std::string_view name) -> const ResolvedSyscall* {
    for (const ResolvedSyscall& s : resolved.syscalls) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  const auto stops = [](const Action& a) { return a.kind == Action::Kind::Kill || a.kind == Action::Kind::Trap; };
  for (const char* name : {"execve", "exit_group", "exit", "write"}) {
    const ResolvedSyscall* s = find(name);
    const Action otherwise = s ? s->otherwise : resolved.default_action;
    const bool must_allow = std::string_view(name) == "execve" || std::string_view(name) == "exit_group";
    bool bad = must_allow ? (otherwise.kind != Action::Kind::Allow && otherwise.kind != Action::Kind::Log)
                          : stops(otherwise);
    if (s) {
      for (const ResolvedRule& r : s->conditional) bad |= stops(r.action) || (must_allow && r.action.kind == Action::Kind::Errno);
    }
    if (bad) {
      throw Error(fmt::format("seccomp: {} must be {}: the command starts with execve and reports a failure to start "
                              "with write and exit_group (the policy gives {} {})",
                              name, must_allow ? "allowed" : "allowed or an errno", name, format_action(otherwise)));
    }
  }
}

}  // namespace

Compiled compile(const Resolved& resolved, KillMode mode) {
  check_needed_calls(resolved);
  const std::map<int, const ResolvedSyscall*> by_nr = native_numbers(resolved);
  const Action base = majority_action(resolved, by_nr);
  Context ctx(seccomp_init(libseccomp_action(base, mode)), &seccomp_release);
  if (!ctx) throw Error("seccomp: libseccomp could not start a filter");
  // SECURITY: any other architecture is refused with the kill action (a violation).
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, libseccomp_action({Action::Kind::Kill, 0}, mode)),
        "setting the action for other architectures");
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2), "asking for the binary tree");
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "leaving no_new_privs to hutch");
  for (int nr = 0; nr <= native_table().max; ++nr) {
    const auto it = by_nr.find(nr);
    if (it == by_nr.end()) {
      // Not named by the rules: the default, whether libseccomp knows the number or not.
      if (resolved.default_action != base) add_rule(ctx.get(), libseccomp_action(resolved.default_action, mode), nr, {},
                                                    fmt::format("system call {}", nr));
      continue;
    }
    const ResolvedSyscall& s = *it->second;
    for (const ResolvedRule& r : s.conditional) add_rule(ctx.get(), libseccomp_action(r.action, mode), nr, r.args, s.name);
    if (s.otherwise == base) continue;
    // With argument rules, `otherwise` is a rule that always matches (argument 0 >= 0),
    // which libseccomp tests after the others; check_program() makes sure it did.
    const std::vector<Condition> always =
        s.conditional.empty() ? std::vector<Condition>{} : std::vector<Condition>{Condition{0, Op::Ge, 0, 0, "", ""}};
    add_rule(ctx.get(), libseccomp_action(s.otherwise, mode), nr, always, s.name);
  }
  for (const auto& [nr, s] : by_nr) {  // named calls past the last known number
    if (nr > native_table().max) throw Error(fmt::format("seccomp: {} ({}) is newer than this libseccomp's table", s->name, nr));
  }
  Program program = export_program(ctx.get());
  if (resolved.default_action != base) program = with_unknown_prefix(program, kernel_action(resolved.default_action, mode));
  // Other architectures always take the kill action: every Notify program notifies.
  Compiled out{std::move(program), mode == KillMode::Notify};
  check_program(out.program, resolved, mode);
  return out;
}

void check_program(const Program& program, const Resolved& resolved, KillMode mode) {
  const std::map<int, const ResolvedSyscall*> by_nr = native_numbers(resolved);
  // Every number, with arguments 0: each call's own answer, the default past the table.
  for (int nr = 0; nr < 1024; ++nr) {
    seccomp_data d{};
    d.arch = seccomp_arch_native();
    d.nr = nr;
    const std::uint32_t want = kernel_action(intended_for(resolved, by_nr, nr), mode);
    const std::uint32_t got = run_bpf(program, d);
    if (got != want) {
      const auto it = by_nr.find(nr);
      std::unique_ptr<char, decltype(&std::free)> name(seccomp_syscall_resolve_num_arch(seccomp_arch_native(), nr),
                                                       &std::free);
      throw Error(fmt::format("seccomp: the compiled program answers system call {} ({}) with {}, the policy means {}",
                              nr, it != by_nr.end() ? it->second->name : name ? name.get() : "unknown",
                              describe_return(got), describe_return(want)));
    }
  }
  // Other architectures and x32 numbers: the kill action.
  const std::uint32_t kill = kernel_action({Action::Kind::Kill, 0}, mode);
  for (const auto& [arch, nr] : {std::pair<std::uint32_t, int>{SCMP_ARCH_X86, 26}, {SCMP_ARCH_X86, 0},
                                 {seccomp_arch_native(), 0x40000000 | 39}, {seccomp_arch_native(), 0x40000000}}) {
    seccomp_data d{};
    d.arch = arch;
    d.nr = nr;
    if (arch == seccomp_arch_native() && arch != SCMP_ARCH_X86_64) continue;  // x32 is an x86_64 matter
    if (run_bpf(program, d) != kill) {
      throw Error(fmt::format("seccomp: the compiled program does not refuse call {:#x} of architecture {:#x}", nr, arch));
    }
  }
  for (const auto& [nr, s] : by_nr) {
    if (!s->conditional.empty()) verify(program, *s, nr, mode);
  }
}

Program without_notify(const Program& program) {
  Program out = program;
  for (sock_filter& in : out) {
    if (in.code == (BPF_RET | BPF_K) && (in.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF) {
      in.k = SECCOMP_RET_KILL_PROCESS;
    }
  }
  return out;
}

}  // namespace hutch::seccomp
