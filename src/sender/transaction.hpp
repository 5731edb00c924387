// A sender worker's short transactions (src/sender/worker.cpp): begin, one or more SQL calls
// with text parameters returning one text value, commit; abort after an error. Every PostgreSQL
// call goes through pg::call, so an ERROR comes back as pg::PgError and the worker decides.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mc::sender {

void begin_transaction(const char* activity);
void commit_transaction();
// After a PgError: logs `what` as a WARNING and aborts the transaction (if any).
void abort_transaction(const char* what);

// Runs `sql` with text parameters ($1..$n, NULL for nullopt) and returns the first column of
// the first row as text (nullopt: NULL or no row). Between begin and commit. `sql` is a string
// literal: its plan is prepared once and kept for the worker's life under that address.
std::optional<std::string> query_text(const char* sql,
                                      const std::vector<std::optional<std::string>>& params);

// Every row and column as text (nullopt: NULL).
using Row = std::vector<std::optional<std::string>>;
std::vector<Row> query_rows(const char* sql, const std::vector<std::optional<std::string>>& params);

}  // namespace mc::sender
