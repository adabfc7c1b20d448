#include "infra/worker_routes.hpp"

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

#include "infra/error_responses.hpp"
#include "infra/http_responses.hpp"
#include "proto/json_writer.hpp"
#include "proto/traceparent.hpp"
#include "proto/worker_json.hpp"

namespace relay::infra {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ptype = proto::problem_type;

namespace {

/// Most events one request may carry.
constexpr std::size_t max_batch_items = 1000;

}  // namespace

asio::awaitable<Response> WorkerRoutes::ingest(const Request& req, service::IngestContext context,
                                               Admission admit) {
  proto::BodyShape shape;
  if (has_media_type(req, "application/cloudevents+json")) {
    shape = proto::BodyShape::single;
  } else if (has_media_type(req, "application/cloudevents-batch+json")) {
    shape = proto::BodyShape::batch;
  } else if (has_media_type(req, "application/json")) {
    shape = proto::BodyShape::either;
  } else {
    co_return problem_response(
        req, {415, ptype::unsupported_media_type, "Unsupported Media Type",
              fmt::format("POST /api/domain-events takes application/cloudevents+json, "
                          "application/cloudevents-batch+json or application/json, got '{}'",
                          std::string_view(req[http::field::content_type])),
              ""});
  }
  auto parsed = proto::parse_cloudevents(req.body(), shape, max_batch_items);
  if (auto* error = std::get_if<proto::IngestError>(&parsed)) {
    proto::Problem problem{400, error->invalid_json ? ptype::invalid_json : ptype::invalid_field,
                           error->invalid_json ? "Invalid JSON" : "Invalid Field", "",
                           error->pointer};
    problem.index = error->index ? static_cast<long long>(*error->index) : -1;
    problem.detail = error->pointer.empty() ? error->detail
                                            : fmt::format("{} {}", error->pointer, error->detail);
    if (error->index) problem.detail = fmt::format("item {}: {}", *error->index, problem.detail);
    co_return problem_response(req, problem);
  }
  auto& parsed_events = std::get<proto::ParsedEvents>(parsed);
  if (auto refused = admit(parsed_events.items.size())) co_return std::move(*refused);
  const bool batch = parsed_events.batch;
  // Which item is a status update, for the pointer of an invalid_transition answer.
  std::vector<bool> status_update;
  status_update.reserve(parsed_events.items.size());
  for (const auto& item : parsed_events.items) {
    status_update.push_back(std::holds_alternative<domain::WorkerStatusUpdated>(item.event));
  }
  auto outcome = co_await ingest_.ingest(std::move(parsed_events.items), std::move(context));
  if (const auto* rejected = std::get_if<service::IngestRejection>(&outcome)) {
    auto problem = problem_for(rejected->reason, rejected->detail);
    if (problem.status != 503) {
      // A refusal of the fold names the item and the field that decided it.
      const auto i = rejected->index;
      if (batch) problem.detail = fmt::format("item {}: {}", i, rejected->detail);
      const bool status_field = rejected->reason == error::invalid_transition && status_update[i];
      problem.pointer = fmt::format("{}/data/{}", batch ? fmt::format("/{}", i) : "",
                                    status_field ? "status" : "worker_id");
      if (batch) problem.index = static_cast<long long>(i);
    }
    co_return refusal_response(req, problem);
  }
  std::string ids = "[";
  for (const auto& id : std::get<std::vector<domain::EventId>>(outcome)) {
    if (ids.size() > 1) ids.push_back(',');
    proto::append_json_string(ids, id.to_string());
  }
  ids.push_back(']');
  std::string body;
  proto::JsonObjectWriter(body).raw("ids", ids).close();
  co_return json_response(req, http::status::accepted, std::move(body));
}

Response WorkerRoutes::read(const Request& req, std::string_view worker_id) {
  const auto last = projection_.last_event_id().to_string();
  // Every fold moves the log's newest id, so it is a validator of both documents.
  const auto etag = fmt::format("\"{}{}\"", worker_id.empty() ? "workers-" : "worker-", last);
  auto finish = [&](Response res) {
    res.set("X-Last-Event-ID", last);
    res.set(http::field::etag, etag);
    return res;
  };
  // `*` matches only a representation that exists: an unknown worker stays a 404.
  const bool exists = worker_id.empty() || projection_.registry().find(worker_id) != nullptr;
  if (auto inm = req[http::field::if_none_match];
      exists && !inm.empty() && (inm == etag || inm == "*")) {
    return finish(make_response(req, http::status::not_modified, "application/json", ""));
  }
  std::string body;
  proto::JsonObjectWriter w(body);
  w.string("last_event_id", last);
  if (worker_id.empty()) {
    std::string workers = "[";
    for (const auto& [id, worker] : projection_.registry().workers()) {
      if (workers.size() > 1) workers.push_back(',');
      workers += proto::encode_worker(worker);
    }
    workers.push_back(']');
    w.raw("workers", workers);
  } else {
    const auto* worker = projection_.registry().find(worker_id);
    if (!worker) {
      return problem_response(req, {404, ptype::not_found, "Not Found",
                                    fmt::format("worker '{}' does not exist", worker_id), ""});
    }
    w.raw("worker", proto::encode_worker(*worker));
  }
  w.close();
  return finish(json_response(req, http::status::ok, std::move(body)));
}

}  // namespace relay::infra
