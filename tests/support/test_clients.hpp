#pragma once
// Blocking loopback clients for integration tests: one-shot HTTP requests and an SSE
// reader that parses frames (id, event, data) with a read deadline.
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <simdjson.h>

#include "sse_frame_parser.hpp"

namespace relay::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

/// One request on a fresh connection.
inline HttpResult http_request(std::uint16_t port, http::verb method, const std::string& target,
                               const std::string& body = "",
                               const std::string& content_type = "application/json",
                               std::map<std::string, std::string> headers = {}) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!content_type.empty() && method == http::verb::post)
    req.set(http::field::content_type, content_type);
  for (auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 << 20);
  http::read(socket, buffer, parser);
  HttpResult result;
  result.status = static_cast<int>(parser.get().result_int());
  for (auto& field : parser.get())
    result.headers[std::string(field.name_string())] = std::string(field.value());
  result.body = parser.get().body();
  return result;
}

inline HttpResult publish(std::uint16_t port, const std::string& body,
                          std::map<std::string, std::string> headers = {}) {
  return http_request(port, http::verb::post, "/api/events", body, "application/json",
                      std::move(headers));
}

/// One parsed SSE event.
/// The value at `pointer` (RFC 6901) of a JSON text, rendered as minified JSON (strings
/// keep their quotes); "<missing>" when the text does not parse or has no such value.
/// Tests assert on values found by parsing, not on substrings of the text.
/// Whether `text` holds `needle` (a header, a metric line, a JSON fragment).
inline bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

/// GET /api/events/stats, the body.
inline std::string stats(std::uint16_t port) {
  return http_request(port, http::verb::get, "/api/events/stats").body;
}

inline std::string json_at(std::string_view json, std::string_view pointer) {
  simdjson::dom::parser parser;
  auto doc = parser.parse(json.data(), json.size());
  if (doc.error()) return "<missing>";
  auto value = doc.value().at_pointer(pointer);
  if (value.error()) return "<missing>";
  return simdjson::minify(value.value());
}

/// Sends `bytes` on a fresh connection and returns everything the server sends until it
/// closes (or `wait` passes without a byte): for requests no client library would send.
inline std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                                std::chrono::milliseconds wait = std::chrono::milliseconds(3000)) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer(bytes));
  std::string out;
  for (;;) {
    pollfd pfd{socket.native_handle(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(wait.count())) <= 0) break;
    char chunk[4096];
    const auto n = ::recv(socket.native_handle(), chunk, sizeof chunk, 0);
    if (n <= 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  return out;
}

/// How many responses a raw exchange holds: status lines ("HTTP/1.x NNN ").
inline std::size_t response_count(const std::string& raw) {
  static const std::regex status_line("HTTP/1\\.[01] [0-9]{3} ");
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(raw.begin(), raw.end(), status_line), {}));
}

/// One event as a test sees it (owned copies of the parser's views).
struct SseEvent {
  std::string id;  ///< Empty when the frame had no id: line.
  std::string event;
  std::string data;
};

/// A raw-socket SSE subscriber.
class SseReader {
 public:
  SseReader(std::uint16_t port, const std::string& target,
            std::map<std::string, std::string> headers = {}, int rcvbuf = 0)
      : socket_(io_) {
    socket_.open(tcp::v4());
    if (rcvbuf > 0) socket_.set_option(asio::socket_base::receive_buffer_size(rcvbuf));
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    std::string req =
        "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    req += "\r\n";
    asio::write(socket_, asio::buffer(req));
    set_timeout(std::chrono::milliseconds(5000));
    // Status line and headers; what came after them is the start of the stream.
    while (raw_.find("\r\n\r\n") == std::string::npos) {
      if (!fill()) throw std::runtime_error("no response head");
    }
    const auto end = raw_.find("\r\n\r\n");
    head_ = raw_.substr(0, end);
    raw_.erase(0, end + 4);
    status_ = std::stoi(head_.substr(9, 3));
    if (status_ == 200) parser_.feed(std::exchange(raw_, {}));
  }

  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] const std::string& head() const { return head_; }
  [[nodiscard]] bool closed() const { return closed_; }
  /// Everything left unparsed (for responses that are not streams).
  [[nodiscard]] std::string rest() {
    while (fill()) {
    }
    return raw_;
  }

  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }

  /// The last `retry:` the stream sent, if any.
  [[nodiscard]] std::optional<std::uint64_t> retry_ms() const { return parser_.retry_ms(); }

  /// The next event, or nullopt on timeout or end of stream. Parsed by the load tool's
  /// parser (tests/bench/sse_bench), the one SSE parser of our tests.
  std::optional<SseEvent> next() {
    while (events_.empty()) {
      if (!fill()) return std::nullopt;
    }
    auto ev = std::move(events_.front());
    events_.pop_front();
    return ev;
  }

  /// Events until one of `type` arrives (inclusive), or nullopt on timeout.
  std::vector<SseEvent> until(const std::string& type) {
    std::vector<SseEvent> out;
    while (auto ev = next()) {
      out.push_back(*ev);
      if (ev->event == type) return out;
    }
    return out;
  }

  void close() {
    beast::error_code ec;
    socket_.close(ec);
  }

 private:
  // poll() + recv() directly: Asio's blocking reads retry on EAGAIN, so SO_RCVTIMEO
  // would not bound them.
  bool fill() {
    pollfd pfd{socket_.native_handle(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout_.count())) <= 0) return false;
    char chunk[16384];
    const auto n = ::recv(socket_.native_handle(), chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    if (status_ == 200) {
      parser_.feed({chunk, static_cast<std::size_t>(n)});
    } else {
      raw_.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::string raw_;  ///< The head, then the body of a refusal (a stream goes to the parser).
  std::deque<SseEvent> events_;
  bench::SseFrameParser parser_{[this](const bench::SseEvent& e) {
    events_.push_back({e.has_id ? std::string(e.last_event_id) : std::string(), std::string(e.type),
                       std::string(e.data)});
  }};
  std::string head_;
  int status_ = 0;
  bool closed_ = false;
  std::chrono::milliseconds timeout_{5000};
};

}  // namespace relay::test
