#include "gateway/context.hpp"
#include "gateway/soap_request.hpp"

namespace mcgw {

std::string request_token(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  if (auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0))
    return auth.substr(7);
  std::string header = req.get_header_value("X-Session-Token");
  if (!header.empty()) return header;
  return cookie_token(req.get_header_value("Cookie"));
}

}  // namespace mcgw
