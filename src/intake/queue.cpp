#include "intake/queue.hpp"

namespace mc::intake {

std::optional<Queue> parse_queue(std::string_view name) {
  if (name == "rt") return Queue::Rt;
  if (name == "batch") return Queue::Batch;
  return std::nullopt;
}

const char* table_of(Queue queue) { return queue == Queue::Rt ? "rt_event" : "batch_event"; }

}  // namespace mc::intake
