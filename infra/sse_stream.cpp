#include "infra/sse_stream.hpp"

#include <array>
#include <vector>

#include <boost/asio/write.hpp>
#include <boost/container/small_vector.hpp>

#include <fmt/format.h>

#include "infra/http_responses.hpp"
#include "infra/stream_query.hpp"

namespace relay::infra {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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

Response invalid_query(const Request& req, const std::string& detail) {
  return problem_response(req,
                          {400, proto::problem_type::invalid_query, "Invalid Query", detail, ""});
}

}  // namespace

std::variant<OpenedStream, Response> open_stream(const Request& req, service::SseEventRelay& relay,
                                                 const HttpConfig& config) {
  auto query = parse_stream_query(req.target());
  if (auto* error = std::get_if<std::string>(&query)) return invalid_query(req, *error);
  auto& q = std::get<StreamQuery>(query);
  auto filter = service::SubscriptionFilter::parse(q.types, q.workers);
  if (auto* error = std::get_if<std::string>(&filter)) return invalid_query(req, *error);
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
    return res;
  }
  return OpenedStream{std::move(std::get<std::unique_ptr<service::Subscription>>(subscribed)),
                      stream_head(req, config)};
}

void SseStream::start(tcp::socket socket, OpenedStream opened, service::Logger& logger) {
  auto stream = std::make_shared<SseStream>(std::move(socket), std::move(opened), logger);
  stream->watch_peer();
  stream->write_pending();
}

SseStream::SseStream(tcp::socket socket, OpenedStream opened, service::Logger& logger)
    : socket_(std::move(socket)),
      sub_(std::move(opened.subscription)),
      head_(std::move(opened.head)),
      logger_(logger) {
  beast::error_code ignored;
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  socket_.non_blocking(true, ignored);  // for the peer check's read; async ops are unaffected
  sub_->attach(*this);
  logger_.debug("subscriber connected", {{"client_id", sub_->client_id()}});
}

SseStream::~SseStream() {
  logger_.debug("subscriber disconnected", {{"client_id", sub_->client_id()}});
}

void SseStream::wake() { write_pending(); }

void SseStream::close_now() { close(); }

void SseStream::write_pending() {
  while (!writing_ && socket_.is_open()) {
    auto batch = sub_->next_batch();
    if (sub_->eviction()) return;  // next_batch() evicted it (lagging): close_now() ran
    if (batch.empty()) {
      sub_->park();
      return;
    }
    // On the stack for the usual one or two frames (a shared range, or preamble + replay).
    boost::container::small_vector<asio::const_buffer, 4> buffers;
    if (!head_.empty()) buffers.emplace_back(asio::buffer(head_));
    for (const auto& frame : batch.frames) buffers.emplace_back(asio::buffer(*frame));
    // The socket is non-blocking and almost always has room: send now, in this call. When
    // everything fits, no async operation, allocation or queued completion is needed, and
    // a broadcast sweep costs one writev per subscriber and nothing after it.
    boost::system::error_code ec;
    const auto sent = socket_.write_some(buffers, ec);
    if (ec && ec != asio::error::would_block) {
      close();
      return;
    }
    if (sent == asio::buffer_size(buffers)) {
      if (!finish_batch(batch)) return;
      continue;  // a capped replay, or flushing at stop: the next batch at once
    }
    // The socket is full: the rest goes out asynchronously, holding the frames until then.
    in_flight_ = std::move(batch);
    writing_ = true;
    asio::async_write(socket_, unsent_suffix(buffers, sent),
                      [self = shared_from_this()](const boost::system::error_code& wec,
                                                  std::size_t) { self->on_written(wec); });
    return;
  }
}

std::vector<asio::const_buffer> SseStream::unsent_suffix(std::span<const asio::const_buffer> all,
                                                         std::size_t sent) {
  std::vector<asio::const_buffer> rest;
  rest.reserve(all.size());
  for (const auto& b : all) {
    if (sent >= b.size()) {
      sent -= b.size();
      continue;
    }
    rest.push_back(b + sent);
    sent = 0;
  }
  return rest;
}

bool SseStream::finish_batch(const service::OutgoingBatch& batch) {
  if (!head_.empty()) std::string().swap(head_);  // free it, not just empty it
  const bool again = sub_->batch_written(batch);
  if (batch.closes_stream) {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    close();
    return false;
  }
  return again;  // otherwise parked: the next broadcast sweep wakes it
}

void SseStream::on_written(const boost::system::error_code& ec) {
  writing_ = false;
  auto batch = std::move(in_flight_);
  in_flight_ = {};
  if (ec) {
    close();
    return;
  }
  if (finish_batch(batch)) write_pending();
}

// An SSE client never sends after its request, so the socket turning readable means the
// peer closed (or reset); without this a dead peer would be noticed only at the next write.
void SseStream::watch_peer() {
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (ec) return;  // closed by us
                       std::array<char, 256> sink{};
                       beast::error_code rec;
                       for (int i = 0; i < 16; ++i) {  // bounded: a chatty peer cannot spin us
                         self->socket_.read_some(asio::buffer(sink), rec);
                         if (rec) break;
                       }
                       if (rec == asio::error::would_block) {
                         self->watch_peer();
                       } else {
                         self->close();
                       }
                     });
}

void SseStream::close() {
  if (!socket_.is_open()) return;
  beast::error_code ignored;
  socket_.close(ignored);  // completes the pending write and wait with operation_aborted
}

}  // namespace relay::infra
