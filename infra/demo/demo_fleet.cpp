#include "infra/demo/demo_fleet.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include "infra/config/config_values.hpp"
#include "proto/rfc3339.hpp"

namespace relay::infra {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {
constexpr std::string_view regions[] = {"eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1"};
constexpr std::string_view instance_types[] = {"m5.2xlarge", "c5.4xlarge", "m5zn.metal"};
constexpr std::string_view lab_titles[] = {"OSPF basics", "BGP route reflectors", "EVPN fabric",
                                           "MPLS L3VPN",  "Segment routing",      "QoS lab"};
constexpr std::string_view lab_states[] = {"STARTED", "STOPPED", "BOOTING"};
}  // namespace

DemoFleet::DemoFleet(asio::any_io_executor executor, const HttpConfig& config, ApiRoutes& routes,
                     const service::Clock& clock, service::Logger& logger,
                     std::chrono::milliseconds tick, std::size_t size)
    : executor_(std::move(executor)),
      config_(config),
      routes_(routes),
      clock_(clock),
      logger_(logger),
      tick_(tick),
      size_(size),
      timer_(executor_),
      source_(fmt::format("/sse-relay/demo/{:x}", std::random_device{}())) {}

void DemoFleet::start() {
  logger_.info("demo fleet started", {{"workers", static_cast<std::uint64_t>(size_)},
                                      {"tick_ms", static_cast<std::int64_t>(tick_.count())}});
  asio::co_spawn(executor_, run(), [this](const std::exception_ptr& e) {
    service::log_failure(logger_, "demo fleet", e);
  });
}

asio::awaitable<void> DemoFleet::stop() {
  stopping_ = true;
  timer_.cancel();
  co_return;
}

asio::awaitable<void> DemoFleet::run() {
  while (!stopping_) {
    if (!adopted_) {
      adopted_ = co_await adopt();
      if (adopted_) co_await step();
    } else if (!pending_.empty()) {
      co_await post();
    } else {
      co_await step();
    }
    if (stopping_) break;
    timer_.expires_after(tick_);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<bool> DemoFleet::adopt() {
  if (!routes_.log_positioned()) co_return false;
  const Request req{http::verb::get, route::workers, 11};
  const auto res = co_await routes_.handle(req);
  if (res.result() != http::status::ok) co_return false;
  simdjson::ondemand::parser parser;
  const simdjson::padded_string body(res.body());
  auto doc = parser.iterate(body);
  for (auto item : doc["workers"].get_array()) {
    auto worker = item.get_object();
    std::string_view id, status;
    if (worker["worker_id"].get(id) || worker["status"].get(status)) continue;
    const auto number = id.starts_with("worker-") ? parse_uint(id.substr(7)) : std::nullopt;
    if (!number) continue;
    next_worker_ = std::max(next_worker_, *number + 1);
    if (status == "terminated" || fleet_.size() >= size_) continue;
    fleet_.push_back(SimWorker{std::string(id), std::string(status)});
  }
  if (!fleet_.empty()) {
    logger_.info("demo fleet adopted", {{"workers", static_cast<std::uint64_t>(fleet_.size())}});
  }
  co_return true;
}

std::string DemoFleet::cloudevent(std::string_view type, const std::string& data) {
  return fmt::format(
      R"({{"specversion":"1.0","id":"demo-{}","source":"{}","type":"{}","time":"{}","data":{}}})",
      next_event_++, source_, type, proto::format_rfc3339_ms(clock_.now_unix_ms()), data);
}

void DemoFleet::create_worker(std::vector<std::string>& events, std::uint64_t at) {
  SimWorker w{fmt::format("worker-{:03}", next_worker_++), "pending"};
  events.push_back(cloudevent(
      "CMLWorkerCreatedDomainEvent",
      fmt::format(
          R"({{"worker_id":"{}","name":"Lab worker {}","region":"{}","instance_type":"{}","status":"pending","created_at":"{}"}})",
          w.id, w.id.substr(7), regions[random_() % std::size(regions)],
          instance_types[random_() % std::size(instance_types)], proto::format_rfc3339_ms(at))));
  fleet_.push_back(std::move(w));
}

asio::awaitable<void> DemoFleet::step() {
  const auto at = clock_.now_unix_ms();
  const auto time = proto::format_rfc3339_ms(at);
  std::vector<std::string> events;
  while (fleet_.size() < size_) create_worker(events, at);
  auto status = [&](SimWorker& w, std::string_view next) {
    w.status = next;
    w.ticks_in_status = 0;
    events.push_back(cloudevent(
        "CMLWorkerStatusUpdatedDomainEvent",
        fmt::format(R"({{"worker_id":"{}","status":"{}","updated_at":"{}"}})", w.id, next, time)));
  };
  std::uniform_real_distribution<double> jitter(-8, 8);
  for (auto& w : fleet_) {
    ++w.ticks_in_status;
    if (w.status == "pending" && w.ticks_in_status >= 2) {
      status(w, "provisioning");
    } else if (w.status == "provisioning" && w.ticks_in_status >= 3) {
      status(w, "running");
    } else if (w.status == "running") {
      if (w.ticks_in_status > 20 && random_() % 40 == 0) {
        status(w, "stopping");
        continue;
      }
      w.cpu = std::clamp(w.cpu + jitter(random_), 1.0, 99.0);
      w.memory = std::clamp(w.memory + jitter(random_) / 2, 5.0, 95.0);
      if (w.ticks_in_status % 7 == 1) {
        w.labs = static_cast<int>(random_() % 4);
        std::string labs = "[";
        for (int i = 0; i < w.labs; ++i) {
          labs +=
              fmt::format(R"({}{{"lab_id":"{}-lab-{}","title":"{}","state":"{}","node_count":{}}})",
                          i ? "," : "", w.id, i + 1, lab_titles[random_() % std::size(lab_titles)],
                          lab_states[random_() % std::size(lab_states)], 2 + random_() % 12);
        }
        labs += "]";
        events.push_back(
            cloudevent("CMLWorkerLabsUpdatedDomainEvent",
                       fmt::format(R"({{"worker_id":"{}","labs":{},"synchronized_at":"{}"}})", w.id,
                                   labs, time)));
      }
      events.push_back(cloudevent(
          "CMLWorkerTelemetryUpdatedDomainEvent",
          fmt::format(
              R"({{"worker_id":"{}","cpu_percent":{:.1f},"memory_percent":{:.1f},"labs_count":{},"collected_at":"{}"}})",
              w.id, w.cpu, w.memory, w.labs, time)));
    } else if (w.status == "stopping" && w.ticks_in_status >= 2) {
      status(w, "stopped");
    } else if (w.status == "stopped" && w.ticks_in_status >= 2) {
      w.status = "terminated";
      events.push_back(cloudevent(
          "CMLWorkerTerminatedDomainEvent",
          fmt::format(R"({{"worker_id":"{}","reason":"scaled in","terminated_at":"{}"}})", w.id,
                      time)));
    }
  }
  // Terminated workers leave the simulation; the next step creates their replacements.
  std::erase_if(fleet_, [](const SimWorker& w) { return w.status == "terminated"; });
  pending_ = std::move(events);
  co_await post();
}

asio::awaitable<void> DemoFleet::post() {
  if (pending_.empty()) co_return;
  Request req{http::verb::post, route::domain_events, 11};
  req.set(http::field::content_type, "application/cloudevents-batch+json");
  if (!config_.publish_token.empty()) {
    req.set(http::field::authorization, "Bearer " + config_.publish_token);
  }
  req.body() = "[" + fmt::format("{}", fmt::join(pending_, ",")) + "]";
  req.prepare_payload();
  auto res = co_await routes_.handle(req);
  if (res.result() == http::status::accepted) {
    pending_.clear();
    if (refusing_) logger_.info("demo batch accepted again", {});
    refusing_ = false;
    co_return;
  }
  if (!refusing_) {
    logger_.warn("demo batch refused, re-sent every tick until accepted",
                 {{"status", static_cast<int>(res.result_int())}, {"problem", res.body()}});
  }
  refusing_ = true;
}

}  // namespace relay::infra
