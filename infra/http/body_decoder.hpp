#pragma once
// One step of reading a request body: feed the bytes buffered so far to Beast's parser and
// say what comes next. Kept apart from the socket so the read loop (http_server) and the
// fuzz target (tests/fuzz/fuzz_chunked_body) run the same decisions.
//
// Beast buffers a chunk-size line or a trailer section until its end arrives, however long;
// each time the parser wants more, this judges the incomplete element it holds instead
// (request_framing's chunked_remainder_problem): a chunk-size line over max_chunk_line_bytes
// or trailers over the head's limit end the request.
#include <cstddef>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "infra/http/request_framing.hpp"

namespace relay::infra {

struct BodyStep {
  enum class Kind {
    done,       ///< the message is complete (bytes of a next request may remain buffered)
    need_more,  ///< read more into the buffer, then step again
    failed,     ///< `ec`: malformed framing, or over the body limit (http::error::body_limit)
    refused,    ///< `refusal`: an element over its bound
  } kind = Kind::need_more;
  boost::beast::error_code ec;
  OversizedHead refusal;
};

/// Consumes from `buffer` what `parser` can take. `header_limit`: RELAY_MAX_HEADER_BYTES,
/// the bound of a trailer section.
BodyStep decode_buffered(boost::beast::http::request_parser<boost::beast::http::string_body>& parser,
                         boost::beast::flat_buffer& buffer, std::size_t header_limit);

}  // namespace relay::infra
