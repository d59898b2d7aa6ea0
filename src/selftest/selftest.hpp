// `hutch selftest`: the escape suite, run against this machine and a policy
// (docs/selftest.md).
//
// Each attack of tests/security/attacks/ (the static program hutch-attack, installed
// beside hutch) runs in its own real sandbox, started by the hutch binary itself with
// `hutch run --policy P`, inside a small root filesystem selftest builds. On the host
// selftest sets out what the attacks go for (a process, a secret file, a loopback
// listener, an abstract socket, a terminal, a variable in hutch's environment, a
// descriptor hutch's caller leaks) and checks after every run that none of it changed.
// An attack is held when every attempt failed (or the policy's seccomp filter stopped
// the run), breached when one succeeded or the host changed, and an error when it
// could not be carried out: never counted as held.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace hutch::selftest {

// Permitted: breached, through a door the policy opens on purpose (network: host lets a
// command reach the host's loopback).
enum class Verdict { Held, Breached, Error, NotRun, Permitted };
std::string_view verdict_name(Verdict v);  // "held", "BREACHED", "error", "not run", "permitted"

struct Outcome {
  std::string attack;  // "host-loopback"
  std::string claim;   // what holds when the attack is held
  Verdict verdict = Verdict::Error;
  std::string how;                    // one line: what stopped it, what got through, what failed
  std::vector<std::string> attempts;  // the attack's own lines: "refused: ...", "SUCCEEDED: ...", "note: ..."
};

struct Options {
  std::string policy = "default";  // NAME or FILE, as for `hutch run --policy`
  // Runs each attack directly on the host, outside any sandbox, to show what the
  // attacks reach when nothing stops them. Refused as root.
  bool unconfined = false;
  std::vector<std::string> only;  // attack names; empty: every attack
  std::string hutch;              // the hutch binary (default: this one)
  std::string attack_binary;      // hutch-attack (default: found beside hutch, docs/selftest.md)
};

// Thrown by run() when SIGINT, SIGTERM or SIGHUP arrived: the run in progress was
// stopped (and waited for) and everything the suite made is removed.
class Interrupted : public Error {
 public:
  explicit Interrupted(int signal);
  int signal() const noexcept { return signal_; }

 private:
  int signal_;
};

// Every attack's name and claim, in the order they run.
struct Description {
  std::string_view name;
  std::string_view claim;
};
std::vector<Description> attacks();

// How long one attack's run may take before it is stopped (and is an error).
inline constexpr int kRunTimeoutSeconds = 60;

// Runs the attacks; `report` sees each outcome as it comes. Throws hutch::Error when the
// suite cannot start (no hutch-attack, an unknown name in `only`, ...), Interrupted when
// a signal stopped it.
std::vector<Outcome> run(const Options& options, const std::function<void(const Outcome&)>& report);

}  // namespace hutch::selftest
