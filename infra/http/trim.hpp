#pragma once
// Blanks (spaces and tabs) around the items of comma lists: HTTP header values (RFC 9110
// "OWS") and OpenTelemetry's k=v,... variables alike.
#include <string_view>

namespace relay::infra {

/// `s` without leading and trailing spaces and tabs.
inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace relay::infra
