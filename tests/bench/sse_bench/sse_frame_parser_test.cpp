#include "sse_frame_parser.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace relay::bench {

namespace {

struct Seen {
  std::string type, data, id;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> parse_in_chunks(const std::string& stream, const std::vector<std::size_t>& cuts) {
  std::vector<Seen> out;
  SseFrameParser parser([&](const SseEvent& e) {
    out.push_back({std::string(e.type), std::string(e.data), std::string(e.last_event_id)});
  });
  std::size_t from = 0;
  for (auto cut : cuts) {
    parser.feed(std::string_view(stream).substr(from, cut - from));
    from = cut;
  }
  parser.feed(std::string_view(stream).substr(from));
  return out;
}

}  // namespace

TEST_CASE("every chunking of a stream yields the same events") {
  const std::string stream =
      "retry: 3000\r\n"
      ": comment\n"
      "event: connected\r\ndata: {\"a\":1}\r\n\r\n"
      "id: 5-0\nevent: bench.tick\ndata: {\"seq\":7,\n"
      "data: \"pad\":\"x\"}\n\n"
      "data:no space\r\r"
      "event: empty\n\n"  // no data: not dispatched
      "id: 6-0\rdata: last\r\n\r\n";
  const std::vector<Seen> expected = {
      {"connected", "{\"a\":1}", ""},
      {"bench.tick", "{\"seq\":7,\n\"pad\":\"x\"}", "5-0"},
      {"message", "no space", "5-0"},
      {"message", "last", "6-0"},
  };
  CHECK(parse_in_chunks(stream, {}) == expected);
  // Every single split point, including between CR and LF.
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    CAPTURE(cut);
    CHECK(parse_in_chunks(stream, {cut}) == expected);
  }
  // One byte at a time.
  std::vector<std::size_t> bytes;
  for (std::size_t i = 1; i < stream.size(); ++i) bytes.push_back(i);
  CHECK(parse_in_chunks(stream, bytes) == expected);
}

TEST_CASE("many events merged into one chunk are all dispatched, in order") {
  std::string stream;
  for (int i = 0; i < 500; ++i) stream += "data: {\"seq\":" + std::to_string(i) + "}\n\n";
  std::vector<std::uint64_t> seqs;
  SseFrameParser parser([&](const SseEvent& e) { seqs.push_back(*find_sequence_number(e.data)); });
  parser.feed(stream);
  REQUIRE(seqs.size() == 500);
  for (std::uint64_t i = 0; i < 500; ++i) CHECK(seqs[i] == i);
}

TEST_CASE("retry and comments are recorded, not dispatched") {
  int events = 0;
  SseFrameParser parser([&](const SseEvent&) { ++events; });
  parser.feed(": hi\n\nretry: 1500\n\n:ping\r\n");
  CHECK(events == 0);
  CHECK(parser.comments() == 2);
  CHECK(parser.retry_ms() == 1500);
  parser.feed("retry: soon\n");  // not digits: ignored per the spec
  CHECK(parser.retry_ms() == 1500);
}

TEST_CASE("sequence numbers are found in the relay's envelope and in a bare body") {
  CHECK(find_sequence_number(R"({"id":"1-0","data":{"seq":42,"pad":"x"}})") == 42);
  CHECK(find_sequence_number(R"({"seq": 7})") == 7);
  CHECK_FALSE(find_sequence_number(R"({"client_id":"abc"})"));
  CHECK_FALSE(find_sequence_number(R"({"seq":"x"})"));
}

}  // namespace relay::bench
