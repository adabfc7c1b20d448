#include "proto/traceparent.hpp"

#include <algorithm>

namespace relay::proto {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case is invalid in traceparent
}

template <std::size_t N>
bool parse_hex(std::string_view text, std::array<std::uint8_t, N>& out) {
  if (text.size() != 2 * N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_digit(text[2 * i]);
    const int lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' ||
         c == '/';
}

// key = simple-key / multi-tenant-key ("tenant@system"); each part starts with a lower-case
// letter or digit, at most 256 characters in all.
bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > 256) return false;
  const auto at = key.find('@');
  auto part_ok = [](std::string_view part, std::size_t max) {
    if (part.empty() || part.size() > max) return false;
    if (!((part[0] >= 'a' && part[0] <= 'z') || (part[0] >= '0' && part[0] <= '9'))) return false;
    return std::all_of(part.begin(), part.end(), key_char);
  };
  if (at == std::string_view::npos) return part_ok(key, 256);
  return part_ok(key.substr(0, at), 241) && part_ok(key.substr(at + 1), 14);
}

// value: 1-256 printable ASCII except ',' and '=', not ending in a space.
bool valid_value(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e && c != ',' && c != '='; });
}

}  // namespace

bool TraceContext::valid() const { return !all_zero(trace_id) && !all_zero(span_id); }

std::optional<TraceContext> parse_traceparent(std::string_view v) {
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
  std::array<std::uint8_t, 1> version{};
  std::array<std::uint8_t, 1> flags{};
  TraceContext context;
  if (!parse_hex(v.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
  // Version 00 has exactly four fields; a later version may append more after a '-'.
  if (version[0] == 0 ? v.size() != 55 : (v.size() > 55 && v[55] != '-')) return std::nullopt;
  if (!parse_hex(v.substr(3, 32), context.trace_id) ||
      !parse_hex(v.substr(36, 16), context.span_id) || !parse_hex(v.substr(53, 2), flags)) {
    return std::nullopt;
  }
  context.flags = flags[0];
  if (!context.valid()) return std::nullopt;
  return context;
}

bool is_valid_traceparent(std::string_view value) { return parse_traceparent(value).has_value(); }

std::string format_traceparent(const TraceContext& c) {
  std::string out = "00-";
  out.reserve(55);
  out += to_hex(c.trace_id);
  out += '-';
  out += to_hex(c.span_id);
  out += '-';
  out += to_hex(std::span<const std::uint8_t>(&c.flags, 1));
  return out;
}

bool is_valid_tracestate(std::string_view value) {
  if (value.empty() || value.size() > 512) return false;
  std::size_t members = 0;
  while (!value.empty()) {
    const auto comma = value.find(',');
    auto member = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    // Optional white space around members; empty members are allowed and skipped.
    while (!member.empty() && (member.front() == ' ' || member.front() == '\t'))
      member.remove_prefix(1);
    while (!member.empty() && (member.back() == ' ' || member.back() == '\t'))
      member.remove_suffix(1);
    if (member.empty()) continue;
    const auto eq = member.find('=');
    if (eq == std::string_view::npos || !valid_key(member.substr(0, eq)) ||
        !valid_value(member.substr(eq + 1)) || ++members > 32) {
      return false;
    }
  }
  return members > 0;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = digits[bytes[i] >> 4U];
    out[2 * i + 1] = digits[bytes[i] & 0xfU];
  }
  return out;
}

}  // namespace relay::proto
