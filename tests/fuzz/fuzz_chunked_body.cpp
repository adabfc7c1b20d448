// libFuzzer target: a chunked request body as an attacker sends it, cut into reads where the
// input says, decoded step by step as the server does (infra/body_decoder). Invariants:
// never crashes; the bytes held unparsed never exceed a head plus one read; a decoded body
// is within the body limit; and a body decoded from pieces is exactly what Beast's parser,
// unbounded, makes of all the bytes at once (the bounds only ever refuse, never alter).
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "infra/http/body_decoder.hpp"

namespace {

namespace http = boost::beast::http;
using relay::infra::BodyStep;

constexpr std::size_t header_limit = 1024;
constexpr std::size_t body_limit = 4096;
constexpr std::string_view head =
    "POST /api/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

// The body decoded from `body` fed in reads of the sizes `cuts` gives (cycled), or nullopt
// when the request is refused or malformed or never completes.
std::optional<std::string> decode(std::string_view body, std::string_view cuts) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(body_limit);
  boost::beast::flat_buffer buffer(header_limit + 65536);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(head.data(), head.size()), ec);
  if (ec || !parser.is_header_done()) std::abort();  // the fixed head is valid
  std::size_t at = 0;
  std::size_t turn = 0;
  for (;;) {
    auto step = relay::infra::decode_buffered(parser, buffer, header_limit);
    if (buffer.size() > buffer.max_size()) std::abort();
    if (step.kind == BodyStep::Kind::done) {
      if (parser.get().body().size() > body_limit) std::abort();
      return parser.get().body();
    }
    if (step.kind != BodyStep::Kind::need_more) return std::nullopt;
    if (at == body.size()) return std::nullopt;  // the client stopped sending
    std::size_t want =
        cuts.empty() ? body.size()
                     : 1 + static_cast<std::size_t>(static_cast<unsigned char>(cuts[turn++ % cuts.size()])) * 16;
    want = std::min({want, body.size() - at, buffer.max_size() - buffer.size()});
    if (want == 0) std::abort();  // the decoder must have refused before the buffer filled
    auto space = buffer.prepare(want);
    std::memcpy(space.data(), body.data() + at, want);
    buffer.commit(want);
    at += want;
  }
}

// Beast's parser alone, given every byte at once: the reference a bounded decode must agree
// with whenever it accepts.
std::optional<std::string> reference(std::string_view body) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(body_limit);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(head.data(), head.size()), ec);
  if (ec) std::abort();
  while (!parser.is_done() && !body.empty()) {
    const auto used = parser.put(boost::asio::buffer(body.data(), body.size()), ec);
    if (ec || used == 0) break;
    body.remove_prefix(used);
  }
  if (!parser.is_done()) return std::nullopt;
  return parser.get().body();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  // First line: the sizes of the reads; the rest: the body as sent.
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  const auto split = input.find('\n');
  const auto cuts = split == std::string_view::npos ? std::string_view{} : input.substr(0, split);
  const auto body = split == std::string_view::npos ? input : input.substr(split + 1);
  const auto pieces = decode(body, cuts);
  if (pieces) {
    const auto whole = reference(body);
    if (!whole || *whole != *pieces) std::abort();
  }
  return 0;
}
