// Parsing /proc/PID/mountinfo (proc(5)): what is mounted where. Pure; fuzzed by
// fuzz/fuzz_mountinfo.cpp. Used to see what lies below a root filesystem.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hutch::mount {

struct MountInfo {
  std::uint64_t id = 0;
  std::uint64_t parent = 0;
  std::string device;       // "major:minor"
  std::string root;         // the path within the filesystem that is mounted
  std::string mount_point;  // where, as seen by the reading process
  std::string options;      // per-mount options
  std::string fstype;
  std::string source;
  std::string super_options;
};

// Throws Error("mountinfo line N: ...") for a malformed line.
std::vector<MountInfo> parse_mountinfo(std::string_view text);

// The kernel's octal escapes in paths ("\040" for a space) undone.
std::string unescape_mount_field(std::string_view field);

// Mount points strictly below `dir` (canonical, absolute), in the order listed.
std::vector<std::string> mounts_below(const std::vector<MountInfo>& mounts, std::string_view dir);

}  // namespace hutch::mount
