#include "infra/redis/tail_judge.hpp"

namespace relay::infra {

TailVerdict judge_entries(std::optional<std::uint64_t> folded,
                          std::span<const std::optional<std::uint64_t>> ordinals) {
  for (std::size_t i = 0; i < ordinals.size(); ++i) {
    const auto& ordinal = ordinals[i];
    if (ordinal && folded) {
      if (*ordinal <= *folded) return {i, TailVerdict::Then::went_back, ordinal};
      if (*ordinal > *folded + 1) return {i, TailVerdict::Then::gap, ordinal};
    }
    if (ordinal) folded = ordinal;
  }
  return {ordinals.size(), TailVerdict::Then::read_on, folded};
}

}  // namespace relay::infra
