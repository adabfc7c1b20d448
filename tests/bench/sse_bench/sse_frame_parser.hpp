#pragma once
// An incremental text/event-stream parser (WHATWG HTML, "Interpreting an event stream"):
// the load tool's measuring instrument, so it must give the same events whatever the
// chunking of the bytes. Lines end with CRLF, LF or CR, also when split across chunks.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace relay::bench {

/// One dispatched event; the views are valid only during the callback.
struct SseEvent {
  std::string_view type;  ///< "message" when the stream named none.
  std::string_view data;  ///< data: lines joined with '\n'.
  std::string_view last_event_id;
  bool has_id = false;  ///< This frame set the id itself (an `id:` line), not an earlier one.
};

class SseFrameParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;
  explicit SseFrameParser(Handler on_event) : on_event_(std::move(on_event)) {}

  /// Feeds the next bytes of the stream, in any chunking.
  void feed(std::string_view chunk);

  [[nodiscard]] std::uint64_t comments() const { return comments_; }
  [[nodiscard]] std::optional<std::uint64_t> retry_ms() const { return retry_ms_; }

 private:
  void process_line(std::string_view line);
  void dispatch();

  Handler on_event_;
  std::string partial_;        ///< An unfinished line carried to the next chunk.
  bool skip_next_lf_ = false;  ///< The last chunk ended on CR: a leading LF is its pair.
  std::string type_;
  std::string data_;
  std::string last_event_id_;
  bool frame_has_id_ = false;
  std::uint64_t comments_ = 0;
  std::optional<std::uint64_t> retry_ms_;
};

/// The integer after `"seq":` in an event's data (the load tool numbers its events so),
/// or nothing when there is none.
std::optional<std::uint64_t> find_sequence_number(std::string_view data);

}  // namespace relay::bench
