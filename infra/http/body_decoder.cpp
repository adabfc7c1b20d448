#include "infra/http/body_decoder.hpp"

#include <string_view>

#include <boost/beast/http/error.hpp>

namespace relay::infra {

namespace http = boost::beast::http;

BodyStep decode_buffered(http::request_parser<http::string_body>& parser,
                         boost::beast::flat_buffer& buffer, std::size_t header_limit) {
  parser.eager(true);
  while (buffer.size() > 0) {
    boost::beast::error_code ec;
    const auto used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (parser.is_done()) return {BodyStep::Kind::done, {}, {}};
    if (ec && ec != http::error::need_more) return {BodyStep::Kind::failed, ec, {}};
    if (!ec && used > 0) continue;  // an element parsed; more may follow
    break;
  }
  if (parser.chunked()) {
    const auto& rest = buffer.cdata();
    if (auto problem = chunked_remainder_problem(
            std::string_view(static_cast<const char*>(rest.data()), rest.size()), header_limit)) {
      return {BodyStep::Kind::refused, {}, std::move(*problem)};
    }
  }
  return {BodyStep::Kind::need_more, {}, {}};
}

}  // namespace relay::infra
