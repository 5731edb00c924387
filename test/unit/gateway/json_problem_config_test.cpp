// JSON depth scan, problem+json fields from the extension's messages, command line.
#include <gtest/gtest.h>

#include "gateway/config.hpp"
#include "gateway/json_depth.hpp"
#include "gateway/problem.hpp"

namespace {

TEST(JsonDepth, CountsOutsideStrings) {
  EXPECT_EQ(mcgw::json_depth("{}"), 1);
  EXPECT_EQ(mcgw::json_depth("[{\"a\":[1]}]"), 3);
  EXPECT_EQ(mcgw::json_depth("{\"a\":\"[[[[\\\"{{\"}"), 1);
  EXPECT_EQ(mcgw::json_depth("42"), 0);
}

TEST(Problem, FieldAndIndexFromTheExtensionsMessages) {
  mcgw::Problem p = mcgw::problem_of(mcgw::DbError(
      "22P02", "invalid event at index 2: field \"email\" is not a valid email address", ""));
  EXPECT_EQ(p.status, 422);
  EXPECT_EQ(p.field, "email");
  EXPECT_EQ(p.index, 2);
  mcgw::Problem q =
      mcgw::problem_of(mcgw::DbError("42501", "permission denied for function push_event", ""));
  EXPECT_EQ(q.status, 403);
  EXPECT_FALSE(q.field);
  EXPECT_FALSE(q.index);
}

TEST(Problem, StatusOfSqlstate) {
  EXPECT_EQ(mcgw::http_status_of_sqlstate("23502"), 422);
  EXPECT_EQ(mcgw::http_status_of_sqlstate("23505"), 409);
  EXPECT_EQ(mcgw::http_status_of_sqlstate("08006"), 503);
  EXPECT_EQ(mcgw::http_status_of_sqlstate("57014"), 504);
  EXPECT_EQ(mcgw::http_status_of_sqlstate("XX000"), 500);
}

TEST(Config, ListenAndLimits) {
  const char* argv[] = {"mc-gateway", "--listen",         "[::1]:9000", "--conninfo",
                        "dbname=x",   "--max-body-bytes", "2048"};
  auto c = mcgw::parse_args(7, const_cast<char**>(argv));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 9000);
  EXPECT_EQ(c->max_body_bytes, 2048u);
  const char* bad[] = {"mc-gateway", "--listen", "nohost", "--conninfo", "x"};
  EXPECT_FALSE(mcgw::parse_args(5, const_cast<char**>(bad)));
  const char* missing[] = {"mc-gateway", "--listen", "127.0.0.1:1"};
  EXPECT_FALSE(mcgw::parse_args(3, const_cast<char**>(missing)));
}

}  // namespace
