#include "infra/routes/stream_query.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <fmt/format.h>

namespace relay::infra {

std::variant<StreamQuery, std::string> parse_stream_query(std::string_view target) {
  // Filters live as long as the stream: a long query is refused rather than kept.
  if (target.size() > max_stream_target_bytes) {
    return fmt::format("the stream URL is {} bytes; at most {} are accepted", target.size(),
                       max_stream_target_bytes);
  }
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed)
    return fmt::format("request target is not a valid URL: {}", parsed.error().message());
  StreamQuery query;
  for (auto param : parsed->params()) {
    if (param.key == "types" || param.key == "type") {
      query.types.push_back(param.value);
    } else if (param.key == "worker" || param.key == "workers") {
      query.workers.push_back(param.value);
    } else if (param.key == "since") {
      query.since = param.value;
    }
  }
  return query;
}

}  // namespace relay::infra
