// "did you mean ...?": the closest of a set of known names to one that is not.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hutch::suggest {

// Edit distance: insertions, deletions, substitutions and neighbour swaps count one.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The known name closest to `unknown`, if one is at most `max_edits` away.
template <typename Names>
std::optional<std::string> nearest(std::string_view unknown, const Names& known, std::size_t max_edits = 2) {
  std::optional<std::string> best;
  std::size_t best_distance = max_edits + 1;
  for (const auto& k : known) {
    const std::size_t d = edit_distance(unknown, k);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(k);
    }
  }
  return best;
}

}  // namespace hutch::suggest
