#include "service/subscription_filter.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "proto/event_type.hpp"

namespace relay::service {

namespace {

// Splits "a,b,,c" into its non-empty parts, each kept once; stops once `out` holds more
// than `limit` (the caller refuses that), so a long list costs no more than the cap.
void split_commas(std::string_view text, std::vector<std::string>& out, std::size_t limit) {
  while (!text.empty() && out.size() <= limit) {
    const auto comma = text.find(',');
    auto part = text.substr(0, comma);
    if (!part.empty() && std::find(out.begin(), out.end(), part) == out.end()) {
      out.emplace_back(part);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

std::variant<SubscriptionFilter, std::string> SubscriptionFilter::parse(
    const std::vector<std::string>& type_values, const std::vector<std::string>& worker_values) {
  SubscriptionFilter filter;
  std::vector<std::string> types;
  // The entries are scanned for duplicates as they come, so the scan stops at the cap.
  for (const auto& v : type_values) {
    split_commas(v, types, max_entries);
    if (types.size() > max_entries) break;
  }
  if (types.size() > max_entries) {
    return fmt::format("types: at most {} distinct types or patterns", max_entries);
  }
  for (auto& t : types) {
    if (t == "*") {
      // "*" alone means everything: same as no type filter at all.
      filter.exact_.clear();
      filter.prefixes_.clear();
      break;
    }
    if (t.ends_with(".*")) {
      auto prefix = t.substr(0, t.size() - 1);  // keep the dot: "worker.*" -> "worker."
      if (prefix.size() < 2 || prefix.find('*') != std::string::npos) {
        return fmt::format("types: '{}' is not a type or a 'prefix.*' pattern", t);
      }
      filter.prefixes_.push_back(std::move(prefix));
      continue;
    }
    // The relay's own events (connected, heartbeat, system.*) are always delivered, so a
    // filter naming them is a mistake: the same validity rule as publishing catches it.
    if (t.find('*') != std::string::npos || proto::event_type_error(t)) {
      return fmt::format("types: '{}' is not a type or a 'prefix.*' pattern", t);
    }
    filter.exact_.push_back(std::move(t));
  }
  for (const auto& v : worker_values) {
    split_commas(v, filter.workers_, max_entries);
    if (filter.workers_.size() > max_entries) {
      return fmt::format("worker: at most {} distinct worker ids or keys", max_entries);
    }
  }
  for (const auto& w : filter.workers_) {
    if (w.size() > 256 || w.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return fmt::format("worker: '{}' is not a valid worker id", w.substr(0, 64));
    }
  }
  return filter;
}

std::variant<SubscriptionFilter, std::string> SubscriptionFilter::grant(
    const std::vector<std::string>& types, const std::vector<std::string>& workers,
    std::vector<std::string> regions) {
  auto filter = parse(types, workers);
  if (auto* built = std::get_if<SubscriptionFilter>(&filter)) built->regions_ = std::move(regions);
  return filter;
}

bool SubscriptionFilter::type_covered(std::string_view type) const {
  if (exact_.empty() && prefixes_.empty()) return true;
  if (std::find(exact_.begin(), exact_.end(), type) != exact_.end()) return true;
  return std::any_of(prefixes_.begin(), prefixes_.end(),
                     [&](const std::string& p) { return type.starts_with(p); });
}

bool SubscriptionFilter::pattern_covered(std::string_view prefix) const {
  if (exact_.empty() && prefixes_.empty()) return true;
  // "worker.metrics." lies inside a grant of "worker." but not inside one of some names.
  return std::any_of(prefixes_.begin(), prefixes_.end(),
                     [&](const std::string& p) { return prefix.starts_with(p); });
}

std::variant<SubscriptionFilter, std::string> SubscriptionFilter::within(
    const SubscriptionFilter& grant) const {
  SubscriptionFilter out = *this;
  if (exact_.empty() && prefixes_.empty()) {
    out.exact_ = grant.exact_;
    out.prefixes_ = grant.prefixes_;
  } else {
    for (const auto& t : exact_) {
      if (!grant.type_covered(t)) return fmt::format("the token does not allow type '{}'", t);
    }
    for (const auto& p : prefixes_) {
      if (!grant.pattern_covered(p)) {
        return fmt::format("the token does not allow all of '{}*'", p);
      }
    }
  }
  if (workers_.empty()) {
    out.workers_ = grant.workers_;
  } else if (!grant.workers_.empty()) {
    for (const auto& w : workers_) {
      if (std::find(grant.workers_.begin(), grant.workers_.end(), w) == grant.workers_.end()) {
        return fmt::format("the token does not allow worker '{}'", w);
      }
    }
  }
  out.regions_ = grant.regions_;
  return out;
}

bool SubscriptionFilter::allows_worker_id(std::string_view worker_id) const {
  return workers_.empty() ||
         std::find(workers_.begin(), workers_.end(), worker_id) != workers_.end();
}

bool SubscriptionFilter::allows_worker(std::string_view worker_id, std::string_view region) const {
  if (!allows_worker_id(worker_id)) return false;
  return regions_.empty() || std::find(regions_.begin(), regions_.end(), region) != regions_.end();
}

bool SubscriptionFilter::matches(std::string_view type, std::string_view worker_id,
                                 std::string_view region) const {
  return allows_worker(worker_id, region) && type_covered(type);
}

std::string SubscriptionFilter::canonical() const {
  // Length-prefixed entries, each list sorted: two filters share a text only when they pass
  // the same events, whatever bytes their entries hold.
  std::string out;
  for (auto list : {exact_, prefixes_, workers_, regions_}) {
    std::sort(list.begin(), list.end());
    out += fmt::format("{}[", list.size());
    for (const auto& entry : list) out += fmt::format("{}:{}", entry.size(), entry);
    out += ']';
  }
  return out;
}

}  // namespace relay::service
