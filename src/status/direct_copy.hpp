// The status copy's direct path: a large copy (a backlog's outcomes at once) as one pass over a
// queue table's heap, page by page, with heap updates that change two fixed-width columns in
// place of the executor's UPDATE ... FROM (hash join, projection, per-row constraint checks).
//
// The changed delivery-log rows are given as a hash of event id -> new event status (the
// enum's oid). A row is updated when its id is in the hash, its status differs from the new one
// and it has been processed (processed_at IS NOT NULL): the rows, and the values written, of the
// statement it replaces (update_events_status.cpp, make_copy). Concurrent writers are handled as
// an UPDATE handles them under READ COMMITTED: wait for a row's writer, then re-check the row's
// latest version (a row deleted meanwhile is skipped); under REPEATABLE READ or SERIALIZABLE a
// row changed since the snapshot is a serialization failure (40001).
#pragma once

#include <cstdint>
#include <vector>

#include "intake/queue.hpp"
#include "pg/postgres.hpp"

namespace mc::status {

// Open addressing over int64 keys (any value: event ids carry the instance id in the high byte);
// a value of InvalidOid marks an empty slot, so every stored value is a valid enum oid.
class OutcomeHash {
 public:
  explicit OutcomeHash(std::size_t expected);
  void put(int64_t id, Oid status);
  // InvalidOid when the id is absent.
  Oid get(int64_t id) const {
    std::size_t i = slot_of(id);
    while (true) {
      const Entry& e = entries_[i];
      if (e.status == InvalidOid) return InvalidOid;
      if (e.id == id) return e.status;
      i = (i + 1) & mask_;
    }
  }
  std::size_t size() const { return size_; }

 private:
  struct Entry {
    int64_t id;
    Oid status;
  };
  std::size_t slot_of(int64_t id) const {
    uint64_t h = static_cast<uint64_t>(id);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return static_cast<std::size_t>(h) & mask_;
  }
  std::vector<Entry> entries_;
  std::size_t mask_;
  std::size_t size_ = 0;
};

// Whether the direct path applies to the queue's table: a plain heap table without triggers,
// row security, generated columns or constraints other than the extension's, whose columns
// before status and last_modified_at are all fixed-width and NOT NULL (so both sit at the same
// offset in every row). Also returns the table's size in pages. May throw PgError.
bool direct_copy_applies(intake::Queue queue, int64_t* pages);

// One changed delivery-log row: its event and the event's new status (the enum's oid).
struct Outcome {
  int64_t event_id;
  Oid status;
};

// Reads the changed delivery-log rows (last_modified_at >= watermark, status not pending) of
// both queues in one pass over the log's heap, with the statuses mapped as the statements map
// them (sent -> sent, ignored -> ignored, anything else -> delivery_failed). For a large copy,
// where a scan of the whole log beats the statement's. False (nothing read) when the log is
// not laid out as the extension's: fixed-width NOT NULL columns up to last_modified_at.
// May throw PgError.
bool read_outcomes_direct(TimestampTz watermark, std::vector<Outcome> (&per_queue)[2]);

// Copies the outcomes onto the queue's events; returns the number of events updated.
// Call only when direct_copy_applies said so, in the same transaction. May throw PgError.
int64_t direct_copy(intake::Queue queue, const OutcomeHash& outcomes, TimestampTz now);

}  // namespace mc::status
