#pragma once
// What one subscriber asked to see: `?types=` (exact names and `prefix.*`) and `?worker=`.
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

  /// True when an event of `type` about `worker_id` passes.
  [[nodiscard]] bool matches(std::string_view type, std::string_view worker_id) const;

  /// Types, patterns and workers held (what the filter costs per stream).
  [[nodiscard]] std::size_t entries() const {
    return exact_.size() + prefixes_.size() + workers_.size();
  }

  [[nodiscard]] bool matches_everything() const {
    return exact_.empty() && prefixes_.empty() && workers_.empty();
  }

 private:
  std::vector<std::string> exact_;
  std::vector<std::string> prefixes_;  ///< "worker.metrics." for "worker.metrics.*"
  std::vector<std::string> workers_;
};

}  // namespace relay::service
