// libFuzzer target: the CloudEvents ingest parser (POST /api/domain-events) on any bytes.
// Invariants: it never crashes; an accepted body has 1..1000 items, each item's worker id is
// 1-256 characters without control characters, and refusals name a pointer inside the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/worker_events.hpp"
#include "proto/cloudevents.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the Content-Type the body arrived with.
  const auto shape = static_cast<relay::proto::BodyShape>(data[0] % 3);
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto parsed = relay::proto::parse_cloudevents(body, shape, 1000);
  if (auto* ok = std::get_if<relay::proto::ParsedEvents>(&parsed)) {
    if (ok->items.empty() || ok->items.size() > 1000) std::abort();
    for (const auto& item : ok->items) {
      const auto& id = relay::domain::worker_id_of(item.event);
      if (id.empty() || id.size() > 256) std::abort();
      for (unsigned char c : id) {
        if (c < 0x20 || c == 0x7f) std::abort();
      }
    }
  } else {
    const auto& error = std::get<relay::proto::IngestError>(parsed);
    if (!error.pointer.empty() && error.pointer.front() != '/') std::abort();
    if (error.detail.empty()) std::abort();
  }
  return 0;
}
