#pragma once
// Whether a request's head frames its body unambiguously (RFC 9112 6.1, 6.3). A body whose
// length the relay and a proxy in front of it could read differently is how requests are
// smuggled: such a request is refused and its connection closed, never guessed at.
#include <optional>
#include <string>
#include <string_view>

namespace relay::infra {

/// The reason to refuse a request with these Transfer-Encoding values (all its header
/// lines joined with ','; empty when it has none) under HTTP/1.`minor`, or nullopt when it
/// is fine: no Transfer-Encoding, or exactly `chunked` on HTTP/1.1.
std::optional<std::string> transfer_encoding_problem(std::string_view values, unsigned minor);

}  // namespace relay::infra
