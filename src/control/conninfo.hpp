// Splits a libpq connection string into what postgres_fdw wants on the foreign server and
// what belongs in the user mapping (credentials), so credentials are never written to a
// table: pg_user_mappings shows them only to the mapped user and superusers.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mc::control {

using Options = std::vector<std::pair<std::string, std::string>>;

struct SplitConninfo {
  Options server;        // host, port, dbname, sslmode, ...
  Options user_mapping;  // user, password, sslcert, sslkey
};

// Parses with libpq itself (key=value or URI), so it accepts exactly what a client would.
// Throws std::invalid_argument with libpq's message on a malformed string.
SplitConninfo split_conninfo(const std::string& conninfo);

}  // namespace mc::control
