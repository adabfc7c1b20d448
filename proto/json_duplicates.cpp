#include "proto/json_duplicates.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace relay::proto {

namespace dom = simdjson::dom;

namespace {

// One pointer token: '~' and '/' escaped as RFC 6901 says.
void append_token(std::string& pointer, std::string_view token) {
  pointer.push_back('/');
  for (char c : token) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer.push_back(c);
    }
  }
}

// Depth-first; `pointer` is the path of `element`. simdjson bounds the depth (1024) when it
// parses, so the recursion is bounded too.
bool find_in(dom::element element, std::string& pointer, std::vector<std::string_view>& keys) {
  if (element.type() == dom::element_type::ARRAY) {
    std::size_t index = 0;
    for (auto child : dom::array(element)) {
      const auto mark = pointer.size();
      append_token(pointer, std::to_string(index++));
      if (find_in(child, pointer, keys)) return true;
      pointer.resize(mark);
    }
    return false;
  }
  if (element.type() != dom::element_type::OBJECT) return false;
  const dom::object object(element);
  // Keys of this object, sorted to find a repeat; the repeat reported is the later one.
  const auto base = keys.size();
  for (auto field : object) keys.push_back(field.key);
  const auto first = keys.begin() + static_cast<long>(base);
  std::sort(first, keys.end());
  if (const auto repeat = std::adjacent_find(first, keys.end()); repeat != keys.end()) {
    append_token(pointer, *repeat);
    return true;
  }
  keys.resize(base);
  for (auto field : object) {
    const auto mark = pointer.size();
    append_token(pointer, field.key);
    if (find_in(field.value, pointer, keys)) return true;
    pointer.resize(mark);
  }
  return false;
}

}  // namespace

std::optional<std::string> find_duplicate_key(dom::element root) {
  std::string pointer;
  std::vector<std::string_view> keys;
  if (find_in(root, pointer, keys)) return pointer;
  return std::nullopt;
}

}  // namespace relay::proto
