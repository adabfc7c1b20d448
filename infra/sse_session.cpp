#include "infra/sse_session.hpp"

#include <array>
#include <variant>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/format.h>

#include "infra/http_responses.hpp"
#include "infra/stream_query.hpp"

namespace relay::infra {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
// NOLINTNEXTLINE(misc-unused-using-decls): used by co_await (a || b)
using asio::experimental::awaitable_operators::operator||;
using tcp_socket = asio::ip::tcp::socket;

namespace {

// The response head, written with the first batch. The body is delimited by closing the
// connection (no Content-Length, no chunking), which every SSE client and proxy accepts
// and which lets each write carry the shared frames untouched.
std::string stream_head(const Request& req, const HttpConfig& config) {
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Server: sse-relay\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n"
      "Connection: close\r\n";
  if (auto origin = allowed_origin(req, config.cors_origins); !origin.empty()) {
    head += fmt::format("Access-Control-Allow-Origin: {}\r\n", origin);
    if (origin != "*") head += "Vary: Origin\r\n";
  }
  head += "\r\n";
  return head;
}

// Writes what the subscription has, then waits for more; ends on the shutdown frame,
// eviction, a write error or cancellation.
asio::awaitable<void> pump(tcp_socket& socket, service::Subscription& sub, std::string head) {
  std::vector<asio::const_buffer> buffers;
  for (;;) {
    auto batch = sub.next_batch();
    if (sub.eviction()) co_return;
    if (batch.empty()) {
      co_await sub.wait();
      auto state = co_await asio::this_coro::cancellation_state;
      if (state.cancelled() != asio::cancellation_type::none) co_return;
      continue;
    }
    buffers.clear();
    if (!head.empty()) buffers.emplace_back(asio::buffer(head));
    for (const auto& frame : batch.frames) buffers.emplace_back(asio::buffer(*frame));
    auto [ec, n] = co_await asio::async_write(socket, buffers, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    head.clear();
    sub.batch_written(batch);
    if (batch.closes_stream) co_return;
  }
}

// An SSE client never sends after its request, so a completed read means the peer closed
// (or reset): without this half a dead peer would be noticed only at the next write.
asio::awaitable<void> watch_eof(tcp_socket& socket) {
  std::array<char, 64> sink{};
  for (;;) {
    auto [ec, n] =
        co_await socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

Response invalid_query(const Request& req, const std::string& detail) {
  return problem_response(req,
                          {400, proto::problem_type::invalid_query, "Invalid Query", detail, ""});
}

asio::awaitable<void> answer(tcp_socket& socket, Response res) {
  res.keep_alive(false);
  co_await http::async_write(socket, res, asio::as_tuple(asio::use_awaitable));
  beast::error_code ignored;
  socket.shutdown(tcp_socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> run_sse_session(tcp_socket socket, Request req, service::SseEventRelay& relay,
                                      const HttpConfig& config, service::Logger& logger) {
  auto query = parse_stream_query(req.target());
  // Responses are built in named locals before co_await: GCC 12 destroys aggregate
  // temporaries inside a co_await expression twice.
  if (auto* error = std::get_if<std::string>(&query)) {
    auto res = invalid_query(req, *error);
    co_await answer(socket, std::move(res));
    co_return;
  }
  auto& q = std::get<StreamQuery>(query);
  auto filter = service::SubscriptionFilter::parse(q.types, q.workers);
  if (auto* error = std::get_if<std::string>(&filter)) {
    auto res = invalid_query(req, *error);
    co_await answer(socket, std::move(res));
    co_return;
  }
  // The header is what EventSource sends on reconnect, so it is newer than a ?since= that
  // stays in the URL from the first connect.
  std::optional<std::string> last_event_id;
  if (auto it = req.find("Last-Event-ID"); it != req.end() && !it->value().empty()) {
    last_event_id = std::string(it->value());
  } else if (q.since) {
    last_event_id = q.since;
  }

  auto subscribed = relay.subscribe(
      {std::move(std::get<service::SubscriptionFilter>(filter)), std::move(last_event_id)});
  if (auto* rejected = std::get_if<service::Rejection>(&subscribed)) {
    const bool draining = rejected->reason == "draining";
    auto res = problem_response(
        req,
        {503, draining ? proto::problem_type::draining : proto::problem_type::too_many_subscribers,
         "Service Unavailable",
         draining ? "the relay is shutting down; reconnect to another replica"
                  : "this relay has reached its subscriber limit (RELAY_MAX_CLIENTS)",
         ""});
    res.set(http::field::retry_after, "5");
    co_await answer(socket, std::move(res));
    co_return;
  }
  auto sub = std::move(std::get<std::unique_ptr<service::Subscription>>(subscribed));
  auto head = stream_head(req, config);
  req = {};  // Everything needed from the request is taken: free its fields now.
  beast::error_code ignored;
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  sub->on_evict([&socket] {
    beast::error_code ec;
    socket.close(ec);  // Completes a write stuck on a full socket, and the reader half.
  });
  logger.debug("subscriber connected", {{"client_id", sub->client_id()}});

  co_await (pump(socket, *sub, std::move(head)) || watch_eof(socket));

  if (socket.is_open()) {
    socket.shutdown(tcp_socket::shutdown_send, ignored);
    socket.close(ignored);
  }
  logger.debug("subscriber disconnected", {{"client_id", sub->client_id()}});
}

}  // namespace relay::infra
