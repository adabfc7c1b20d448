#include "domain/event_id.hpp"

#include <charconv>

#include <fmt/format.h>

namespace relay::domain {

std::string EventId::to_string() const { return fmt::format("{}-{}", ms, seq); }

namespace {

// Parses a non-empty run of decimal digits that fits in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view digits) {
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<EventId> EventId::parse(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto ms = parse_decimal(text.substr(0, dash));
  auto seq = parse_decimal(text.substr(dash + 1));
  if (!ms || !seq) return std::nullopt;
  return EventId{*ms, *seq};
}

EventId EventIdGenerator::next(std::uint64_t now_ms) {
  if (now_ms > last_.ms) {
    last_ = EventId{now_ms, 0};
  } else {
    ++last_.seq;
  }
  return last_;
}

}  // namespace relay::domain
