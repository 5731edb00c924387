// A sender worker's short transactions (src/sender/worker.cpp): begin, one or more statements
// (pg::Statement: prepared once, kept), their results read as text, commit; abort after an
// error. Every PostgreSQL call goes through pg::call, so an ERROR comes back as pg::PgError and
// the worker decides.
#pragma once

#include "pg/spi_statement.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mc::sender {

void begin_transaction(const char* activity);
void commit_transaction();
// After a PgError: logs `what` as a WARNING and aborts the transaction (if any).
void abort_transaction(const char* what);

// The text of `columns` in every row of `statement`'s last run (nullopt: NULL), in the order
// given. Between begin and commit.
using Row = std::vector<std::optional<std::string>>;
std::vector<Row> rows_as_text(const pg::Statement& statement,
                              const std::vector<pg::Statement::Column>& columns);
// `column` of the first row as text; nullopt: NULL, or no row.
std::optional<std::string> first_text(const pg::Statement& statement, pg::Statement::Column column);

}  // namespace mc::sender
