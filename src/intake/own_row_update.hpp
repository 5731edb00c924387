// The CHECK constraint of the queues (mc.event_is_valid) validates what a writer stored. PostgreSQL
// evaluates a CHECK on every UPDATE of a row too, against the settings of that moment: lowering
// mc.settings.max_ctx_bytes would make processing's and the status copy's own updates of older,
// larger events fail (54000), abort their batch and retry it forever. Those updates never change
// a validated column (type, addresses, ctx, times), so while one runs the check answers true at
// once: limits are checked at intake, not re-run by the extension's own writes. The flag is
// this backend's, set only around the extension's statements and cleared on any abort.
#pragma once

namespace mc::intake {

// Marks the extension's own UPDATE of queue rows for as long as it lives.
class OwnRowUpdate {
 public:
  OwnRowUpdate();
  ~OwnRowUpdate();
  OwnRowUpdate(const OwnRowUpdate&) = delete;
  OwnRowUpdate& operator=(const OwnRowUpdate&) = delete;
};

bool own_row_update_in_progress();
// From the (sub)transaction abort callback: a statement that errored has ended.
void forget_own_row_update();

}  // namespace mc::intake
