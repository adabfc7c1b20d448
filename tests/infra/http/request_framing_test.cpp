#include "infra/http/request_framing.hpp"

#include <doctest/doctest.h>

using relay::infra::transfer_encoding_problem;

TEST_CASE("Transfer-Encoding: none or chunked alone on HTTP/1.1 frame a body; nothing else does") {
  CHECK_FALSE(transfer_encoding_problem("", 1));
  CHECK_FALSE(transfer_encoding_problem("chunked", 1));
  CHECK_FALSE(transfer_encoding_problem(" Chunked ", 1));
  for (const char* bad : {"gzip", "identity", "xchunked", "chunked, gzip", "chunked,gzip",
                          "gzip, chunked", "chunked, chunked", " , ", "chunked;q=1"}) {
    CAPTURE(bad);
    const auto problem = transfer_encoding_problem(bad, 1);
    REQUIRE(problem);
    CHECK_FALSE(problem->empty());
  }
  CHECK(transfer_encoding_problem("chunked", 0)->find("HTTP/1.0") != std::string::npos);
}

TEST_CASE("Host: exactly one on HTTP/1.1, at most one on HTTP/1.0") {
  using relay::infra::host_problem;
  CHECK_FALSE(host_problem(1, 1));
  CHECK(host_problem(0, 1));
  CHECK(host_problem(2, 1));
  CHECK_FALSE(host_problem(0, 0));
  CHECK(host_problem(2, 0));
}

TEST_CASE("an oversized head is 414 when the unconsumed bytes are a long request line, else 431") {
  using relay::infra::oversized_head;
  CHECK(oversized_head("GET /" + std::string(9000, 'a'), 16384).status == 414);
  CHECK(oversized_head("GET /x HTTP/1.1\r\nX-Pad: " + std::string(20000, 'p'), 16384).status == 431);
  CHECK(oversized_head("X-Pad: " + std::string(20000, 'p'), 16384).status == 431);  // line consumed
  CHECK(oversized_head(std::string(20000, 'p'), 16384).status == 431);
}

TEST_CASE("a chunked body's incomplete element is bounded: size lines small, trailers by the head limit") {
  using relay::infra::chunked_remainder_problem;
  using relay::infra::max_chunk_line_bytes;
  // A size line still arriving (after the previous chunk's CRLF or not) is fine while short.
  CHECK_FALSE(chunked_remainder_problem("5;name=va", 16384));
  CHECK_FALSE(chunked_remainder_problem("\r\n1f", 16384));
  CHECK_FALSE(chunked_remainder_problem("2;a=" + std::string(max_chunk_line_bytes - 4, 'x'), 16384));
  // An endless extension or an endless run of leading zeros is refused at the bound.
  auto extension = chunked_remainder_problem("2;a=" + std::string(max_chunk_line_bytes, 'x'), 16384);
  REQUIRE(extension);
  CHECK(extension->status == 400);
  CHECK(extension->detail.find("chunk-size line") != std::string::npos);
  auto zeros = chunked_remainder_problem("\r\n" + std::string(max_chunk_line_bytes + 1, '0'), 16384);
  REQUIRE(zeros);
  CHECK(zeros->status == 400);
  // Once the last chunk's line is whole, trailers may take up to the head's limit, no more.
  CHECK_FALSE(chunked_remainder_problem("0\r\nX-Trailer: " + std::string(10000, 't'), 16384));
  auto trailer = chunked_remainder_problem("0\r\nX-Trailer: " + std::string(20000, 't'), 16384);
  REQUIRE(trailer);
  CHECK(trailer->status == 431);
  CHECK(trailer->detail.find("RELAY_MAX_HEADER_BYTES") != std::string::npos);
}
