#include "infra/routes/sse_stream.hpp"

#include <array>
#include <utility>
#include <vector>

#include <boost/asio/write.hpp>
#include <boost/container/small_vector.hpp>

#include <fmt/format.h>

#include "infra/http/error_responses.hpp"
#include "infra/http/http_responses.hpp"
#include "infra/routes/resume_wait.hpp"
#include "infra/routes/stream_query.hpp"

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
    // A listed origin may subscribe withCredentials (its cookie carries the token).
    if (origin != "*") head += "Access-Control-Allow-Credentials: true\r\n";
  }
  if (varies_by_origin(config.cors_origins)) head += "Vary: Origin\r\n";
  head += "\r\n";
  return head;
}

Response invalid_query(const Request& req, const std::string& detail) {
  return problem_response(req,
                          {400, proto::problem_type::invalid_query, "Invalid Query", detail, ""});
}

}  // namespace

std::variant<OpenedStream, Response> open_stream(const Request& req,
                                                 service::StreamAdmission& admission,
                                                 const HttpConfig& config,
                                                 const service::Clock& clock,
                                                 std::string_view client) {
  // Every refusal carries the CORS headers, so a page of an allowed origin may read why.
  auto refused = [&](Response res) {
    apply_cors(req, config.cors_origins, res);
    return res;
  };
  // Who is asking, before anything it asks for is looked at: no token, no stream.
  auto authorized = authorize(req, config.auth, clock);
  if (auto* res = std::get_if<Response>(&authorized)) return refused(std::move(*res));
  const auto& grant = std::get<std::optional<SubscriberGrant>>(authorized);
  auto query = parse_stream_query(req.target());
  if (auto* error = std::get_if<std::string>(&query)) return refused(invalid_query(req, *error));
  auto& q = std::get<StreamQuery>(query);
  auto filter = service::SubscriptionFilter::parse(q.types, q.workers);
  if (auto* error = std::get_if<std::string>(&filter)) return refused(invalid_query(req, *error));
  auto admitted = admission.admit({std::move(std::get<service::SubscriptionFilter>(filter)),
                                   grant ? &grant->allowed : nullptr,
                                   grant ? std::optional(grant->expires_unix_ms) : std::nullopt,
                                   resume_id(req), std::string(client),
                                   grant ? grant->subject : std::string()});
  if (auto* refusal = std::get_if<service::StreamRefusal>(&admitted)) {
    return refused(refusal_response(req, refusal->reason, std::move(refusal->detail)));
  }
  return OpenedStream{std::move(std::get<service::AdmittedStream>(admitted)),
                      stream_head(req, config)};
}

void SseStream::start(tcp::socket socket, OpenedStream opened, service::Fanout& fanout,
                      service::Logger& logger) {
  auto& admitted = opened.admitted;
  logger.debug("subscriber connected", {{"client_id", admitted.subscription->client_id()}});
  auto stream = std::make_shared<SseStream>(std::move(socket), std::move(opened.head),
                                            std::move(admitted.slot), fanout);
  stream->sub_ = admitted.subscription.get();
  stream->watch_peer();
  // Writes the preamble (and a replay) at once; the fan-out may close us inside this call.
  fanout.join(std::move(admitted.subscription), *stream);
}

SseStream::SseStream(tcp::socket socket, std::string head, service::AddressQuota::Slot slot,
                     service::Fanout& fanout)
    : socket_(std::move(socket)), head_(std::move(head)), slot_(std::move(slot)), fanout_(fanout) {
  beast::error_code ignored;
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  socket_.non_blocking(true, ignored);  // for the peer check's read; async ops are unaffected
}

SseStream::~SseStream() = default;

SseStream::WriteStatus SseStream::write(service::OutgoingBatch& batch) {
  if (!socket_.is_open()) return WriteStatus::failed;
  // On the stack for the usual one or two frames (a shared range, or preamble + replay).
  boost::container::small_vector<asio::const_buffer, 4> buffers;
  if (!head_.empty()) buffers.emplace_back(asio::buffer(head_));
  for (const auto& frame : batch.frames) buffers.emplace_back(asio::buffer(*frame));
  // The socket is non-blocking and almost always has room: send now, in this call. When
  // everything fits, no async operation, allocation or queued completion is needed, and
  // a broadcast sweep costs one writev per subscriber and nothing after it.
  boost::system::error_code ec;
  const auto sent = socket_.write_some(buffers, ec);
  if (ec && ec != asio::error::would_block) return WriteStatus::failed;
  if (sent == asio::buffer_size(buffers)) {
    if (!head_.empty()) std::string().swap(head_);  // free it, not just empty it
    return WriteStatus::complete;
  }
  // The socket is full: the rest goes out asynchronously, holding the frames until then.
  in_flight_ = std::move(batch.frames);
  asio::async_write(socket_, unsent_suffix(buffers, sent),
                    [self = shared_from_this()](const boost::system::error_code& wec, std::size_t) {
                      self->on_written(wec);
                    });
  return WriteStatus::pending;
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

void SseStream::on_written(const boost::system::error_code& ec) {
  in_flight_.clear();
  if (!head_.empty()) std::string().swap(head_);
  if (sub_ == nullptr) return;  // the fan-out let us go meanwhile and closed the socket
  if (ec) {
    end();
    return;
  }
  fanout_.write_done(*sub_);
}

void SseStream::close(bool graceful) {
  sub_ = nullptr;
  if (!socket_.is_open()) return;
  beast::error_code ignored;
  if (graceful) socket_.shutdown(tcp::socket::shutdown_send, ignored);
  socket_.close(ignored);  // completes the pending write and wait with operation_aborted
}

void SseStream::end() {
  if (auto* sub = std::exchange(sub_, nullptr)) fanout_.leave(*sub);
  beast::error_code ignored;
  socket_.close(ignored);
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
                         self->end();
                       }
                     });
}

}  // namespace relay::infra
