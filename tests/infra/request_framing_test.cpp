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
