#pragma once
// RFC 9457 problem details: every error answer is application/problem+json.
#include <string>
#include <string_view>

namespace relay::proto {

/// The `type` URIs the relay answers with; stable, so clients can switch on them.
namespace problem_type {
inline constexpr std::string_view invalid_json = "urn:sse-relay:problem:invalid-json";
inline constexpr std::string_view invalid_field = "urn:sse-relay:problem:invalid-field";
inline constexpr std::string_view invalid_query = "urn:sse-relay:problem:invalid-query";
inline constexpr std::string_view invalid_header = "urn:sse-relay:problem:invalid-header";
inline constexpr std::string_view payload_too_large = "urn:sse-relay:problem:payload-too-large";
inline constexpr std::string_view unsupported_media_type =
    "urn:sse-relay:problem:unsupported-media-type";
inline constexpr std::string_view unauthorized = "urn:sse-relay:problem:unauthorized";
inline constexpr std::string_view forbidden = "urn:sse-relay:problem:forbidden";
inline constexpr std::string_view not_found = "urn:sse-relay:problem:not-found";
inline constexpr std::string_view method_not_allowed = "urn:sse-relay:problem:method-not-allowed";
inline constexpr std::string_view too_many_subscribers =
    "urn:sse-relay:problem:too-many-subscribers";
inline constexpr std::string_view rate_limited = "urn:sse-relay:problem:rate-limited";
inline constexpr std::string_view draining = "urn:sse-relay:problem:draining";
inline constexpr std::string_view bus_unavailable = "urn:sse-relay:problem:bus-unavailable";
inline constexpr std::string_view catching_up = "urn:sse-relay:problem:catching-up";
inline constexpr std::string_view read_model_busy = "urn:sse-relay:problem:read-model-busy";
inline constexpr std::string_view bad_request = "urn:sse-relay:problem:bad-request";
inline constexpr std::string_view uri_too_long = "urn:sse-relay:problem:uri-too-long";
inline constexpr std::string_view header_too_large = "urn:sse-relay:problem:header-too-large";
inline constexpr std::string_view unknown_worker = "urn:sse-relay:problem:unknown-worker";
inline constexpr std::string_view duplicate_worker = "urn:sse-relay:problem:duplicate-worker";
inline constexpr std::string_view worker_terminated = "urn:sse-relay:problem:worker-terminated";
inline constexpr std::string_view too_many_workers = "urn:sse-relay:problem:too-many-workers";
inline constexpr std::string_view invalid_transition = "urn:sse-relay:problem:invalid-transition";
}  // namespace problem_type

/// One problem answer. `pointer` is the JSON Pointer of the offending field, if any.
struct Problem {
  int status = 400;
  std::string_view type;
  std::string title;
  std::string detail;
  std::string pointer;
  long long index = -1;  ///< Batch item the problem is about; -1 for none.

  /// The problem+json body.
  [[nodiscard]] std::string to_json() const;
};

}  // namespace relay::proto
