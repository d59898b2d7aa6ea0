// `hutch policy list | check FILE... | show NAME [--resolved] [RUN OPTIONS]`
#include <seccomp.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "cli/run.hpp"
#include "policy/emit.hpp"
#include "policy/lookup.hpp"
#include "runtime/plan.hpp"
#include "seccomp/compile.hpp"
#include "seccomp/precompiled.hpp"
#include "seccomp/groups.hpp"
#include "seccomp/syscalls.hpp"
#include "util/error.hpp"

namespace hutch::cli {
namespace {

constexpr std::string_view kPolicyUsage =
    "usage: hutch policy list\n"
    "       hutch policy check NAME|FILE...\n"
    "       hutch policy show NAME|FILE [--resolved [RUN OPTIONS...]]\n"
    "       hutch policy seccomp NAME|FILE [--bpf] | --groups\n"
    "\n"
    "list    every policy along the search path, the first of each name wins\n"
    "check   load each policy with what it extends; print every error; exit 1 if any\n"
    "show    print a policy as written, or --resolved: after extends and the run options\n"
    "        given after it, what a run would use (docs/policy.md)\n"
    "seccomp the filter a run would install, call by call (--bpf: the compiled program),\n"
    "        or --groups: every @group and its members (docs/seccomp.md)\n";

// Exit status of `policy check` when a policy is invalid (0 when all are valid).
constexpr int kExitInvalidPolicy = 1;

int list_command() {
  const policy::LoadContext ctx = policy::default_load_context();
  for (const policy::ListedPolicy& p : policy::list_policies(ctx.search)) {
    std::string description;
    if (p.shadowed) {
      description = "(shadowed by an earlier one)";
    } else {
      try {
        description = policy::load_policy(p.name, ctx).policy.description;
      } catch (const Error& e) {
        description = fmt::format("(invalid: {})", e.message().substr(0, e.message().find('\n')));
      }
    }
    std::cout << fmt::format("{:<12} {:<48} {}\n", p.name, p.display, description);
  }
  return 0;
}

int check_command(std::span<char* const> args) {
  if (args.empty()) throw UsageError{"no policy to check", "policy"};
  const policy::LoadContext ctx = policy::default_load_context();
  int status = 0;
  for (const char* arg : args) {
    try {
      const policy::LoadedPolicy loaded = policy::load_policy(arg, ctx);
      // The filter too: what libseccomp cannot build as written fails here, not at a run.
      try {
        const runtime::SeccompInputs in = runtime::seccomp_inputs(loaded.policy);
        seccomp::compile_filter(in.filter, in.options, in.mode);
      } catch (const Error& e) {
        std::cerr << fmt::format("{}: {}\n", loaded.chain.front(), e.what());
        status = kExitInvalidPolicy;
        continue;
      }
      std::cout << fmt::format("{}: ok\n", loaded.chain.front());
    } catch (const policy::PolicyError& e) {
      std::cerr << e.message() << "\n";
      status = kExitInvalidPolicy;
    }
  }
  return status;
}

int show_command(std::span<char* const> args) {
  if (args.empty()) throw UsageError{"no policy to show", "policy"};
  const std::string name = args[0];
  const policy::LoadContext ctx = policy::default_load_context();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (rest.empty() || rest.front() != "--resolved") {
    if (!rest.empty()) throw UsageError{fmt::format("unexpected argument \"{}\"", rest.front()), "policy"};
    const std::optional<policy::PolicySource> src =
        policy::is_policy_path(name) ? std::optional(policy::read_policy_file(name, name)) : policy::find_policy(name, ctx.search);
    if (!src) throw Error(fmt::format("no policy named \"{}\"", name));
    std::cout << "# " << src->display << "\n" << src->text;
    if (!src->text.empty() && src->text.back() != '\n') std::cout << "\n";
    return 0;
  }
  rest.erase(rest.begin());
  const RunArgs run = parse_run_args(rest, ctx.cwd, false);
  policy::LoadedPolicy loaded = policy::load_policy(name, ctx);
  apply_overrides(run.overrides, loaded.policy);
  std::string header = "resolved from " + fmt::format("{}", fmt::join(loaded.chain, " <- "));
  if (!rest.empty()) header += " and the command line";
  std::cout << policy::emit_policy(loaded.policy, header);
  return 0;
}

std::string format_condition(const seccomp::Condition& c) {
  const auto text = [](const std::string& written, std::uint64_t v) {
    return written.empty() ? fmt::format("{:#x}", v) : written;
  };
  if (c.op == seccomp::Op::Masked) {
    return fmt::format("arg{} & {} == {}", c.arg, text(c.mask_text, c.mask), text(c.value_text, c.value));
  }
  return fmt::format("arg{} {} {}", c.arg, seccomp::format_op(c.op), text(c.value_text, c.value));
}

int groups_command() {
  for (const seccomp::Group& g : seccomp::groups()) {
    std::cout << fmt::format("{}: {}\n  {}\n", g.name, g.description, fmt::join(seccomp::expand_group(g.name), " "));
  }
  std::cout << "@known: every system call this hutch's libseccomp knows (" << seccomp::known_syscalls().size()
            << " names)\n";
  return 0;
}

int seccomp_command(std::span<char* const> args) {
  if (args.size() == 1 && std::string_view(args[0]) == "--groups") return groups_command();
  if (args.empty() || args.size() > 2 || (args.size() == 2 && std::string_view(args[1]) != "--bpf")) {
    throw UsageError{"expected a policy, then --bpf or nothing", "policy"};
  }
  const policy::LoadedPolicy loaded = policy::load_policy(args[0], policy::default_load_context());
  const runtime::SeccompInputs in = runtime::seccomp_inputs(loaded.policy);
  if (args.size() == 2) {  // the very program a run installs
    const seccomp::Compiled compiled = seccomp::compile_filter(in.filter, in.options, in.mode);
    std::cout << fmt::format("# {} instructions, {}\n", compiled.program.size(), fmt::join(loaded.chain, " <- "))
              << seccomp::disassemble(compiled.program);
    return 0;
  }
  const seccomp::Resolved resolved = seccomp::resolve(in.filter, in.options);
  std::cout << fmt::format("# seccomp filter of {}\n", fmt::join(loaded.chain, " <- "));
  std::cout << fmt::format("x86_64, every call not listed: {}\n", seccomp::format_action(resolved.default_action));
  std::cout << "i386 (int 0x80) and x32, every call: kill\n";
  for (const seccomp::ResolvedSyscall& s : resolved.syscalls) {
    if (seccomp_syscall_resolve_name(s.name.c_str()) < 0) continue;  // not an x86_64 call
    std::cout << fmt::format("{:<24} {:<22} {}\n", s.name, seccomp::format_action(s.otherwise), s.why);
    for (const seccomp::ResolvedRule& r : s.conditional) {
      std::string when;
      for (const seccomp::Condition& c : r.args) when += (when.empty() ? "" : " and ") + format_condition(c);
      std::cout << fmt::format("  when {}: {}  ({})\n", when, seccomp::format_action(r.action), r.why);
    }
  }
  return 0;
}

}  // namespace

int policy_command(std::span<char* const> args) {
  if (args.empty()) throw UsageError{"no policy command given (list, check or show)", "policy"};
  const std::string_view sub = args[0];
  const auto asks_help = [](std::string_view a) { return a == "-h" || a == "--help"; };
  if (sub == "help" || asks_help(sub) || (args.size() > 1 && asks_help(args[1]))) {
    std::cout << kPolicyUsage;
    return 0;
  }
  if (sub == "list") {
    if (args.size() > 1) throw UsageError{"policy list takes no arguments", "policy"};
    return list_command();
  }
  if (sub == "check") return check_command(args.subspan(1));
  if (sub == "show") return show_command(args.subspan(1));
  if (sub == "seccomp") return seccomp_command(args.subspan(1));
  throw UsageError{fmt::format("unknown policy command \"{}\" (list, check, show or seccomp)", sub), "policy"};
}

}  // namespace hutch::cli
