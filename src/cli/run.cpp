// `hutch run [OPTIONS] [--] COMMAND [ARG...]`: flags are overrides applied onto the
// Policy (policy/schema.hpp), never a second model; the Plan is computed from it.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/cli.hpp"
#include "cli/result.hpp"
#include "cli/run.hpp"
#include "cli/specs.hpp"
#include "landlock/landlock.hpp"
#include "mount/spec.hpp"
#include "policy/lookup.hpp"
#include "policy/merge.hpp"
#include "policy/validate.hpp"
#include "runtime/host.hpp"
#include "runtime/launcher.hpp"
#include "runtime/plan.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/path.hpp"

namespace po = boost::program_options;

namespace hutch::cli {
namespace {

constexpr std::string_view kRunUsage = "usage: hutch run [OPTIONS] [--] COMMAND [ARG...]\n\n"
                                       "Run COMMAND in a new sandbox (docs/run.md).\n";

po::options_description run_options() {
  po::options_description d("options");
  d.add_options()
      ("policy,p", po::value<std::string>()->value_name("NAME|FILE"), "the policy to start from (default: default)")
      ("rootfs", po::value<std::string>()->value_name("DIR"),
       "root filesystem (default: $XDG_DATA_HOME/hutch/rootfs/default)")
      ("bind", po::value<std::vector<std::string>>()->value_name("SRC:DST"), "bind SRC read-write at DST")
      ("ro-bind", po::value<std::vector<std::string>>()->value_name("SRC:DST"), "bind SRC read-only at DST")
      ("tmpfs", po::value<std::vector<std::string>>()->value_name("DST[:SIZE]"), "a fresh tmpfs at DST")
      ("sys", po::bool_switch(), "mount a read-only /sys")
      ("allow-nested-userns", po::bool_switch(), "let the command create user namespaces of its own")
      ("net", po::value<std::string>()->value_name("MODE"), "none, loopback (default) or host")
      ("uid", po::value<std::string>()->value_name("N"), "uid inside the sandbox (default 0)")
      ("gid", po::value<std::string>()->value_name("N"), "gid inside the sandbox (default 0)")
      ("hostname", po::value<std::string>()->value_name("NAME"), "hostname (default hutch)")
      ("env,e", po::value<std::vector<std::string>>()->value_name("KEY=VALUE"), "set an environment variable")
      ("env-pass", po::value<std::vector<std::string>>()->value_name("NAME"), "pass NAME from hutch's environment")
      ("workdir,w", po::value<std::string>()->value_name("DIR"), "working directory (default /)")
      ("no-init", po::bool_switch(), "the command is pid 1 itself (no reaping, no signal relay inside)")
      ("interactive,i", po::bool_switch(), "forward stdin (else the command reads /dev/null)")
      ("tty,t", po::bool_switch(), "allocate a pseudo-terminal inside the sandbox")
      ("memory", po::value<std::string>()->value_name("SIZE"), "limits.memory (docs/limits.md)")
      ("processes", po::value<std::string>()->value_name("N"), "limits.processes: processes and threads")
      ("cpu-time", po::value<std::string>()->value_name("DURATION"), "limits.cpu_time: of all processes together")
      ("wall-time", po::value<std::string>()->value_name("DURATION"), "limits.wall_time")
      ("extra-time", po::value<std::string>()->value_name("DURATION"),
       "limits.extra_time: grace past the time limits before the kill (the verdict stays)")
      ("file-size", po::value<std::string>()->value_name("SIZE"), "limits.file_size: the largest file written")
      ("open-files", po::value<std::string>()->value_name("N"), "limits.open_files: descriptors per process")
      ("stack", po::value<std::string>()->value_name("SIZE"), "limits.stack: per process")
      ("output", po::value<std::string>()->value_name("SIZE"), "limits.output: stdout and stderr together")
      ("stdin", po::value<std::string>()->value_name("FILE"), "the command reads FILE (a host file) as stdin")
      ("stdout", po::value<std::string>()->value_name("FILE"), "the command's stdout goes to FILE (created or emptied)")
      ("stderr", po::value<std::string>()->value_name("FILE"), "the command's stderr goes to FILE (may be the same)")
      ("result", po::value<std::string>()->value_name("FILE"), "write the run's result to FILE as JSON (docs/result.md)")
      ("verbose,v", po::bool_switch(), "more diagnostics on stderr (-vv: a trace of every step)")
      ("help,h", po::bool_switch(), "show this help")
      ("command", po::value<std::vector<std::string>>(), "");
  return d;
}

// Boost.Program_options would keep parsing options after the command ("ls -l"); this
// extra parser hands every token from the first non-option (or after "--") over as
// the command.
std::vector<po::option> command_parser(std::vector<std::string>& args) {
  std::vector<po::option> result;
  if (args.empty()) return result;
  std::size_t first = 0;
  if (args[0] == "--") {
    first = 1;
  } else if (!args[0].empty() && args[0][0] == '-') {
    return result;
  }
  for (std::size_t i = first; i < args.size(); ++i) {
    po::option opt;
    opt.string_key = "command";
    opt.value.push_back(args[i]);
    opt.original_tokens.push_back(args[i]);
    result.push_back(std::move(opt));
  }
  args.clear();
  return result;
}

template <typename T>
const T* get(const po::variables_map& vm, const char* key) {
  auto it = vm.find(key);
  return it == vm.end() || it->second.empty() ? nullptr : &it->second.as<T>();
}

// The command line is held to the checks a policy file gets (policy/validate.hpp), so
// `policy show --resolved` never prints what `policy check` would refuse.
template <typename Check>
void refuse(const char* option, const std::string& value, Check check) {
  if (auto problem = check(value)) throw Error(fmt::format("{}: {}", option, *problem));
}

// A limit from a flag, held to the range a policy's value is (policy/validate.hpp).
template <typename Check, typename... Args>
auto limit_flag(const char* option, const std::string& value, Check check, Args... args) {
  try {
    return check(value, args...);
  } catch (Error& e) {
    e.prepend(option);
    throw;
  }
}

policy::Limits parse_limit_flags(const po::variables_map& vm) {
  policy::Limits l;
  using policy::checked_count, policy::checked_duration, policy::checked_size;
  if (auto* v = get<std::string>(vm, "memory")) l.memory = limit_flag("--memory", *v, checked_size, 1);
  if (auto* v = get<std::string>(vm, "processes")) {
    l.processes = limit_flag("--processes", *v, checked_count, 1, policy::kMaxProcesses);
  }
  if (auto* v = get<std::string>(vm, "cpu-time")) l.cpu_time = limit_flag("--cpu-time", *v, checked_duration, false);
  if (auto* v = get<std::string>(vm, "wall-time")) l.wall_time = limit_flag("--wall-time", *v, checked_duration, false);
  if (auto* v = get<std::string>(vm, "extra-time")) l.extra_time = limit_flag("--extra-time", *v, checked_duration, true);
  if (auto* v = get<std::string>(vm, "file-size")) l.file_size = limit_flag("--file-size", *v, checked_size, 0);
  if (auto* v = get<std::string>(vm, "open-files")) {
    l.open_files = limit_flag("--open-files", *v, checked_count, policy::kMinOpenFiles, policy::kMaxOpenFiles);
  }
  if (auto* v = get<std::string>(vm, "stack")) l.stack = limit_flag("--stack", *v, checked_size, 1);
  if (auto* v = get<std::string>(vm, "output")) l.output = limit_flag("--output", *v, checked_size, 0);
  return l;
}

Overrides parse_overrides(const po::variables_map& vm, const po::parsed_options& parsed, const std::string& cwd) {
  using Strings = std::vector<std::string>;
  Overrides o;
  if (auto* v = get<std::string>(vm, "rootfs")) o.rootfs = v->empty() || v->front() == '/' ? *v : cwd + "/" + *v;
  if (auto* v = get<std::string>(vm, "uid")) o.uid = parse_id(*v, "--uid");
  if (auto* v = get<std::string>(vm, "gid")) o.gid = parse_id(*v, "--gid");
  if (auto* v = get<std::string>(vm, "hostname")) {
    refuse("--hostname", *v, policy::hostname_problem);
    o.hostname = *v;
  }
  if (auto* v = get<std::string>(vm, "net")) o.network = parse_network(*v);
  if (auto* v = get<std::string>(vm, "workdir")) {
    try {
      o.workdir = path::normalize_absolute(*v);
    } catch (Error& e) {
      e.prepend("--workdir");
      throw;
    }
  }
  o.sys = vm["sys"].as<bool>();
  o.nested_userns = vm["allow-nested-userns"].as<bool>();
  o.no_init = vm["no-init"].as<bool>();
  // Binds and tmpfs mounts keep the order of the command line, so the later of two at
  // one target wins, as between a policy and its child.
  for (const po::option& opt : parsed.options) {
    const std::string& key = opt.string_key;
    if (key != "bind" && key != "ro-bind" && key != "tmpfs") continue;
    for (const std::string& spec : opt.value) {
      o.mounts.push_back(key == "tmpfs" ? parse_tmpfs_spec(spec) : parse_bind_spec(spec, key == "ro-bind", cwd));
      refuse(key == "tmpfs" ? "--tmpfs" : key == "bind" ? "--bind" : "--ro-bind", o.mounts.back().target,
             policy::mount_target_problem);
    }
  }
  if (auto* v = get<Strings>(vm, "env")) {
    for (const std::string& spec : *v) {
      auto [key, value] = parse_env_spec(spec);
      refuse("--env", key, policy::env_name_problem);
      o.env[key] = value;
    }
  }
  if (auto* v = get<Strings>(vm, "env-pass")) {
    for (const std::string& name : *v) refuse("--env-pass", name, policy::env_name_problem);
    o.env_pass = *v;
  }
  o.limits = parse_limit_flags(vm);
  return o;
}

void print_run_help() {
  std::cout << kRunUsage << "\n" << run_options() << "\n";
}

void set_verbosity(int verbosity) {
  if (verbosity >= 2) log::set_level(log::Level::Debug);
  else if (verbosity == 1) log::set_level(log::Level::Info);
}

std::string current_directory() {
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr) throw_sys("getcwd", "");
  return buf;
}

}  // namespace

