// A due event taken from a queue for processing: the fields routing and rendering read.
#pragma once

#include <optional>
#include <string>

#include "pg/postgres.hpp"

extern "C" {
#include "datatype/timestamp.h"
#include "storage/itemptr.h"
#include "utils/jsonb.h"
}

namespace mc::processing {

struct ClaimedEvent {
  int64 id = 0;
  ItemPointerData tid{};  // where the claim read it (processing updates it there)
  std::string type;
  std::optional<std::string> email, mobile_phone, external_id, origin, language, country;
  int channel = 0;              // mc::core::Channel
  Jsonb* ctx = nullptr;         // palloc'd, valid for the call
  Jsonb* enrichment = nullptr;  // from the enrichment function, if any
  int error_count = 0;
  bool has_expires_at = false;
  TimestampTz expires_at = 0;
};

}  // namespace mc::processing
