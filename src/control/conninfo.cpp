#include "control/conninfo.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace mc::control {

namespace {

// postgres_fdw takes these on the user mapping, not on the server. They are the secrets of a
// connection: a server's options are readable by every role (pg_foreign_server), a user
// mapping's only by its user and superusers, and a server option postgres_fdw refuses would
// echo the value into the error's context. sslpassword (the key's passphrase) is one too.
constexpr std::array<std::string_view, 5> kUserMappingKeys = {"user", "password", "sslcert",
                                                              "sslkey", "sslpassword"};

struct ConninfoFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

}  // namespace

SplitConninfo split_conninfo(const std::string& conninfo) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoFree> options(
      PQconninfoParse(conninfo.c_str(), &error));
  if (!options) {
    std::string message = error ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw std::invalid_argument(message);
  }
  SplitConninfo split;
  for (PQconninfoOption* option = options.get(); option->keyword; ++option) {
    if (!option->val) continue;
    bool credential = std::find(kUserMappingKeys.begin(), kUserMappingKeys.end(),
                                option->keyword) != kUserMappingKeys.end();
    (credential ? split.user_mapping : split.server).emplace_back(option->keyword, option->val);
  }
  return split;
}

}  // namespace mc::control