void apply_overrides(const Overrides& o, policy::Policy& pol) {
  if (o.rootfs) pol.rootfs = *o.rootfs;
  if (o.uid) pol.user.uid = *o.uid;
  if (o.gid) pol.user.gid = *o.gid;
  if (o.hostname) pol.hostname = *o.hostname;
  if (o.network) pol.network = *o.network;
  if (o.workdir) pol.workdir = *o.workdir;
  if (o.sys) pol.mount_sys = true;
  if (o.nested_userns) pol.nested_user_namespaces = true;
  if (o.no_init) pol.init = false;
  for (const policy::Mount& m : o.mounts) policy::merge_mount(pol.mounts, m);
  for (const auto& [key, value] : o.env) pol.env[key] = value;
  for (const std::string& name : o.env_pass) {
    if (std::find(pol.env_pass.begin(), pol.env_pass.end(), name) == pol.env_pass.end()) pol.env_pass.push_back(name);
  }
  const policy::Limits& l = o.limits;
  if (l.memory) pol.limits.memory = l.memory;
  if (l.processes) pol.limits.processes = l.processes;
  if (l.cpu_time) pol.limits.cpu_time = l.cpu_time;
  if (l.wall_time) pol.limits.wall_time = l.wall_time;
  if (l.extra_time) pol.limits.extra_time = l.extra_time;
  if (l.file_size) pol.limits.file_size = l.file_size;
  if (l.open_files) pol.limits.open_files = l.open_files;
  if (l.stack) pol.limits.stack = l.stack;
  if (l.output) pol.limits.output = l.output;
}

