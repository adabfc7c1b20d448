#include "infra/http/http_server.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/format.h>

#include "infra/http/body_decoder.hpp"
#include "infra/http/client_address.hpp"
#include "infra/http/http_responses.hpp"
#include "infra/http/request_framing.hpp"
#include "infra/routes/resume_wait.hpp"
#include "infra/routes/sse_stream.hpp"
#include "infra/auth/subscriber_auth.hpp"

namespace relay::infra {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
namespace ptype = proto::problem_type;

/// How long a stream request may wait for the tail to fold the id it resumes from.
constexpr std::chrono::milliseconds resume_wait_limit{2000};

HttpServer::HttpServer(asio::any_io_executor executor, const HttpConfig& config,
                       service::SseEventRelay& relay, ApiRoutes& routes, service::Logger& logger,
                       std::chrono::milliseconds shutdown_grace, Listener listener)
    : executor_(std::move(executor)),
      config_(config),
      relay_(relay),
      logger_(logger),
      routes_(routes),
      listener_(listener),
      acceptor_(executor_),
      shutdown_grace_(shutdown_grace),
      grace_timer_(executor_),
      stream_quota_(config.max_clients_per_ip),
      admission_(relay, routes.event_log(), stream_quota_) {}

void HttpServer::start() {
  const bool admin = listener_ == Listener::admin;
  const auto& host = admin ? config_.admin.host : config_.host;
  const auto wanted_port = admin ? config_.admin.port.value_or(0) : config_.port;
  const std::string_view what = admin ? "the admin listener" : "";
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("cannot listen{}{} on {}: not an IP address", what.empty() ? "" : " for ",
                    what, host));
  }
  const tcp::endpoint endpoint(address, wanted_port);
  auto fail = [&](std::string_view step) {
    return std::runtime_error(fmt::format("cannot listen{}{} on {}:{}: {} ({})",
                                          what.empty() ? "" : " for ", what, host, wanted_port,
                                          ec.message(), step));
  };
  if (acceptor_.open(endpoint.protocol(), ec); ec) throw fail("open");
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec)
    throw fail("setsockopt");
  if (acceptor_.bind(endpoint, ec); ec) throw fail("bind");
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) throw fail("listen");
  port_ = acceptor_.local_endpoint().port();
  logger_.info(admin ? "admin listening" : "listening",
               {{"host", host}, {"port", static_cast<unsigned>(port_)}});
  asio::co_spawn(executor_, accept_loop(), [this](const std::exception_ptr& e) {
    service::log_failure(logger_, "accept loop", e);
  });
}

asio::awaitable<void> HttpServer::stop() {
  stopping_ = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  for (auto* socket : awaiting_request_) socket->close(ignored);
  awaiting_request_.clear();
  if (!connections_.empty()) {
    // Not awaited: the relay drains its streams meanwhile. The timer is cancelled when the
    // last response is written, so it holds the exit no longer than needed.
    grace_timer_.expires_after(shutdown_grace_);
    grace_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (!connections_.empty()) {
        logger_.warn("responses cut off at the shutdown grace",
                     {{"connections", static_cast<std::uint64_t>(connections_.size())}});
      }
      beast::error_code ignored_close;
      for (auto* socket : connections_) socket->close(ignored_close);
    });
  }
  co_return;
}

asio::awaitable<void> HttpServer::accept_loop() {
  asio::steady_timer backoff(executor_);
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      // Out of descriptors (or a transient error): back off rather than spin, and say so
      // once per spell, not once per retry.
      if (failed_accepts_++ == 0) logger_.warn("accept failed", {{"error", ec.message()}});
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (failed_accepts_ > 0) {
      logger_.info("accepting again", {{"failed_accepts", failed_accepts_}});
      failed_accepts_ = 0;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(executor_, serve(std::move(socket)), [this](const std::exception_ptr& e) {
      service::log_failure(logger_, "connection", e);
    });
  }
}

