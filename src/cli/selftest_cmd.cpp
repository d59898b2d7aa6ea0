// `hutch selftest`: runs the escape suite against this machine and a policy and prints
// one line per attack (docs/selftest.md). Exit status 0 when every attack was held, 1
// when one breached the sandbox, 2 when one could not be carried out (and none breached),
// 128+N when signal N stopped the suite.
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "selftest/selftest.hpp"
#include "util/log.hpp"

namespace po = boost::program_options;

namespace hutch::cli {
namespace {

constexpr std::string_view kSelftestUsage =
    "usage: hutch selftest [OPTIONS]\n\n"
    "Run every attack of hutch's escape suite in its own sandbox under a policy, and say of\n"
    "each whether the sandbox held (docs/selftest.md).\n";

po::options_description selftest_options() {
  po::options_description d("options");
  d.add_options()("policy,p", po::value<std::string>()->value_name("NAME|FILE")->default_value("default"),
                  "the policy the sandboxes run under")(
      "only", po::value<std::vector<std::string>>()->value_name("ATTACK"), "run only this attack (repeatable)")(
      "list", po::bool_switch(), "name every attack and what it checks, then exit")(
      "json", po::bool_switch(), "print the outcomes as one JSON object")(
      "unconfined", po::bool_switch(),
      "run the attacks on the host, outside any sandbox, to see what they reach unstopped (not as root)")(
      "verbose,v", po::bool_switch(), "print every attempt of every attack")("help,h", po::bool_switch(),
                                                                             "show this help");
  return d;
}

std::string_view json_verdict(selftest::Verdict v) {
  switch (v) {
    case selftest::Verdict::Held:
      return "held";
    case selftest::Verdict::Breached:
      return "breached";
    case selftest::Verdict::Error:
      return "error";
    case selftest::Verdict::NotRun:
      return "not-run";
    case selftest::Verdict::Permitted:
      return "permitted";
  }
  return "error";
}

void print_line(const selftest::Outcome& o, bool verbose) {
  std::cout << fmt::format("{:<9} {:<21} {}\n", selftest::verdict_name(o.verdict), o.attack, o.claim);
  if (verbose || o.verdict != selftest::Verdict::Held) std::cout << fmt::format("{:<9} {:<21} {}\n", "", "", o.how);
  if (verbose)
    for (const std::string& line : o.attempts) std::cout << fmt::format("{:<9} {:<21}   {}\n", "", "", line);
  std::cout.flush();
}

}  // namespace

int selftest_command(std::span<char* const> args) {
  const po::options_description options = selftest_options();
  po::variables_map vm;
  try {
    const std::vector<std::string> tokens(args.begin(), args.end());
    po::store(po::command_line_parser(tokens).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{e.what(), "selftest"};
  }
  if (vm["help"].as<bool>()) {
    std::cout << kSelftestUsage << "\n" << options;
    return 0;
  }
  if (vm["list"].as<bool>()) {
    for (const selftest::Description& d : selftest::attacks()) std::cout << fmt::format("{:<21} {}\n", d.name, d.claim);
    return 0;
  }
  selftest::Options o;
  o.policy = vm["policy"].as<std::string>();
  o.unconfined = vm["unconfined"].as<bool>();
  if (vm.count("only") != 0) o.only = vm["only"].as<std::vector<std::string>>();
  const bool json = vm["json"].as<bool>();
  const bool verbose = vm["verbose"].as<bool>();

  if (!json) {
    std::cout << (o.unconfined ? "hutch selftest: each attack on the host, outside any sandbox\n"
                               : fmt::format("hutch selftest: each attack in its own sandbox, policy {}\n", o.policy))
              << std::flush;
  }
  std::vector<selftest::Outcome> outcomes;
  try {
    outcomes = selftest::run(o, [&](const selftest::Outcome& outcome) {
      if (!json) print_line(outcome, verbose);
    });
  } catch (const selftest::Interrupted& e) {
    log::error("{}", e.message());
    return 128 + e.signal();
  }
  std::size_t held = 0, breached = 0, errors = 0, not_run = 0, permitted = 0;
  for (const selftest::Outcome& outcome : outcomes) {
    held += outcome.verdict == selftest::Verdict::Held;
    breached += outcome.verdict == selftest::Verdict::Breached;
    errors += outcome.verdict == selftest::Verdict::Error;
    not_run += outcome.verdict == selftest::Verdict::NotRun;
    permitted += outcome.verdict == selftest::Verdict::Permitted;
  }
  if (json) {
    nlohmann::json out{{"policy", o.unconfined ? nlohmann::json(nullptr) : nlohmann::json(o.policy)},
                       {"unconfined", o.unconfined},
                       {"held", held},
                       {"breached", breached},
                       {"errors", errors},
                       {"permitted", permitted},
                       {"attacks", nlohmann::json::array()}};
    for (const selftest::Outcome& outcome : outcomes) {
      out["attacks"].push_back({{"attack", outcome.attack},
                                {"claim", outcome.claim},
                                {"verdict", json_verdict(outcome.verdict)},
                                {"how", outcome.how},
                                {"attempts", outcome.attempts}});
    }
    std::cout << out.dump() << "\n";
  } else {
    std::string line = fmt::format("{} attacks: {} held", outcomes.size(), held);
    if (breached != 0) line += fmt::format(", {} BREACHED", breached);
    if (errors != 0) line += fmt::format(", {} could not be carried out", errors);
    if (permitted != 0) line += fmt::format(", {} permitted by the policy", permitted);
    if (not_run != 0) line += fmt::format(", {} not run", not_run);
    std::cout << line << "\n";
  }
  return breached != 0 ? 1 : errors != 0 ? 2 : 0;
}

}  // namespace hutch::cli
