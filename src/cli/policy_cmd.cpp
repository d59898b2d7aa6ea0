// `hutch policy list | check FILE... | show NAME [--resolved] [RUN OPTIONS]`
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
#include "util/error.hpp"

namespace hutch::cli {
namespace {

constexpr std::string_view kPolicyUsage =
    "usage: hutch policy list\n"
    "       hutch policy check NAME|FILE...\n"
    "       hutch policy show NAME|FILE [--resolved [RUN OPTIONS...]]\n"
    "\n"
    "list    every policy along the search path, the first of each name wins\n"
    "check   load each policy with what it extends; print every error; exit 1 if any\n"
    "show    print a policy as written, or --resolved: after extends and the run options\n"
    "        given after it, what a run would use (docs/policy.md)\n";

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
  throw UsageError{fmt::format("unknown policy command \"{}\" (list, check or show)", sub), "policy"};
}

}  // namespace hutch::cli
