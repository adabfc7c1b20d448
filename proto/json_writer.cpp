#include "proto/json_writer.hpp"

#include <fmt/format.h>

namespace relay::proto {

std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0U;
  };
  const auto continuation = [&](std::size_t i) { return (byte(i) & 0xC0U) == 0x80U; };
  const unsigned lead = byte(at);
  if (lead < 0x80) return 1;
  // RFC 3629 table 4: the second byte's range excludes overlong forms, surrogates and
  // code points above U+10FFFF.
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(at + 1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned second = byte(at + 1);
    const bool ok = lead == 0xE0   ? (second >= 0xA0 && second <= 0xBF)
                    : lead == 0xED ? (second >= 0x80 && second <= 0x9F)
                                   : continuation(at + 1);
    return ok && continuation(at + 2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned second = byte(at + 1);
    const bool ok = lead == 0xF0   ? (second >= 0x90 && second <= 0xBF)
                    : lead == 0xF4 ? (second >= 0x80 && second <= 0x8F)
                                   : continuation(at + 1);
    return ok && continuation(at + 2) && continuation(at + 3) ? 4 : 0;
  }
  return 0;
}

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      // Whatever the input (a path, a header, a method), the output stays valid UTF-8:
      // each byte that does not start a well-formed sequence becomes U+FFFD.
      const auto length = utf8_sequence_length(text, i);
      if (length == 0) {
        out += "\ufffd";
      } else {
        out.append(text.substr(i, length));
        i += length - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

void JsonObjectWriter::key(std::string_view k) {
  if (!first_) out_.push_back(',');
  first_ = false;
  append_json_string(out_, k);
  out_.push_back(':');
}

JsonObjectWriter& JsonObjectWriter::string(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(out_, value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::string_or_null(std::string_view k, std::string_view value) {
  if (value.empty()) return raw(k, "null");
  return string(k, value);
}

JsonObjectWriter& JsonObjectWriter::number(std::string_view k, std::int64_t value) {
  key(k);
  fmt::format_to(std::back_inserter(out_), "{}", value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::unsigned_number(std::string_view k, std::uint64_t value) {
  key(k);
  fmt::format_to(std::back_inserter(out_), "{}", value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::boolean(std::string_view k, bool value) {
  return raw(k, value ? "true" : "false");
}

JsonObjectWriter& JsonObjectWriter::raw(std::string_view k, std::string_view json) {
  key(k);
  out_.append(json);
  return *this;
}

}  // namespace relay::proto
