#include "infra/http/http_responses.hpp"

#include <algorithm>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

namespace relay::infra {

namespace http = boost::beast::http;

Response make_response(const Request& req, http::status status, std::string_view content_type,
                       SharedText body) {
  Response res{status, req.version()};
  res.set(http::field::server, "sse-relay");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  // Served bytes are what their Content-Type says, never sniffed into something else.
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

Response json_response(const Request& req, http::status status, SharedText body) {
  return make_response(req, status, "application/json", std::move(body));
}

Response problem_response(const Request& req, const proto::Problem& problem) {
  return make_response(req, static_cast<http::status>(problem.status), "application/problem+json",
                       problem.to_json());
}

std::string allowed_origin(const Request& req, const std::vector<std::string>& cors_origins) {
  auto origin = req[http::field::origin];
  if (origin.empty() || cors_origins.empty()) return {};
  // A listed origin is echoed (and may send credentials); "*" answers any other, without.
  if (std::find(cors_origins.begin(), cors_origins.end(), origin) != cors_origins.end()) {
    return std::string(origin);
  }
  if (std::find(cors_origins.begin(), cors_origins.end(), "*") != cors_origins.end()) return "*";
  return {};
}

bool varies_by_origin(const std::vector<std::string>& cors_origins) {
  return !cors_origins.empty() &&
         std::find(cors_origins.begin(), cors_origins.end(), "*") == cors_origins.end();
}

void apply_cors(const Request& req, const std::vector<std::string>& cors_origins, Response& res) {
  // Every answer depends on the Origin once an allowlist is set, also one that carries no
  // CORS header: a cache must not hand it to a page of another origin.
  if (varies_by_origin(cors_origins)) {
    const std::string_view vary = res[http::field::vary];
    res.set(http::field::vary, vary.empty() ? std::string("Origin") : std::string(vary) + ", Origin");
  }
  auto origin = allowed_origin(req, cors_origins);
  if (origin.empty()) return;
  // What a page's script may read of the answer besides the simple headers.
  res.set(http::field::access_control_expose_headers, "ETag, X-Last-Event-ID, Retry-After");
  if (origin == "*") {
    res.set(http::field::access_control_allow_origin, "*");
    return;
  }
  res.set(http::field::access_control_allow_origin, origin);
  // Cookies (and a withCredentials EventSource) only for origins named one by one: the
  // Fetch standard refuses credentials with "*" anyway, and a reflected "*" would hand
  // every site the subscriber's view.
  res.set(http::field::access_control_allow_credentials, "true");
}

bool has_media_type(const Request& req, std::string_view type) {
  std::string_view value = req[http::field::content_type];
  value = value.substr(0, value.find(';'));
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return boost::beast::iequals(value, type);
}

}  // namespace relay::infra
