#include "infra/routes/domain_events_route.hpp"

#include <variant>

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

#include "infra/http/error_responses.hpp"
#include "infra/http/http_responses.hpp"
#include "proto/cloudevents.hpp"
#include "proto/json_writer.hpp"

namespace relay::infra {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ptype = proto::problem_type;

namespace {

/// Most events one request may carry.
constexpr std::size_t max_batch_items = 1000;

}  // namespace

asio::awaitable<Response> ingest_domain_events(const Request& req, service::EventIngest& ingest,
                                               service::IngestContext context,
                                               const IngestAdmission& admit) {
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
  auto outcome = co_await ingest.ingest(std::move(parsed_events.items), std::move(context));
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

}  // namespace relay::infra
