#pragma once
// The tail's decision on one batch of entries read from the stream, from their ordinals
// alone (DESIGN 7, "Faults"). Pure: every case (in order, a trimmed gap, a wipe or rewind seen
// as ordinals going back) is a table-driven unit test, without a socket.
//
// Every entry carries its ordinal: its place in the stream's epoch, counted by the append
// script with the XADD. Within one stream ordinals only grow by one, so
// - an ordinal not above the last folded one means the stream went back (FLUSHALL, or an
//   older RDB loaded) while producers kept posting: rebuild before folding anything of it,
//   so nothing is broadcast and then broadcast again;
// - an ordinal that skips means entries were trimmed before this replica read them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace relay::infra {

struct TailVerdict {
  enum class Then {
    read_on,    ///< The whole batch is in order: fold it and read after it.
    gap,        ///< Fold `fold` entries, then the one after skips ordinals: recover the gap.
    went_back,  ///< Fold `fold` entries, then the stream went back: rebuild, resync.
  };
  std::size_t fold = 0;  ///< How many entries from the front to fold.
  Then then = Then::read_on;
  /// gap and went_back: the ordinal of the entry that was not folded. read_on: the ordinal
  /// of the last entry folded, or the one given when none of them carries one.
  std::optional<std::uint64_t> ordinal;
};

/// `folded`: the ordinal of the last entry folded (nullopt: not known, as after a tail started
/// after an id or a rebuild after loss; the first entry with one sets it). `ordinals`: the
/// batch's, in stream order (nullopt: an entry written without one, folded as it comes).
TailVerdict judge_entries(std::optional<std::uint64_t> folded,
                          std::span<const std::optional<std::uint64_t>> ordinals);

}  // namespace relay::infra
