// The two event queues and their tables.
#pragma once

#include <optional>
#include <string_view>

namespace mc::intake {

enum class Queue { Rt, Batch };

std::optional<Queue> parse_queue(std::string_view name);
// Unqualified table name in schema mc.
const char* table_of(Queue queue);

}  // namespace mc::intake
