#include "proto/traceparent.hpp"

namespace relay::proto {

namespace {
bool lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}
bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }
}  // namespace

bool is_valid_traceparent(std::string_view v) {
  if (v.size() != 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  const auto version = v.substr(0, 2), trace = v.substr(3, 32), parent = v.substr(36, 16),
             flags = v.substr(53, 2);
  return version == "00" && lower_hex(trace) && lower_hex(parent) && lower_hex(flags) &&
         !all_zero(trace) && !all_zero(parent);
}

}  // namespace relay::proto
