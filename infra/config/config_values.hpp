#pragma once
// What both configuration readers (RELAY_* options and OTEL_* variables) share: how the
// environment is looked up, and how an unsigned integer setting is read.
#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace relay::infra {

/// Looks up one environment variable (injected so tests need not touch the process's).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The whole text as a decimal unsigned integer; nullopt for anything else (signs, spaces,
/// units, overflow, empty).
inline std::optional<std::uint64_t> parse_uint(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace relay::infra
