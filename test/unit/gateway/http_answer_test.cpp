// Answers as bytes (http_answer.hpp).
#include "gateway/http_answer.hpp"

#include <gtest/gtest.h>

TEST(HttpAnswer, KeepAliveAnswer) {
  std::string out;
  mcgw::begin_answer(out, 201);
  mcgw::add_field(out, "Content-Type", "application/json");
  mcgw::end_answer(out, "{}", true, 1, false);
  EXPECT_EQ(
      out, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
}

TEST(HttpAnswer, CloseHeadAndHttp10) {
  std::string out;
  mcgw::begin_answer(out, 413);
  mcgw::end_answer(out, "big", false, 1, false);
  EXPECT_EQ(out,
            "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbig");
  out.clear();
  mcgw::begin_answer(out, 200);
  mcgw::end_answer(out, "body", true, 0, true);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpAnswer, NoFieldInjection) {
  std::string out;
  mcgw::add_field(out, "Location", "/x\r\nSet-Cookie: a=b");
  EXPECT_EQ(out, "Location: /x  Set-Cookie: a=b\r\n");
}
