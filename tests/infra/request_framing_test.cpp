#include "infra/request_framing.hpp"

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
