#include "sse_frame_parser.hpp"

#include <algorithm>
#include <charconv>

namespace relay::bench {

void SseFrameParser::feed(std::string_view chunk) {
  std::size_t pos = 0;
  if (skip_next_lf_ && !chunk.empty()) {
    if (chunk.front() == '\n') pos = 1;
    skip_next_lf_ = false;
  }
  while (pos < chunk.size()) {
    const auto rest = chunk.substr(pos);
    const auto* end = std::find_if(rest.begin(), rest.end(),
                                   [](char c) { return c == '\n' || c == '\r'; });
    if (end == rest.end()) {
      partial_.append(rest);
      return;
    }
    const auto length = static_cast<std::size_t>(end - rest.begin());
    if (partial_.empty()) {
      process_line(rest.substr(0, length));
    } else {
      partial_.append(rest.substr(0, length));
      process_line(partial_);
      partial_.clear();
    }
    pos += length + 1;
    if (*end == '\r') {
      if (pos < chunk.size()) {
        if (chunk[pos] == '\n') ++pos;
      } else {
        skip_next_lf_ = true;
      }
    }
  }
}

void SseFrameParser::process_line(std::string_view line) {
  if (line.empty()) {
    dispatch();
    return;
  }
  if (line.front() == ':') {
    ++comments_;
    return;
  }
  const auto colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_.assign(value);
  } else if (field == "retry") {
    std::uint64_t ms = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec == std::errc{} && end == value.data() + value.size() && !value.empty()) retry_ms_ = ms;
  }
}

void SseFrameParser::dispatch() {
  if (data_.empty()) {
    type_.clear();
    return;
  }
  data_.pop_back();  // the '\n' after the last data line
  const SseEvent event{type_.empty() ? std::string_view("message") : std::string_view(type_),
                       data_, last_event_id_};
  on_event_(event);
  data_.clear();
  type_.clear();
}

std::optional<std::uint64_t> find_sequence_number(std::string_view data) {
  constexpr std::string_view key = "\"seq\":";
  const auto at = data.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  auto digits = data.substr(at + key.size());
  while (!digits.empty() && digits.front() == ' ') digits.remove_prefix(1);
  std::uint64_t seq = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc{}) return std::nullopt;
  return seq;
}

}  // namespace relay::bench
