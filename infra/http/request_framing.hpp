#pragma once
// Whether a request's head frames its body unambiguously (RFC 9112 6.1, 6.3). A body whose
// length the relay and a proxy in front of it could read differently is how requests are
// smuggled: such a request is refused and its connection closed, never guessed at.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace relay::infra {

/// Longest request line (method, target, version) accepted; longer is 414.
inline constexpr std::size_t max_request_line_bytes = 8192;
/// Default of RELAY_MAX_HEADER_BYTES: the largest request head accepted; larger is 431 (or 414
/// when the request line is the cause).
inline constexpr std::size_t default_max_header_bytes = std::size_t{16} * 1024;

/// The reason to refuse a request with these Transfer-Encoding values (all its header
/// lines joined with ','; empty when it has none) under HTTP/1.`minor`, or nullopt when it
/// is fine: no Transfer-Encoding, or exactly `chunked` on HTTP/1.1.
std::optional<std::string> transfer_encoding_problem(std::string_view values, unsigned minor);

/// The reason to refuse a request with `host_lines` Host header lines under HTTP/1.`minor`:
/// HTTP/1.1 needs exactly one (RFC 9112 3.2), HTTP/1.0 at most one.
std::optional<std::string> host_problem(std::size_t host_lines, unsigned minor);

/// The status and sentence for a head that overflowed the header limit, from the bytes
/// received and not yet consumed: 414 when they are a request line longer than the limit,
/// else 431 naming `header_limit`.
struct OversizedHead {
  int status = 431;
  std::string detail;
};
OversizedHead oversized_head(std::string_view received, std::size_t header_limit);

/// Longest chunk-size line (size, extensions, CRLF) of a chunked body. nginx and Node's llhttp
/// refuse long ones too; Beast would buffer one until the request timeout, so an endless
/// extension or run of leading zeros grew the process by hundreds of megabytes.
inline constexpr std::size_t max_chunk_line_bytes = 4096;

/// Why a chunked body whose parser wants more bytes is refused, judged from `unparsed`: the
/// bytes received and not yet consumed, which then hold one incomplete element. Without a
/// line end it is a chunk-size line (400 past max_chunk_line_bytes); with one, the last
/// chunk's line is whole and a trailer section is arriving (431 past `header_limit`, the
/// limit of a head). nullopt: keep reading.
std::optional<OversizedHead> chunked_remainder_problem(std::string_view unparsed,
                                                       std::size_t header_limit);

}  // namespace relay::infra
