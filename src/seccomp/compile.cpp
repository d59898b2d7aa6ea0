#include "seccomp/compile.hpp"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <set>

#include <fmt/format.h>

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

void verify(const Program& program, const ResolvedSyscall& s, int nr, KillMode mode) {
  std::set<std::uint64_t> edges[6];
  for (const ResolvedRule& r : s.conditional) {
    for (const Condition& c : r.args) {
      for (std::uint64_t v : {c.value, c.value - 1, c.value + 1, c.value | (std::uint64_t{1} << 32), c.value | c.mask,
                              c.value ^ c.mask, std::uint64_t{0}, ~std::uint64_t{0}}) {
        edges[c.arg].insert(v);
      }
    }
  }
  for (unsigned arg = 0; arg < 6; ++arg) {
    for (std::uint64_t v : edges[arg]) {
      std::uint64_t args[6]{};
      args[arg] = v;
      const std::optional<Action> want = intended(s, args);
      if (!want) continue;
      seccomp_data data{};
      data.nr = nr;
      data.arch = seccomp_arch_native();
      std::copy(std::begin(args), std::end(args), std::begin(data.args));
      const std::uint32_t got = run_bpf(program, data);
      if (got != kernel_action(*want, mode)) {
        throw Error(fmt::format("seccomp: the rules for {} cannot be compiled as written: with argument {} = {:#x} "
                                "the filter would return {}, the policy means {} (simplify the conditions)",
                                s.name, arg, v, describe_return(got), format_action(*want)));
      }
    }
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

Compiled compile(const Resolved& resolved, KillMode mode) {
  const std::uint32_t default_action = libseccomp_action(resolved.default_action, mode);
  Context ctx(seccomp_init(default_action), &seccomp_release);
  if (!ctx) throw Error("seccomp: libseccomp could not start a filter");
  // SECURITY: any other architecture is refused with the kill action (a violation).
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, libseccomp_action({Action::Kind::Kill, 0}, mode)),
        "setting the action for other architectures");
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2), "asking for the binary tree");
  check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "leaving no_new_privs to hutch");
  for (const ResolvedSyscall& s : resolved.syscalls) {
    const int nr = seccomp_syscall_resolve_name(s.name.c_str());
    if (nr < 0) continue;  // not a system call of this architecture (i386's socketcall)
    for (const ResolvedRule& r : s.conditional) {
      add_rule(ctx.get(), libseccomp_action(r.action, mode), nr, r.args, s.name);
    }
    if (s.otherwise == resolved.default_action) continue;
    // With argument rules, `otherwise` is a rule that always matches (argument 0 >= 0),
    // which libseccomp tests after the others; verify() makes sure it did.
    const std::vector<Condition> always =
        s.conditional.empty() ? std::vector<Condition>{} : std::vector<Condition>{Condition{0, Op::Ge, 0, 0, "", ""}};
    add_rule(ctx.get(), libseccomp_action(s.otherwise, mode), nr, always, s.name);
  }
  // Other architectures always take the kill action: every Notify program notifies.
  Compiled out{export_program(ctx.get()), mode == KillMode::Notify};
  check_program(out.program, resolved, mode);
  return out;
}

void check_program(const Program& program, const Resolved& resolved, KillMode mode) {
  for (const ResolvedSyscall& s : resolved.syscalls) {
    const int nr = seccomp_syscall_resolve_name(s.name.c_str());
    if (nr >= 0 && !s.conditional.empty()) verify(program, s, nr, mode);
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
