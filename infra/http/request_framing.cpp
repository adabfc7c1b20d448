#include "infra/http/request_framing.hpp"

#include "infra/http/trim.hpp"

#include <boost/beast/core/string.hpp>

#include <fmt/format.h>

namespace relay::infra {

std::optional<std::string> transfer_encoding_problem(std::string_view values, unsigned minor) {
  if (values.empty()) return std::nullopt;  // no Transfer-Encoding at all
  if (minor == 0) {
    // HTTP/1.0 has no transfer codings: a 1.1 proxy may have framed this body otherwise.
    return std::string("Transfer-Encoding is not allowed on HTTP/1.0");
  }
  // The codings in order; the relay decodes only chunked, and only alone.
  std::size_t codings = 0;
  std::string_view last;
  for (std::string_view rest = values; !rest.empty();) {
    const auto comma = rest.find(',');
    const auto coding = trim_blanks(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (coding.empty()) continue;
    ++codings;
    last = coding;
  }
  if (codings == 0) return std::string("Transfer-Encoding is empty");
  if (!boost::beast::iequals(last, "chunked")) {
    return fmt::format("Transfer-Encoding '{}' does not end in chunked: the body length is unknown",
                       std::string(values.substr(0, 100)));
  }
  if (codings > 1) {
    return fmt::format("Transfer-Encoding '{}': only chunked alone is supported",
                       std::string(values.substr(0, 100)));
  }
  return std::nullopt;
}

std::optional<std::string> host_problem(std::size_t host_lines, unsigned minor) {
  if (host_lines > 1) return fmt::format("{} Host headers; a request has one", host_lines);
  if (host_lines == 0 && minor >= 1) return std::string("HTTP/1.1 requires a Host header");
  return std::nullopt;
}

OversizedHead oversized_head(std::string_view received, std::size_t header_limit) {
  // The parser may have consumed what it read already: only bytes that still start with a
  // method ("GET /...") are the request line.
  const auto space = received.find(' ');
  const bool request_line = space != std::string_view::npos && space > 0 && space <= 16 &&
                            received.substr(0, space).find_first_not_of(
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string_view::npos;
  const auto line_end = received.find("\r\n");
  const auto line = line_end == std::string_view::npos ? received.size() : line_end;
  if (request_line && line > max_request_line_bytes) {
    return {414, fmt::format("the request line is longer than {} bytes", max_request_line_bytes)};
  }
  return {431, fmt::format("the request head is larger than {} bytes (RELAY_MAX_HEADER_BYTES)",
                           header_limit)};
}

std::optional<OversizedHead> chunked_remainder_problem(std::string_view unparsed,
                                                       std::size_t header_limit) {
  // The CRLF that ends a chunk's data is parsed with the next size line: skip it.
  auto line = unparsed;
  if (line.starts_with("\r\n")) line.remove_prefix(2);
  const bool size_line_whole = line.find('\n') != std::string_view::npos;
  if (!size_line_whole) {
    if (line.size() <= max_chunk_line_bytes) return std::nullopt;
    return OversizedHead{400, fmt::format("a chunk-size line (size and extensions) is longer "
                                          "than {} bytes",
                                          max_chunk_line_bytes)};
  }
  if (line.size() <= header_limit) return std::nullopt;
  return OversizedHead{431, fmt::format("the chunked body's trailer fields are larger than {} "
                                        "bytes (RELAY_MAX_HEADER_BYTES)",
                                        header_limit)};
}

}  // namespace relay::infra
