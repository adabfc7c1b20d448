#include "infra/redis/tail_judge.hpp"

#include <vector>

#include <doctest/doctest.h>

using relay::infra::judge_entries;
using relay::infra::TailVerdict;
using Then = TailVerdict::Then;
using Ordinals = std::vector<std::optional<std::uint64_t>>;

namespace {
struct Row {
  const char* what;
  std::optional<std::uint64_t> folded;
  Ordinals batch;
  std::size_t fold;
  Then then;
  std::optional<std::uint64_t> ordinal;
};
}  // namespace

TEST_CASE("the tail's verdict on a batch, from ordinals alone") {
  const std::vector<Row> rows{
      {"in order after the last folded", 4, {5, 6, 7}, 3, Then::read_on, 7},
      {"the first read of a new stream", 0, {1, 2}, 2, Then::read_on, 2},
      {"an empty batch keeps the position", 9, {}, 0, Then::read_on, 9},
      {"a trimmed gap at the front", 4, {9, 10}, 0, Then::gap, 9},
      {"a trimmed gap inside the batch: fold up to it", 4, {5, 6, 9}, 2, Then::gap, 9},
      {"FLUSHALL under traffic: the new stream starts at 1 again", 120, {1, 2, 3}, 0,
       Then::went_back, 1},
      {"a rewind to an older RDB: ordinals repeat", 120, {101, 102}, 0, Then::went_back, 101},
      {"the same ordinal twice is not new", 7, {8, 8}, 1, Then::went_back, 8},
      {"the position unknown (tail after an id): the first ordinal sets it", std::nullopt,
       {40, 41}, 2, Then::read_on, 41},
      {"unknown, then a gap behind the first", std::nullopt, {40, 43}, 1, Then::gap, 43},
      {"entries without ordinals (written by hand) fold as they come", 3, {std::nullopt, 4}, 2,
       Then::read_on, 4},
      {"nothing known and nothing carried", std::nullopt, {std::nullopt}, 1, Then::read_on,
       std::nullopt},
  };
  for (const auto& row : rows) {
    CAPTURE(row.what);
    const auto verdict = judge_entries(row.folded, row.batch);
    CHECK(verdict.fold == row.fold);
    CHECK(verdict.then == row.then);
    CHECK(verdict.ordinal == row.ordinal);
  }
}
