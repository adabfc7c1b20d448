#pragma once
// What one subscriber asked to see: `?types=` (exact names and `prefix.*`) and `?worker=`;
// and, as the same shape, what a token allows it to see (DESIGN 8: the "sse" claim's types,
// workers and regions). A request is narrowed to its grant by within(): asking for more than
// the grant is refused, leaving an axis open takes the grant's.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relay::service {

/// Matches event types and worker ids; an empty list matches everything. Each entry is kept
/// once, and a filter holds at most `max_entries` types and as many workers: it lives as long
/// as its stream, so it must stay small whatever the query repeats.
class SubscriptionFilter {
 public:
  static constexpr std::size_t max_entries = 64;

  /// Builds a filter from the raw values of `types` and `worker` (each may hold a
  /// comma-separated list). Returns the reason when a pattern is malformed or there are more
  /// than `max_entries` distinct types or workers.
  static std::variant<SubscriptionFilter, std::string> parse(
      const std::vector<std::string>& type_values, const std::vector<std::string>& worker_values);

  /// A grant: the types, workers and regions of a token's "sse" claim. The reason when a
  /// type is not a type or a `prefix.*` pattern.
  static std::variant<SubscriptionFilter, std::string> grant(
      const std::vector<std::string>& types, const std::vector<std::string>& workers,
      std::vector<std::string> regions);

  /// This request narrowed to `grant`: each axis it names must lie inside the grant's (else
  /// the reason, answered with 403), an axis it leaves open becomes the grant's, and the
  /// grant's regions always apply.
  [[nodiscard]] std::variant<SubscriptionFilter, std::string> within(
      const SubscriptionFilter& grant) const;

  /// True when an event of `type` about `worker_id` (in `region`, empty when it has none)
  /// passes. Under a region restriction an event without a region does not pass.
  [[nodiscard]] bool matches(std::string_view type, std::string_view worker_id,
                             std::string_view region = {}) const;

  /// True when the workers axis lets this id through (regions not looked at).
  [[nodiscard]] bool allows_worker_id(std::string_view worker_id) const;

  /// True when the worker axes (workers, regions) let this worker through: the read model's
  /// rows.
  [[nodiscard]] bool allows_worker(std::string_view worker_id, std::string_view region) const;

  /// Types, patterns, workers and regions held (what the filter costs per stream).
  [[nodiscard]] std::size_t entries() const {
    return exact_.size() + prefixes_.size() + workers_.size() + regions_.size();
  }

  [[nodiscard]] bool matches_everything() const {
    return exact_.empty() && prefixes_.empty() && workers_.empty() && regions_.empty();
  }

  /// What it holds, for an operator's listing: exact types, `prefix.` of each `prefix.*`,
  /// workers, regions.
  [[nodiscard]] const std::vector<std::string>& exact_types() const { return exact_; }
  [[nodiscard]] const std::vector<std::string>& type_prefixes() const { return prefixes_; }
  [[nodiscard]] const std::vector<std::string>& workers() const { return workers_; }
  [[nodiscard]] const std::vector<std::string>& regions() const { return regions_; }

  /// A text naming exactly what passes (sorted), for cache keys: equal for equal filters.
  [[nodiscard]] std::string canonical() const;

 private:
  std::vector<std::string> exact_;
  std::vector<std::string> prefixes_;  ///< "worker.metrics." for "worker.metrics.*"
  std::vector<std::string> workers_;
  std::vector<std::string> regions_;

  [[nodiscard]] bool type_covered(std::string_view type) const;
  [[nodiscard]] bool pattern_covered(std::string_view prefix) const;
};

}  // namespace relay::service