std::string run_options_help() {
  std::ostringstream out;
  out << run_options();
  return out.str();
}

RunArgs parse_run_args(const std::vector<std::string>& tokens, const std::string& cwd, bool require_command) {
  const po::options_description desc = run_options();
  po::parsed_options parsed = [&] {
    try {
      return po::command_line_parser(tokens)
          .options(desc)
          .extra_style_parser(command_parser)
          .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
          .run();
    } catch (const po::error& e) {
      throw UsageError{e.what(), "run"};
    }
  }();
  RunArgs out;
  // -v may repeat (-vv); count it here, as a plain switch may only be given once.
  std::erase_if(parsed.options, [&](const po::option& o) {
    if (o.string_key != "verbose") return false;
    ++out.verbosity;
    return true;
  });
  po::variables_map vm;
  try {
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{e.what(), "run"};
  }
  out.help = vm["help"].as<bool>();
  if (out.help) return out;
  if (auto* cmd = get<std::vector<std::string>>(vm, "command")) out.argv = *cmd;
  if (require_command && out.argv.empty()) throw UsageError{"no command given", "run"};
  if (!require_command && !out.argv.empty()) {
    throw UsageError{fmt::format("unexpected argument \"{}\"", out.argv.front()), "policy"};
  }
  if (auto* v = get<std::string>(vm, "policy")) out.policy = *v;
  if (auto* v = get<std::string>(vm, "result")) out.result = v->empty() || v->front() == '/' ? *v : cwd + "/" + *v;
  if (!require_command && out.result) throw UsageError{"--result belongs to hutch run", "policy"};
  const auto host_file = [&](const char* key) -> std::optional<std::string> {
    auto* v = get<std::string>(vm, key);
    if (v == nullptr) return std::nullopt;
    if (!require_command) throw UsageError{fmt::format("--{} belongs to hutch run", key), "policy"};
    if (v->empty()) throw UsageError{fmt::format("--{} needs a file", key), "run"};
    return v->front() == '/' ? *v : cwd + "/" + *v;
  };
  out.stdio = {host_file("stdin"), host_file("stdout"), host_file("stderr")};
  if (!require_command && out.policy) {
    throw UsageError{"--policy does not go after --resolved: the policy to show is named before it", "policy"};
  }
  out.tty = vm["tty"].as<bool>();
  out.interactive = vm["interactive"].as<bool>();
  try {
    out.overrides = parse_overrides(vm, parsed, cwd);
  } catch (const Error&) {
    if (!out.result) throw;
    out.bad_value = std::current_exception();
  }
  return out;
}

