// The request-head parser (http_request_parser.hpp): what it accepts, and every refusal with
// its status, before any body is read.
#include "gateway/http_request_parser.hpp"

#include <gtest/gtest.h>

#include <string>

using mcgw::HeadResult;
using mcgw::HttpLimits;
using mcgw::parse_request_head;
using mcgw::RequestHead;

namespace {

HeadResult parse(const std::string& text, RequestHead* head, HttpLimits limits = {}) {
  return parse_request_head(text, limits, head);
}

int refused(const std::string& text, HttpLimits limits = {}) {
  RequestHead head;
  HeadResult r = parse(text, &head, limits);
  return r.kind == HeadResult::kRefused ? r.status : 0;
}

}  // namespace

TEST(HttpRequestParser, SimpleGet) {
  RequestHead h;
  std::string text = "GET /r/test?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent:  curl/8 \r\n\r\nrest";
  HeadResult r = parse(text, &h);
  ASSERT_EQ(r.kind, HeadResult::kComplete);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/r/test?x=1");
  EXPECT_EQ(h.minor_version, 1);
  EXPECT_EQ(h.head_bytes, text.size() - 4);
  ASSERT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(mcgw::field_value(h, "user-agent"), "curl/8");
  EXPECT_TRUE(h.keep_alive);
  EXPECT_EQ(h.content_length, 0u);
}

TEST(HttpRequestParser, PostWithLengthAndBareLineFeeds) {
  RequestHead h;
  HeadResult r = parse("POST /api HTTP/1.1\nContent-Length: 5\nConnection: close\n\nhello", &h);
  ASSERT_EQ(r.kind, HeadResult::kComplete);
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_FALSE(h.keep_alive);
}

TEST(HttpRequestParser, Http10KeepAliveOnlyWhenAsked) {
  RequestHead h;
  ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", &h).kind, HeadResult::kComplete);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h).kind,
            HeadResult::kComplete);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nConnection: te, close\r\n\r\n", &h).kind,
            HeadResult::kComplete);
  EXPECT_FALSE(h.keep_alive);
}

TEST(HttpRequestParser, IncompleteUntilTheBlankLine) {
  RequestHead h;
  std::string text = "POST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\n";
  for (std::size_t n = 0; n < text.size(); ++n)
    EXPECT_EQ(parse(text.substr(0, n), &h).kind, HeadResult::kIncomplete) << n;
  EXPECT_EQ(parse(text, &h).kind, HeadResult::kComplete);
}

TEST(HttpRequestParser, LeadingEmptyLinesIgnored) {
  RequestHead h;
  ASSERT_EQ(parse("\r\n\r\nGET / HTTP/1.1\r\n\r\n", &h).kind, HeadResult::kComplete);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.head_bytes, 22u);
}

TEST(HttpRequestParser, ExpectContinue) {
  RequestHead h;
  ASSERT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n", &h).kind,
            HeadResult::kComplete);
  EXPECT_TRUE(h.expect_continue);
  ASSERT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n", &h).kind,
            HeadResult::kComplete);
  EXPECT_FALSE(h.expect_continue);  // nothing to wait for
}

TEST(HttpRequestParser, MalformedRequestLines) {
  EXPECT_EQ(refused("GET\r\n\r\n"), 400);
  EXPECT_EQ(refused("GET /\r\n\r\n"), 400);
  EXPECT_EQ(refused("GET  / HTTP/1.1\r\n\r\n"), 400);         // empty target
  EXPECT_EQ(refused("GET / HTTP/1.1 x\r\n\r\n"), 400);        // extra word
  EXPECT_EQ(refused("G(T / HTTP/1.1\r\n\r\n"), 400);          // not a token
  EXPECT_EQ(refused("GET http://a/ HTTP/1.1\r\n\r\n"), 400);  // not origin-form
  EXPECT_EQ(refused("GET /a\x01 HTTP/1.1\r\n\r\n"), 400);     // control character
  EXPECT_EQ(refused("GET / HTTX/1.1\r\n\r\n"), 400);
  EXPECT_EQ(refused("GET / HTTP/11\r\n\r\n"), 400);
  EXPECT_EQ(refused("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(refused("GET / HTTP/1.2\r\n\r\n"), 505);
  EXPECT_EQ(refused("GET / HTTP/1.1\rX: y\r\n\r\n"), 400);  // CR alone
  EXPECT_EQ(refused("\rGET / HTTP/1.1\r\n\r\n"), 400);
}

TEST(HttpRequestParser, MalformedFields) {
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nName : v\r\n\r\n"), 400);  // space before the colon
  EXPECT_EQ(refused("GET / HTTP/1.1\r\n: v\r\n\r\n"), 400);
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(refused(std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 26)), 400);
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nA: b\x1f\r\n\r\n"), 400);
}

TEST(HttpRequestParser, HeadLimits) {
  HttpLimits limits;
  limits.max_head_bytes = 64;
  limits.max_fields = 3;
  // Too large whether complete or still arriving (no blank line yet).
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n", limits), 431);
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nX: " + std::string(100, 'a'), limits), 431);
  EXPECT_EQ(refused(std::string(100, '\n'), limits), 431);
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), 0);
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits), 431);
}

TEST(HttpRequestParser, BodyLengthRefusals) {
  HttpLimits limits;
  limits.max_body_bytes = 1000;
  EXPECT_EQ(refused("POST / HTTP/1.1\r\n\r\n", limits), 411);
  EXPECT_EQ(refused("PUT / HTTP/1.1\r\n\r\n", limits), 411);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", limits), 411);
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", limits), 411);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", limits), 413);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nContent-Length: 104857600\r\n\r\n", limits), 413);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", limits),
            413);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n", limits), 0);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nContent-Length: 00012\r\n\r\n", limits), 0);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", limits), 400);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", limits), 400);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", limits), 400);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", limits),
            400);
  EXPECT_EQ(refused("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", limits),
            0);
}

TEST(HttpRequestParser, RefusalKeepsTheRequestLine) {
  RequestHead h;
  HeadResult r = parse("POST /api/v1/events/rt HTTP/1.1\r\nContent-Length: 9999999\r\n\r\n", &h);
  ASSERT_EQ(r.kind, HeadResult::kRefused);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "/api/v1/events/rt");
  EXPECT_NE(r.reason.find("1048576"), std::string::npos);
}
