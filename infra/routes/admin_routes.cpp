#include "infra/routes/admin_routes.hpp"

#include <algorithm>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>

#include <fmt/format.h>

#include "infra/auth/same_secret.hpp"
#include "infra/auth/subscriber_auth.hpp"
#include "infra/config/config_values.hpp"
#include "infra/http/http_responses.hpp"
#include "infra/routes/route_table.hpp"
#include "infra/routes/stats_report.hpp"
#include "proto/json_writer.hpp"
#include "proto/rfc3339.hpp"

namespace relay::infra {

namespace http = boost::beast::http;
namespace ptype = proto::problem_type;

namespace {

/// A listing holds at most this many streams unless ?limit= asks for another bound.
constexpr std::size_t default_list_limit = 1000;
constexpr std::size_t max_list_limit = 1'000'000;

Response not_found(const Request& req, std::string_view path) {
  return problem_response(
      req, {404, ptype::not_found, "Not Found", fmt::format("no route for {}", path), ""});
}

Response method_not_allowed(const Request& req, std::string_view path, std::string_view allow) {
  auto res = problem_response(
      req, {405, ptype::method_not_allowed, "Method Not Allowed",
            fmt::format("{} does not accept {}", path,
                        std::string_view(req.method_string()).substr(0, 32)),
            ""});
  res.set(http::field::allow, allow);
  return res;
}

void append_string_array(std::string& out, const std::vector<std::string>& items,
                         std::string_view suffix = {}) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    proto::append_json_string(out, suffix.empty() ? items[i] : items[i] + std::string(suffix));
  }
  out += ']';
}

std::string filter_json(const service::SubscriptionFilter* filter) {
  static const service::SubscriptionFilter everything;
  const auto& f = filter != nullptr ? *filter : everything;
  // "worker.metrics.*" is kept as its prefix "worker.metrics.": shown as asked.
  std::vector<std::string> types = f.exact_types();
  for (const auto& prefix : f.type_prefixes()) types.push_back(prefix + "*");
  std::string out = R"({"types":)";
  append_string_array(out, types);
  out += R"(,"workers":)";
  append_string_array(out, f.workers());
  out += R"(,"regions":)";
  append_string_array(out, f.regions());
  out += '}';
  return out;
}