namespace {

// Reads one request. A client that sent "Expect: 100-continue" (curl does for bodies over
// 1 KiB) is told to go on once the header passed its checks, the publish token among them;
// otherwise it would wait a second before sending the body. A Content-Length over the limit
// fails at the header.
struct ReadOutcome {
  beast::error_code ec;
  std::string refusal;  ///< Set: the head is refused; answer `status` and close.
  int status = 400;
  bool body_declined = false;  ///< Expect: 100-continue, and the head alone is refused.
};

// Reads the body after its head, one decode_buffered step per read: every element of a
// chunked body is bounded before more of it is read.
asio::awaitable<ReadOutcome> read_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                       http::request_parser<http::string_body>& parser,
                                       std::size_t header_limit) {
  for (;;) {
    auto step = decode_buffered(parser, buffer, header_limit);
    switch (step.kind) {
      case BodyStep::Kind::done:
        co_return ReadOutcome{};
      case BodyStep::Kind::failed:
        co_return ReadOutcome{step.ec, {}};
      case BodyStep::Kind::refused:
        co_return ReadOutcome{{}, std::move(step.refusal.detail), step.refusal.status};
      case BodyStep::Kind::need_more:
        break;
    }
    const auto room = std::min<std::size_t>(buffer.max_size() - buffer.size(), 65536);
    if (room == 0) co_return ReadOutcome{http::error::buffer_overflow, {}};
    auto [ec, got] = co_await stream.async_read_some(buffer.prepare(room),
                                                     asio::as_tuple(asio::use_awaitable));
    // A client that leaves mid-body gets no answer: there is no one to read it.
    if (ec == asio::error::eof) co_return ReadOutcome{http::error::end_of_stream, {}};
    if (ec) co_return ReadOutcome{ec, {}};
    buffer.commit(got);
  }
}

asio::awaitable<ReadOutcome> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                          http::request_parser<http::string_body>& parser,
                                          const ApiRoutes& routes, std::size_t header_limit) {
  auto [ec, n] =
      co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (ec) co_return ReadOutcome{ec, {}};
  if (parser.get().target().size() > max_request_line_bytes) {
    co_return ReadOutcome{
        {}, fmt::format("the request line is longer than {} bytes", max_request_line_bytes), 414};
  }
  // Before any body byte is read: a body framed by a coding we do not decode would be read
  // as the next request (smuggling). Every Transfer-Encoding line counts.
  std::string codings;
  const auto [first, last] = parser.get().equal_range(http::field::transfer_encoding);
  for (auto line = first; line != last; ++line) {
    if (!codings.empty()) codings += ',';
    codings += line->value();
  }
  if (auto problem = transfer_encoding_problem(codings, parser.get().version() % 10)) {
    co_return ReadOutcome{{}, std::move(*problem)};
  }
  const auto [host_first, host_last] = parser.get().equal_range(http::field::host);
  const auto hosts = static_cast<std::size_t>(std::distance(host_first, host_last));
  if (auto problem = host_problem(hosts, parser.get().version() % 10)) {
    co_return ReadOutcome{{}, std::move(*problem)};
  }
  if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
    // A producer with a wrong token is answered now, before it sends a body for nothing.
    if (parser.get().method() == http::verb::post && routes.publisher_auth().check(parser.get())) {
      co_return ReadOutcome{{}, {}, 400, true};
    }
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    auto [wec, wn] = co_await http::async_write(stream, go_on, asio::as_tuple(asio::use_awaitable));
    if (wec) co_return ReadOutcome{wec, {}};
  }
  if (!parser.is_done()) co_return co_await read_body(stream, buffer, parser, header_limit);
  co_return ReadOutcome{};
}

}  // namespace

