// RFC 9457 problem details (application/problem+json), with the SQLSTATE and the field the
// database named, so that a client can point at the bad input.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>

#include "gateway/db_error.hpp"

namespace mcgw {

struct Problem {
  int status;
  std::string detail;
  std::string sqlstate;              // "" when the gateway refused it itself
  std::optional<std::string> field;  // the event field, e.g. "email"
  std::optional<long long> index;    // the event's index in an array push
};

void send_problem(httplib::Response& res, const Problem& p);
// The extension's messages name the field as `field "email"` and the position as
// `event at index 2` (src/pg/sqlstate.cpp, src/intake/push_functions.cpp).
Problem problem_of(const DbError& e);
int http_status_of_sqlstate(const std::string& sqlstate);

}  // namespace mcgw