// The query parameter `name` of a target, decoded; nullopt when absent or unparsable.
std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return std::nullopt;
  for (auto param : parsed->params()) {
    if (param.key == name) return std::string(param.value);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Response> AdminRoutes::handle(const Request& req, std::string_view path,
                                            std::string_view client, Listener listener) {
  const bool admin_path = path == route::admin_streams || path.starts_with(route::admin_stream_prefix);
  const bool stats_path = path == route::metrics || path == route::stats;
  if (listener == Listener::public_api) {
    if (stats_path) {
      // Moved to the admin listener: the public port no longer tells anyone its figures.
      if (config_.own_listener()) return not_found(req, path);
      return std::nullopt;  // served publicly as before (ReadRoutes)
    }
    if (!admin_path) return std::nullopt;
    // No admin door on the public port unless an operator configured a token for it.
    if (config_.own_listener() || config_.token.empty()) return not_found(req, path);
  } else if (!admin_path && !stats_path && path != route::healthz) {
    return std::nullopt;
  }

  if (!config_.token.empty()) {
    const auto given = bearer_token(req);
    if (!given || !same_secret(*given, config_.token)) {
      auto res = problem_response(
          req, {401, ptype::unauthorized, "Unauthorized",
                given ? "the bearer token is not the admin token"
                      : "the admin routes require Authorization: Bearer <RELAY_ADMIN_TOKEN>",
                ""});
      res.set(http::field::www_authenticate,
              given ? R"(Bearer realm="sse-relay-admin", error="invalid_token")"
                    : R"(Bearer realm="sse-relay-admin")");
      return res;
    }
  }

  const auto method = req.method();
  const bool read = method == http::verb::get || method == http::verb::head;
  if (stats_path || path == route::healthz) {
    if (!read) return method_not_allowed(req, path, "GET, HEAD");
    if (path == route::healthz) return json_response(req, http::status::ok, R"({"status":"ok"})");
    if (path == route::stats) {
      return json_response(req, http::status::ok, stats_json(relay_, ingest_, bus_));
    }
    return make_response(req, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                         metrics_.render());
  }
  if (path == route::admin_streams) {
    if (read) return list_streams(req);
    if (method == http::verb::delete_) {
      auto subject = query_param(req.target(), "sub");
      if (!subject || subject->empty()) {
        return problem_response(
            req, {400, ptype::invalid_query, "Invalid Query",
                  "name the streams to close: DELETE /api/admin/streams/{client_id}, or "
                  "DELETE /api/admin/streams?sub=<token subject> to revoke a subject's streams",
                  ""});
      }
      return revoke_subject(req, *subject, client);
    }
    return method_not_allowed(req, path, "GET, HEAD, DELETE");
  }
  // /api/admin/streams/{client_id}
  if (method != http::verb::delete_) return method_not_allowed(req, path, "DELETE");
  auto id = boost::urls::make_pct_string_view(path.substr(route::admin_stream_prefix.size()));
  if (id.has_error() || id->decoded_size() == 0) {
    return problem_response(req, {400, ptype::bad_request, "Bad Request",
                                  "the client id in the path is not a valid segment", ""});
  }
  return close_stream(req, id->decode(), client);
}

Response AdminRoutes::list_streams(const Request& req) const {
  std::size_t limit = default_list_limit;
  if (auto text = query_param(req.target(), "limit")) {
    auto value = parse_uint(*text);
    if (!value || *value == 0 || *value > max_list_limit) {
      return problem_response(req, {400, ptype::invalid_query, "Invalid Query",
                                    fmt::format("limit must be an integer from 1 to {}, got '{}'",
                                                max_list_limit, text->substr(0, 32)),
                                    ""});
    }
    limit = *value;
  }
  const auto& fanout = relay_.fanout();
  std::string body = R"({"streams":[)";
  std::size_t listed = 0;
  std::size_t total = 0;
  fanout.for_each([&](const service::Subscription& sub) {
    ++total;
    if (listed == limit) return;
    if (listed++ > 0) body += ',';
    const auto& who = sub.identity();
    proto::JsonObjectWriter(body)
        .string("client_id", sub.client_id())
        .string("address", who.address_text())
        .string_or_null("sub", who.subject ? std::string_view(*who.subject) : std::string_view())
        .raw("filter", filter_json(sub.filter()))
        .unsigned_number("bytes_behind", fanout.unsent_bytes(sub))
        .string("connected_since",
                proto::format_rfc3339_ms(static_cast<std::uint64_t>(who.connected_unix_ms)))
        .close();
  });
  body += "],";
  body += fmt::format(R"("listed":{},"total":{}}})", listed, total);
  auto res = json_response(req, http::status::ok, std::move(body));
  res.set(http::field::cache_control, "no-store");
  return res;
}

Response AdminRoutes::close_stream(const Request& req, std::string_view client_id,
                                   std::string_view client) {
  if (!relay_.fanout().close_stream(client_id)) {
    return problem_response(req, {404, ptype::not_found, "Not Found",
                                  "no open stream has this client id (it may have left already)",
                                  ""});
  }
  metrics_.count_admin_action("close_stream", 1);
  logger_.info("operator closed a stream", {{"client_id", client_id}, {"by", client}});
  std::string body;
  proto::JsonObjectWriter(body).string("client_id", client_id).unsigned_number("closed", 1).close();
  return json_response(req, http::status::ok, std::move(body));
}

Response AdminRoutes::revoke_subject(const Request& req, std::string_view subject,
                                     std::string_view client) {
  const auto revoked = relay_.fanout().revoke_subject(subject);
  metrics_.count_admin_action("revoke_subject", revoked);
  logger_.info("operator revoked a token subject",
               {{"sub", subject}, {"streams", static_cast<std::uint64_t>(revoked)}, {"by", client}});
  std::string body;
  proto::JsonObjectWriter(body)
      .string("sub", subject)
      .unsigned_number("closed", revoked)
      .close();
  return json_response(req, http::status::ok, std::move(body));
}

}  // namespace relay::infra
