#include "gateway/problem.hpp"

#include "gateway/http_answer.hpp"

#include <nlohmann/json.hpp>

#include <regex>

namespace mcgw {
namespace {}  // namespace

int http_status_of_sqlstate(const std::string& s) {
  std::string cls = s.substr(0, 2);
  if (s == "42501") return 403;  // insufficient_privilege: the token's role may not
  if (s == "23505") return 409;  // unique_violation
  if (s == "57014") return 504;  // statement timeout
  if (s == "53300") return 503;  // no connection free
  if (cls == "22" || cls == "23" || cls == "42" || cls == "54") return 422;
  if (cls == "08" || cls == "53" || cls == "57") return 503;
  return 500;
}

Problem problem_of(const DbError& e) {
  Problem p{http_status_of_sqlstate(e.sqlstate), e.message, e.sqlstate, std::nullopt, std::nullopt};
  if (!e.detail.empty()) p.detail += ". " + e.detail;
  static const std::regex field_re(R"re(field "([^"]+)")re");
  static const std::regex index_re(R"(at index ([0-9]{1,9}))");
  std::smatch m;
  if (std::regex_search(e.message, m, field_re)) p.field = m[1].str();
  if (std::regex_search(e.message, m, index_re)) p.index = std::stoll(m[1].str());
  return p;
}

void send_problem(httplib::Response& res, const Problem& p) {
  nlohmann::json body = {{"type", "about:blank"},
                         {"title", http_reason_phrase(p.status)},
                         {"status", p.status},
                         {"detail", p.detail}};
  if (!p.sqlstate.empty()) body["sqlstate"] = p.sqlstate;
  if (p.field) body["field"] = *p.field;
  if (p.index) body["index"] = *p.index;
  res.status = p.status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/problem+json");
}

}  // namespace mcgw
