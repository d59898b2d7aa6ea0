// Pure helpers for paths *as text* (sandbox-side targets). Nothing here touches the
// filesystem: resolving a path inside a root filesystem is mount/resolve.hpp's job.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hutch::path {

// "/a//b/./c/" -> "/a/b/c". Throws Error for relative paths, ".." components and NUL.
std::string normalize_absolute(std::string_view path);

// "/a/b/c" -> {"a", "b", "c"}; "/" -> {}. Input must be normalized.
std::vector<std::string_view> components(std::string_view normalized);

// True when `inner` is `outer` or lies below it ("/a/b" is under "/a", "/ab" is not).
bool is_under(std::string_view inner, std::string_view outer);

}  // namespace hutch::path
