// An error reported by PostgreSQL (or by the gateway about the database), kept with its
// SQLSTATE so that every answer can carry it unchanged.
#pragma once

#include <stdexcept>
#include <string>

namespace mcgw {

struct DbError : std::runtime_error {
  DbError(std::string state, std::string msg, std::string det)
      : std::runtime_error(msg),
        sqlstate(std::move(state)),
        message(std::move(msg)),
        detail(std::move(det)) {}
  std::string sqlstate;
  std::string message;
  std::string detail;
};

// A missing, unknown or revoked API token: 401, and nothing was written.
struct AuthError : std::runtime_error {
  explicit AuthError(const std::string& why) : std::runtime_error(why) {}
};

}  // namespace mcgw
