#include "infra/routes/resume_wait.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/routes/stream_query.hpp"

namespace relay::infra {

namespace asio = boost::asio;

std::optional<std::string> resume_id(const Request& req) {
  // The header is what EventSource sends on reconnect, so it is newer than a ?since= that
  // stays in the URL from the first connect.
  if (auto it = req.find("Last-Event-ID"); it != req.end() && !it->value().empty()) {
    return std::string(it->value());
  }
  auto query = parse_stream_query(req.target());
  if (auto* q = std::get_if<StreamQuery>(&query)) return q->since;
  return std::nullopt;
}

namespace {
bool folded_here(const service::FrameLog& frames, const domain::EventId& id) {
  return !frames.empty() && !(frames.newest().id < id);
}
}  // namespace

std::optional<domain::EventId> resume_ahead_of(const std::optional<std::string>& text,
                                               const service::FrameLog& frames) {
  if (!text) return std::nullopt;
  auto id = domain::EventId::parse(*text);
  if (!id || *id == domain::EventId{0, 0} || folded_here(frames, *id)) return std::nullopt;
  return id;
}

asio::awaitable<ResumeWait> wait_for_resume_id(const std::optional<std::string>& text,
                                               const service::FrameLog& frames,
                                               const service::EventLog& log,
                                               std::chrono::milliseconds limit) {
  const auto id = resume_ahead_of(text, frames);
  if (!id) co_return ResumeWait::not_needed;
  // A log that is not shared (memory) answers nullopt: it never holds more than was folded.
  const auto stored = co_await log.newest_stored();
  if (!stored || *stored < *id) co_return ResumeWait::not_stored;
  // The tail folds within a read of the stream; look every few milliseconds rather than
  // hook the fold path, since only a moving subscriber ever waits here.
  const auto deadline = std::chrono::steady_clock::now() + limit;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!folded_here(frames, *id)) {
    if (std::chrono::steady_clock::now() >= deadline) co_return ResumeWait::timed_out;
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return ResumeWait::folded;
}

}  // namespace relay::infra
