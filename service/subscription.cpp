#include "service/subscription.hpp"

#include <boost/asio/ip/address.hpp>

namespace relay::service {

std::string SubscriberIdentity::address_text() const {
  if (address == std::array<std::uint8_t, 16>{}) return {};
  const boost::asio::ip::address_v6 v6(address);
  return v6.is_v4_mapped()
             ? boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string()
             : v6.to_string();
}

void SubscriberIdentity::set_address(std::string_view text) {
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address(text, ec);
  if (ec) return;
  address = parsed.is_v4()
                ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, parsed.to_v4()).to_bytes()
                : parsed.to_v6().to_bytes();
}

Subscription::Subscription(std::string client_id, SubscriptionFilter filter, LogPosition cursor,
                           std::string preamble, std::chrono::milliseconds heartbeat,
                           time_point now)
    : client_id_(std::move(client_id)),
      filter_(filter.matches_everything()
                  ? nullptr
                  : std::make_unique<const SubscriptionFilter>(std::move(filter))),
      cursor_(cursor),
      acknowledged_(cursor),
      preamble_(std::make_shared<const std::string>(std::move(preamble))),
      heartbeat_(heartbeat, now) {}

Subscription::Next Subscription::next(WriteContext& ctx, time_point now) {
  Next out;
  if (state_ == State::done || state_ == State::writing) return out;
  auto& batch = out.batch;
  if (preamble_) {
    batch.bytes += preamble_->size();
    batch.frames.push_back(std::move(preamble_));
    preamble_.reset();
  }
  if (expired(now)) {
    auto frame = ctx.frames.reauth(revoked_);
    batch.bytes += frame->size();
    batch.frames.push_back(std::move(frame));
    batch.closes_stream = true;
    batch.reauth = true;
    return start_write(std::move(out), now);
  }
  const FrameLog& log = ctx.log;
  if (cursor_ < log.begin_position()) {
    state_ = State::done;
    return {Next::Kind::evict, {}, EvictionReason::lagging};
  }
  bool planned = false;
  if (batch.frames.empty() && !behind_ && !filter_) {
    // The common case under load: the same range every parked subscriber takes, built
    // once per sweep; no planning, one buffer.
    if (const auto* range = ctx.shared.get(log, cursor_, ctx.limits)) {
      batch.frames.push_back(range->bytes);
      batch.event_frames = range->frames;
      batch.bytes = range->bytes->size();
      cursor_ = range->to;
      planned = true;
    }
  }
  if (!planned) {
    static const SubscriptionFilter everything;
    auto plan = plan_batch(log, cursor_, filter_ ? *filter_ : everything, ctx.limits, behind_);
    for (auto position : plan.positions) batch.frames.push_back(log.at(position).frame);
    batch.event_frames = plan.positions.size();
    batch.bytes += plan.bytes;
    batch.conflated = plan.conflated;
    cursor_ = plan.next_cursor;
    batch.capped = cursor_ < log.end_position();
    behind_ = batch.capped;
    if (batch.event_frames == 0 && cursor_ == log.end_position()) {
      if (ctx.stopping) {
        auto frame = ctx.frames.shutdown();
        batch.bytes += frame->size();
        batch.frames.push_back(std::move(frame));
        batch.closes_stream = true;
      } else if (batch.empty() && heartbeat_.due(now)) {
        auto frame = ctx.frames.heartbeat();
        batch.bytes += frame->size();
        batch.frames.push_back(std::move(frame));
        batch.heartbeat = true;
      }
    }
  }
  if (batch.empty()) {
    acknowledged_ = cursor_;  // everything taken was filtered out: nothing is in flight
    state_ = State::parked;
    return out;
  }
  return start_write(std::move(out), now);
}

Subscription::Next Subscription::start_write(Next out, time_point now) {
  state_ = State::writing;
  write_started_ = now;
  closes_after_write_ = out.batch.closes_stream;
  capped_write_ = out.batch.capped;
  out.kind = Next::Kind::write;
  return out;
}

Subscription::AfterWrite Subscription::written(bool stopping, time_point now) {
  acknowledged_ = cursor_;
  heartbeat_.on_write(now);
  if (closes_after_write_) {
    state_ = State::done;
    return AfterWrite::finished;
  }
  if (state_ == State::done) return AfterWrite::park;  // evicted while writing
  // preamble_: a resync arrived mid-write; revoked_: the reauth frame goes out now, not at
  // the next tick.
  if (capped_write_ || stopping || preamble_ || revoked_) {
    state_ = State::ready;
    return AfterWrite::write_again;
  }
  // Frames that arrived during the write wait for the next sweep: writing again from each
  // completion would spend a syscall on every event that happened to land mid-write.
  state_ = State::parked;
  return AfterWrite::park;
}

bool Subscription::wants_sweep(LogPosition log_end, time_point now, bool stopping) const {
  if (state_ != State::parked) return false;
  return stopping || cursor_ < log_end || preamble_ || expired(now);
}

bool Subscription::wants_tick(time_point now) const {
  if (state_ != State::parked) return false;
  return preamble_ || expired(now) || heartbeat_.due(now);
}

void Subscription::resync(std::shared_ptr<const std::string> notice, LogPosition end) {
  if (state_ == State::done) return;
  if (preamble_) {
    preamble_ = std::make_shared<const std::string>(*preamble_ + *notice);
  } else {
    preamble_ = std::move(notice);
  }
  // What a write in flight carries is held by that write; nothing before `end` is owed.
  cursor_ = end;
  acknowledged_ = end;
}

std::optional<EvictionReason> Subscription::check_writer(const FrameLog& log,
                                                         const EvictionLimits& limits,
                                                         time_point now) const {
  if (state_ != State::writing) return std::nullopt;
  return eviction_for({acknowledged_, cursor_, write_started_}, log, limits, now);
}

std::uint64_t Subscription::unsent_bytes(const FrameLog& log) const {
  return log.total_bytes() - log.bytes_before(acknowledged_);
}

}  // namespace relay::service