asio::awaitable<void> HttpServer::refuse(beast::tcp_stream& stream, Response res) {
  res.keep_alive(false);
  auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  if (ec) co_return;
  // Lingering close: the client may still be sending the body we refused, and closing with
  // unread data resets the connection, which can destroy our answer before it is read.
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  const auto linger_until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  stream.expires_at(linger_until);
  std::array<char, 8192> sink{};
  for (std::size_t drained = 0; drained < 8UL * 1024 * 1024;) {
    auto [rec, got] =
        co_await stream.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (rec) co_return;  // the client closed (or the 2 s are over)
    drained += got;
  }
  // Still sending after 8 MB: read no more (no CPU for it), but do not close yet either, or
  // the reset can destroy the answer before the client reads it (seen under load: the
  // client's next write failed with ECONNRESET before its read). Its writes stall on the
  // full window meanwhile; the socket closes at the end of the 2 s.
  asio::steady_timer linger(stream.get_executor());
  linger.expires_at(linger_until);
  co_await linger.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  // Bounded: a head within its limit plus one read. Nothing a client sends (a head, a
  // chunk-size line, trailers) can make the connection hold more than this unparsed.
  beast::flat_buffer buffer(config_.max_header_bytes + 65536);
  beast::error_code ignored;
  auto* raw_socket = &stream.socket();
  struct ConnectionGuard {
    HttpServer& server;
    tcp::socket* socket;
    ~ConnectionGuard() {
      server.awaiting_request_.erase(socket);
      server.connections_.erase(socket);
      if (server.stopping_ && server.connections_.empty()) server.grace_timer_.cancel();
    }
  } guard{*this, raw_socket};
  connections_.insert(raw_socket);

  // Behind no trusted proxy the client is the peer, the same for every request.
  beast::error_code peer_ec;
  const auto peer = stream.socket().remote_endpoint(peer_ec).address();
  const auto peer_text = unmapped(peer).to_string();
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config_.max_header_bytes));
    parser.body_limit(config_.max_body_bytes);
    awaiting_request_.insert(raw_socket);
    if (buffer.size() == 0) {
      // Between requests the idle timeout applies; from the first byte on, the request
      // timeout covers head and body together, so neither a slow head nor a slow body lasts.
      stream.expires_after(config_.idle_timeout);
      auto [iec, got] = co_await stream.async_read_some(buffer.prepare(4096),
                                                        asio::as_tuple(asio::use_awaitable));
      if (iec) break;
      buffer.commit(got);
    }
    stream.expires_after(config_.request_timeout);
    auto [ec, refusal, refusal_status, body_declined] =
        co_await read_request(stream, buffer, parser, routes_, config_.max_header_bytes);
    awaiting_request_.erase(raw_socket);
    if (body_declined) {
      // The routes answer the head (401, counted and traced like any refused ingest); the
      // body was never read, so the connection cannot carry another request.
      Request head = parser.release();
      auto res = co_await routes_.handle(head, peer_text, listener_);
      co_await refuse(stream, std::move(res));
      co_return;
    }
    if (!refusal.empty()) {
      Request head;
      head.version(11);
      // Built before the co_await: GCC 12 mishandles temporaries inside a co_await expression.
      auto res = problem_response(
          head,
          refusal_status == 414
              ? proto::Problem{414, ptype::uri_too_long, "URI Too Long", std::move(refusal), ""}
          : refusal_status == 431
              ? proto::Problem{431, ptype::header_too_large, "Request Header Fields Too Large",
                               std::move(refusal), ""}
              : proto::Problem{400, ptype::bad_request, "Bad Request", std::move(refusal), ""});
      co_await refuse(stream, std::move(res));
      co_return;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == asio::error::bad_descriptor) {
      break;
    }
    if (ec) {
      Request head;
      head.version(11);
      Response res;
      if (ec == http::error::body_limit) {
        res = problem_response(head, {413, ptype::payload_too_large, "Payload Too Large",
                                      fmt::format("request bodies are limited to {} bytes "
                                                  "(RELAY_MAX_BODY_BYTES)",
                                                  config_.max_body_bytes),
                                      ""});
      } else if (ec == http::error::header_limit) {
        const auto& received = buffer.cdata();
        const auto too_big = oversized_head(
            std::string_view(static_cast<const char*>(received.data()), received.size()),
            config_.max_header_bytes);
        res = problem_response(
            head,
            {too_big.status, too_big.status == 414 ? ptype::uri_too_long : ptype::header_too_large,
             too_big.status == 414 ? "URI Too Long" : "Request Header Fields Too Large",
             too_big.detail, ""});
      } else {
        res = problem_response(head, {400, ptype::bad_request, "Bad Request",
                                      fmt::format("malformed HTTP request: {}", ec.message()), ""});
      }
      co_await refuse(stream, std::move(res));
      co_return;
    }
    Request req = parser.release();
    const auto client = config_.trusted_proxies.empty()
                            ? peer_text
                            : client_address(peer, req, config_.trusted_proxies);
    if (listener_ == Listener::public_api && req.method() == http::verb::get &&
        target_path(req.target()) == route::stream) {
      // A subscriber moving here from a replica a few ms ahead: let the tail fold its id
      // (the bus holds it) rather than tell it `resync future`. Bounded by one command
      // deadline's worth of tail reads. Only a request that would be admitted costs Redis a
      // command or holds a connection waiting: the token is checked first (open_stream
      // checks it again; this runs only for an id newer than anything folded here).
      if (const auto resume = resume_id(req);
          resume_ahead_of(resume, relay_.frame_log()) &&
          std::holds_alternative<std::optional<SubscriberGrant>>(
              authorize(req, config_.auth, relay_.clock()))) {
        co_await wait_for_resume_id(resume, relay_.frame_log(), routes_.event_log(),
                                    resume_wait_limit);
      }
      auto opened = open_stream(req, admission_, config_, relay_.clock(), client);
      if (auto* refused = std::get_if<Response>(&opened)) {
        refused->keep_alive(false);
        co_await http::async_write(stream, *refused, asio::as_tuple(asio::use_awaitable));
        break;
      }
      // The stream owns the bare socket from here; this frame, the parser, the read buffer
      // and the tcp_stream's timers are all freed while it runs.
      stream.expires_never();
      SseStream::start(stream.release_socket(), std::move(std::get<OpenedStream>(opened)),
                       relay_.fanout(), logger_);
      co_return;
    }
    Response res = co_await routes_.handle(req, client, listener_);
    if (stopping_) res.keep_alive(false);
    const bool keep_alive = res.keep_alive();
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

}  // namespace relay::infra
