// Fuzzes policy parsing and validation (policy/load.cpp), merging and the emitter.
// Only PolicyError may escape the parser; a policy that parses must, once emitted by
// `hutch policy show --resolved`'s emitter, parse again to the same text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "policy/diagnostics.hpp"
#include "policy/emit.hpp"
#include "policy/layer.hpp"
#include "policy/merge.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 16384) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const hutch::policy::Substitutions subst{"/cwd", "/home"};
  hutch::policy::Policy policy;
  try {
    hutch::policy::apply_layer(policy, hutch::policy::parse_policy(text, "fuzz.yaml", "/dir", subst));
  } catch (const hutch::policy::PolicyError&) {
    return 0;
  }
  const std::string emitted = hutch::policy::emit_policy(policy, "");
  hutch::policy::Policy again;
  try {
    hutch::policy::apply_layer(again, hutch::policy::parse_policy(emitted, "emitted.yaml", "/", subst));
  } catch (const hutch::policy::PolicyError&) {
    __builtin_trap();  // the emitter wrote something the loader refuses
  }
  if (hutch::policy::emit_policy(again, "") != emitted) __builtin_trap();
  return 0;
}
