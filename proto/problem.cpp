#include "proto/problem.hpp"

#include "proto/json_writer.hpp"

namespace relay::proto {

std::string Problem::to_json() const {
  std::string out;
  JsonObjectWriter w(out);
  w.string("type", type).string("title", title).number("status", status).string("detail", detail);
  if (index >= 0) w.number("index", index);
  if (!pointer.empty()) w.string("pointer", pointer);
  w.close();
  return out;
}

}  // namespace relay::proto
