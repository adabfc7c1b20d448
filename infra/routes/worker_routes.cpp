#include "infra/routes/worker_routes.hpp"

#include <charconv>
#include <variant>

#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <fmt/format.h>

#include "infra/http/error_responses.hpp"
#include "infra/http/http_responses.hpp"
#include "proto/json_writer.hpp"
#include "proto/traceparent.hpp"
#include "proto/worker_json.hpp"

namespace relay::infra {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ptype = proto::problem_type;


namespace {

// ?limit=N&after=<id> of GET /api/workers; nullopt limit when the whole list is asked for.
struct PageQuery {
  std::optional<std::size_t> limit;
  std::string after;
};

std::variant<PageQuery, std::string> parse_page_query(std::string_view target) {
  PageQuery page;
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return std::string("the query is not valid");
  for (const auto& param : parsed->params()) {
    if (param.key == "limit") {
      std::size_t value = 0;
      const auto* end = param.value.data() + param.value.size();
      auto [ptr, ec] = std::from_chars(param.value.data(), end, value);
      if (ec != std::errc{} || ptr != end || value == 0 || value > WorkerRoutes::max_page) {
        return fmt::format("limit must be an integer from 1 to {}", WorkerRoutes::max_page);
      }
      page.limit = value;
    } else if (param.key == "after") {
      page.after = param.value;
    }
  }
  if (!page.after.empty() && !page.limit) return std::string("after needs a limit");
  return page;
}

}  // namespace

namespace {

// Whether `grant` (null: everything) lets the read model show `worker`.
bool shows(const SubscriberGrant* grant, const domain::Worker& worker) {
  return grant == nullptr || grant->allowed.allows_worker(worker.worker_id, worker.region);
}

}  // namespace

Response WorkerRoutes::read(const Request& req, std::string_view worker_id,
                            const SubscriberGrant* grant) {
  // Any answer to a token is that token's: it keeps the relay's Cache-Control: no-store and
  // says what it varies by, so no cache hands it to someone else (who may have no token).
  const bool authenticated = grant != nullptr;
  // A grant that allows everything reads like no grant: the shared list and its ETag.
  if (grant != nullptr && grant->allowed.matches_everything()) grant = nullptr;
  const auto last_id = projection_.last_event_id();
  const auto last = last_id.to_string();
  std::optional<PageQuery> page;
  if (worker_id.empty() && req.target().find('?') != std::string_view::npos) {
    auto query = parse_page_query(req.target());
    if (auto* error = std::get_if<std::string>(&query)) {
      return problem_response(req,
                              {400, ptype::invalid_query, "Invalid Query", std::move(*error), ""});
    }
    if (auto& parsed = std::get<PageQuery>(query); parsed.limit) page = std::move(parsed);
  }
  const auto* worker = worker_id.empty() ? nullptr : projection_.registry().find(worker_id);
  // Outside the grant by its id, or (when it exists) by its region: 403. An id the grant
  // names that does not exist stays a 404, like for everyone.
  if (grant != nullptr && !worker_id.empty() &&
      !(worker ? grant->allowed.allows_worker(worker_id, worker->region)
               : grant->allowed.allows_worker_id(worker_id))) {
    return forbidden(req, fmt::format("the token does not allow worker '{}'", worker_id));
  }
  // Every fold moves the log's newest id, so it is a validator of every document; a page's
  // also names the page, and a grant's the claim set it was filtered by.
  const auto scope = grant == nullptr ? std::string{}
                                      : fmt::format("-g{:016x}", std::hash<std::string>{}(grant->canonical));
  const auto etag =
      !worker_id.empty() ? fmt::format("\"worker-{}{}\"", last, scope)
      : page ? fmt::format("\"workers-{}-{}-{:x}{}\"", last, *page->limit,
                           std::hash<std::string>{}(page->after), scope)
             : fmt::format("\"workers-{}{}\"", last, scope);
  auto finish = [&](Response res) {
    res.set("X-Last-Event-ID", last);
    res.set(http::field::etag, etag);
    if (authenticated) res.set(http::field::vary, "Authorization, Cookie");
    return res;
  };
  // `*` matches only a representation that exists: an unknown worker stays a 404.
  const bool exists = worker_id.empty() || worker != nullptr;
  if (auto inm = req[http::field::if_none_match];
      exists && !inm.empty() && (inm == etag || inm == "*")) {
    return finish(make_response(req, http::status::not_modified, "application/json", ""));
  }
  if (page) return finish(read_page(req, *page->limit, page->after, grant));
  // Lists of an older version are let go first: only unread responses may still hold them.
  if (snapshot_ && snapshot_of_ != last_id) snapshot_.reset();
  if (grant_lists_of_ != last_id) {
    grant_lists_.clear();
    grant_lists_of_ = last_id;
  }
  if (worker_id.empty() && grant != nullptr) {
    // A grant's list is shared by every request with the same grant at this version, like
    // the whole list: clients that ask and never read hold one copy, not one each.
    if (auto it = grant_lists_.find(grant->canonical); it != grant_lists_.end()) {
      return finish(json_response(req, http::status::ok, SharedText(it->second)));
    }
    // At most the whole list's size: refused before anything is built.
    if (!budget_.admits(list_capacity())) return busy(req);
    auto body = list_body(last, grant);
    // Bounded: past this many distinct grants in one version, the rest are built per request
    // (and counted against the budget like the rest).
    if (grant_lists_.size() < max_grant_lists) grant_lists_.emplace(grant->canonical, body);
    return finish(json_response(req, http::status::ok, SharedText(std::move(body))));
  }
  if (worker_id.empty()) {
    if (!snapshot_) {
      if (!budget_.admits(list_capacity())) return busy(req);
      snapshot_ = list_body(last, nullptr);
      snapshot_of_ = last_id;
      list_estimate_ = snapshot_->size();
    }
    return finish(json_response(req, http::status::ok, SharedText(snapshot_)));
  }
  if (!worker) {
    return problem_response(req, {404, ptype::not_found, "Not Found",
                                  fmt::format("worker '{}' does not exist", worker_id), ""});
  }
  std::string body;
  proto::JsonObjectWriter(body)
      .string("last_event_id", last)
      .raw("worker", proto::encode_worker(*worker))
      .close();
  return finish(json_response(req, http::status::ok, std::move(body)));
}

Response WorkerRoutes::busy(const Request& req) const {
  auto res = problem_response(
      req, {503, ptype::read_model_busy, "Service Unavailable",
            fmt::format("unread read-model answers hold {} bytes, and another list would pass "
                        "RELAY_MAX_READ_MODEL_BYTES ({}); retry shortly, or page with ?limit=",
                        budget_.pinned(), budget_.limit()),
            ""});
  res.set(http::field::retry_after, "1");
  return res;
}

std::shared_ptr<const std::string> WorkerRoutes::list_body(const std::string& last,
                                                          const SubscriberGrant* grant) {
  // Written in place, in a buffer sized from the last list: one copy of the list in memory
  // while it is built, not a second for the array and a doubling string's spare half.
  std::string text;
  if (grant == nullptr && list_estimate_ > 0) text.reserve(list_capacity());
  proto::JsonObjectWriter w(text);
  w.string("last_event_id", last);
  w.raw("workers", "[");
  bool first = true;
  for (const auto& [id, row] : projection_.registry().workers()) {
    if (!shows(grant, row)) continue;
    if (!first) text.push_back(',');
    first = false;
    text += proto::encode_worker(row);
  }
  text.push_back(']');
  w.close();
  // Spare capacity is memory too: a list that came out much smaller than its buffer gives
  // the rest back (a grant's list, or a list after many workers were forgotten).
  if (text.capacity() > text.size() + text.size() / 4 + 4096) text.shrink_to_fit();
  return budget_.pin(std::move(text));
}

Response WorkerRoutes::read_page(const Request& req, std::size_t limit, const std::string& after,
                                 const SubscriberGrant* grant) {
  const auto& workers = projection_.registry().workers();
  auto it = after.empty() ? workers.begin() : workers.upper_bound(after);
  std::string list = "[";
  std::string_view last_shown;
  for (std::size_t n = 0; n < limit && it != workers.end(); ++it) {
    if (!shows(grant, it->second)) continue;
    if (list.size() > 1) list.push_back(',');
    list += proto::encode_worker(it->second);
    last_shown = it->first;
    ++n;
  }
  // Rows the grant hides are skipped here too: next_after names only an id the token may
  // see, and is absent when no visible row follows.
  while (it != workers.end() && !shows(grant, it->second)) ++it;
  list.push_back(']');
  std::string body;
  proto::JsonObjectWriter w(body);
  w.string("last_event_id", projection_.last_event_id().to_string());
  w.raw("workers", list);
  // Where the next page starts; absent on the last page.
  if (it != workers.end()) w.string("next_after", last_shown);
  w.close();
  // A page is bounded by max_page rows, but many unread pages add up like lists do.
  if (!budget_.admits(body.size())) return busy(req);
  return json_response(req, http::status::ok, SharedText(budget_.pin(std::move(body))));
}

}  // namespace relay::infra