// SECURITY: a name is looked up in the current directory first (docs/policy.md). A
// judge started inside a submission's directory would pick up a planted judge.yaml:
// say so whenever a file there shadows a shipped policy.
void warn_if_shadowing(const std::string& name, const policy::LoadedPolicy& loaded, const policy::LoadContext& ctx) {
  if (policy::is_policy_path(name) || loaded.chain.front().rfind(ctx.cwd + "/", 0) != 0) return;
  for (const policy::BuiltinPolicy& b : policy::builtin_policies()) {
    if (name == b.name) {
      log::warn("policy {}: using {} from the current directory, not the shipped one", name, loaded.chain.front());
    }
  }
}

policy::Policy resolve_run_policy(const RunArgs& run) {
  const policy::LoadContext ctx = policy::default_load_context();
  const std::string name = run.policy.value_or("default");
  policy::LoadedPolicy loaded = policy::load_policy(name, ctx);
  warn_if_shadowing(name, loaded, ctx);
  log::debug("policy: {}", fmt::join(loaded.chain, " extends "));
  apply_overrides(run.overrides, loaded.policy);
  return std::move(loaded.policy);
}

namespace {

// Policy, host facts, plan, sandbox: everything between the command line and the outcome.
runtime::Outcome launch_run(const RunArgs& run) {
  runtime::RunRequest request{resolve_run_policy(run), run.argv, run.tty, run.interactive, run.stdio};
  policy::Policy& pol = request.policy;
  const bool default_root = !pol.rootfs;
  if (default_root) pol.rootfs = runtime::default_rootfs_path();
  const runtime::HostFacts host = [&] {
    try {
      return runtime::gather_host_facts(*pol.rootfs);
    } catch (Error& e) {
      if (default_root && e.sys_errno() == ENOENT) {
        throw Error(e.message() + "; build the default root filesystem with scripts/make-rootfs, or pass --rootfs DIR",
                    e.sys_errno());
      }
      throw;
    }
  }();
  const runtime::Plan plan = runtime::plan_run(request, host);
  for (const auto& step : plan.mounts) log::debug("plan: {}", mount::describe_step(step));
  for (const auto& rule : plan.landlock) log::debug("plan: landlock {} {}", rule.path, landlock::describe(rule.access));
  if (plan.landlock.empty()) log::debug("plan: no landlock (the policy lets nested sandboxes mount)");
  return runtime::launch(plan);
}

}  // namespace

int run_command(std::span<char* const> args) {
  const std::string cwd = current_directory();
  RunArgs run = parse_run_args(std::vector<std::string>(args.begin(), args.end()), cwd);
  if (run.help) {
    print_run_help();
    return 0;
  }
  set_verbosity(run.verbosity);
  const auto started = std::chrono::steady_clock::now();
  const auto wall = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  };
  runtime::Outcome outcome;
  try {
    if (run.bad_value) std::rethrow_exception(run.bad_value);
    outcome = launch_run(run);
  } catch (const Error& e) {
    // Nothing ran: the result still says so, with the same message as stderr.
    if (run.result) {
      runtime::Outcome failed;
      failed.message = e.message();
      write_result(*run.result, result_json(failed, wall()));
    }
    throw;
  }
  if (!outcome.message.empty()) log::error("{}", outcome.message);
  if (run.result) write_result(*run.result, result_json(outcome, wall()));
  return runtime::exit_status(outcome);
}


}  // namespace hutch::cli
