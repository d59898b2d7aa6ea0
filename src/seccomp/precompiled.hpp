// Filters compiled at build time, for the shipped policies.
//
// Resolving and compiling a filter costs about 1.8 ms of a run's start on a 2-core VM
// (libseccomp's code generation, hutch's check of its output, the resolution of ~450
// calls), most of it on the critical path: the supervisor compiles while the child
// assembles the root, but both compete for the CPU. The shipped policies' filters,
// under every mode and option a run can give them, are compiled once at build time by
// the same code (src/seccomp/gen/gen_precompiled.cpp, against the same static
// libseccomp) and looked up by key; any other filter is compiled at run time.
//
// SECURITY: the key is the whole input of compile(resolve(...)) written out, not a
// hash; two filters with equal keys compile to the same program (a unit test mutates
// every field and checks the key changes). The table is part of the binary: nothing
// compiled is ever read from a file a sandbox could write.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "seccomp/compile.hpp"

namespace hutch::seccomp {

struct PrecompiledFilter {
  std::string_view key;  // filter_key() of the inputs
  std::span<const sock_filter> program;
  bool uses_notify = false;
};

// Everything compile(resolve(filter, options), mode) depends on, as text.
std::string filter_key(const Filter& filter, const ResolveOptions& options, KillMode mode);

// The build-time table. Defined in the generated file build/generated/precompiled_filters.cpp,
// which is linked into hutch_lib but not into hutch_core (its generator links hutch_core).
std::span<const PrecompiledFilter> precompiled_filters();

// compile(resolve(filter, options), mode), from the table when the key is in it.
// `precompiled` (may be null) says which way it went, for -v.
Compiled compile_filter(const Filter& filter, const ResolveOptions& options, KillMode mode, bool* precompiled = nullptr);

}  // namespace hutch::seccomp
