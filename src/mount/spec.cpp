#include "mount/spec.hpp"

#include <fmt/format.h>

#include "util/units.hpp"

namespace hutch::mount {

std::string describe_step(const MountStep& s) {
  std::string flags;
  auto flag = [&](bool on, std::string_view name) {
    if (!on) return;
    if (!flags.empty()) flags += ',';
    flags += name;
  };
  flag(s.readonly, "ro");
  flag(!s.readonly, "rw");
  flag(s.nodev, "nodev");
  flag(s.noexec, "noexec");
  flag(s.optional, "optional");
  flag(s.no_symlinks, "no-symlinks");
  switch (s.kind) {
    case StepKind::Bind:
      return fmt::format("bind {}{} -> {} ({})", s.source_in_root ? "sandbox:" : "", s.source, s.target, flags);
    case StepKind::Tmpfs:
      return fmt::format("tmpfs {} (mode {:o}, size {}, {})", s.target, s.mode,
                         s.size == 0 ? std::string("default") : units::format_size(s.size), flags);
    case StepKind::Proc:
      return fmt::format("proc {} ({})", s.target, flags);
    case StepKind::Sysfs:
      return fmt::format("sysfs {} ({})", s.target, flags);
    case StepKind::Devpts:
      return fmt::format("devpts {} ({})", s.target, flags);
    case StepKind::Symlink:
      return fmt::format("symlink {} -> {}", s.target, s.source);
    case StepKind::Seal:
      return fmt::format("seal {} read-only", s.target);
  }
  return "?";
}

}  // namespace hutch::mount
