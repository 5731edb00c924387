// One connection's protocol state (http_connection.hpp): requests cut from bytes however they
// arrive, pipelined requests in order, refusals before the body, answers kept until sent.
#include "gateway/http_connection.hpp"

#include <gtest/gtest.h>

#include <string>

using mcgw::HeadResult;
using mcgw::HttpConnection;
using mcgw::HttpLimits;
using mcgw::HttpRequest;
using Step = HttpConnection::Step;

TEST(HttpConnection, OneRequestInPieces) {
  HttpConnection c(HttpLimits{});
  std::string text = "POST /a HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world";
  HttpRequest req;
  HeadResult refusal;
  for (char ch : text) {
    EXPECT_EQ(c.next(&req, &refusal), Step::kNeedMore);
    c.received(std::string_view(&ch, 1));
    if (&ch != &text.back()) {
      EXPECT_TRUE(c.mid_request());
    }
  }
  ASSERT_EQ(c.next(&req, &refusal), Step::kRequest);
  EXPECT_EQ(req.head.target, "/a");
  EXPECT_EQ(req.body, "hello world");
  EXPECT_FALSE(c.mid_request());
  EXPECT_EQ(c.next(&req, &refusal), Step::kNeedMore);
}

TEST(HttpConnection, PipelinedRequestsInOrder) {
  HttpConnection c(HttpLimits{});
  c.received(
      "POST /1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /2 HTTP/1.1\r\n\r\n"
      "POST /3 HTTP/1.1\r\nContent-Length: 4\r\n\r\nxy");
  HttpRequest req;
  HeadResult refusal;
  ASSERT_EQ(c.next(&req, &refusal), Step::kRequest);
  EXPECT_EQ(req.head.target, "/1");
  EXPECT_EQ(req.body, "abc");
  c.queue("A1", true);
  ASSERT_EQ(c.next(&req, &refusal), Step::kRequest);
  EXPECT_EQ(req.head.target, "/2");
  EXPECT_EQ(req.body, "");
  c.queue("A2", true);
  EXPECT_EQ(c.next(&req, &refusal), Step::kNeedMore);  // /3's body is incomplete
  EXPECT_TRUE(c.mid_request());
  c.received("zw");
  ASSERT_EQ(c.next(&req, &refusal), Step::kRequest);
  EXPECT_EQ(req.head.target, "/3");
  EXPECT_EQ(req.body, "xyzw");
  c.queue("A3", true);
  EXPECT_EQ(c.pending(), "A1A2A3");  // sent together
  c.sent(3);
  EXPECT_EQ(c.pending(), "2A3");
  c.sent(3);
  EXPECT_EQ(c.pending(), "");
}

TEST(HttpConnection, OversizedBodyRefusedBeforeItIsRead) {
  HttpLimits limits;
  limits.max_body_bytes = 100;
  HttpConnection c(limits);
  c.received("POST /big HTTP/1.1\r\nContent-Length: 104857600\r\n\r\nxxxx");
  HttpRequest req;
  HeadResult refusal;
  ASSERT_EQ(c.next(&req, &refusal), Step::kRefused);
  EXPECT_EQ(refusal.status, 413);
  EXPECT_EQ(c.partial_head().target, "/big");
  EXPECT_TRUE(c.closing());
  c.queue("413", false);
  c.received(std::string(1 << 20, 'x'));  // drained, never kept
  EXPECT_FALSE(c.mid_request());
  EXPECT_EQ(c.next(&req, &refusal), Step::kDone);
  EXPECT_EQ(c.pending(), "413");
}

TEST(HttpConnection, ChunkedRefused) {
  HttpConnection c(HttpLimits{});
  c.received("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  HttpRequest req;
  HeadResult refusal;
  ASSERT_EQ(c.next(&req, &refusal), Step::kRefused);
  EXPECT_EQ(refusal.status, 411);
}

TEST(HttpConnection, MalformedAfterAGoodOne) {
  HttpConnection c(HttpLimits{});
  c.received("GET /ok HTTP/1.1\r\n\r\nBROKEN\r\n\r\n");
  HttpRequest req;
  HeadResult refusal;
  ASSERT_EQ(c.next(&req, &refusal), Step::kRequest);
  c.queue("ok", true);
  ASSERT_EQ(c.next(&req, &refusal), Step::kRefused);
  EXPECT_EQ(refusal.status, 400);
}

TEST(HttpConnection, HeadTooLargeWhileArriving) {
  HttpLimits limits;
  limits.max_head_bytes = 1024;
  HttpConnection c(limits);
  HttpRequest req;
  HeadResult refusal;
  c.received("GET / HTTP/1.1\r\n");
  for (int i = 0; i < 100; ++i) {
    c.received("X-Filler: 0123456789\r\n");
    Step s = c.next(&req, &refusal);
    if (s == Step::kRefused) {
      EXPECT_EQ(refusal.status, 431);
      EXPECT_GT(i, 30);
      return;
    }
    ASSERT_EQ(s, Step::kNeedMore);
  }
  FAIL() << "never refused";
}

TEST(HttpConnection, CloseAfterAnswerStopsReading) {
  HttpConnection c(HttpLimits{});
  c.received("GET /1 HTTP/1.1\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
  HttpRequest req;
  HeadResult refusal;
  ASSERT_EQ(c.next(&req, &refusal), Step::kRequest);
  EXPECT_FALSE(req.head.keep_alive);
  c.queue("bye", false);
  EXPECT_EQ(c.next(&req, &refusal), Step::kDone);  // /2 is never answered
}

TEST(HttpConnection, PeerClosedMidRequest) {
  HttpConnection c(HttpLimits{});
  c.received("GET /1 HTTP/1.1\r\n\r\nGET /2 HTT");
  c.peer_closed();
  HttpRequest req;
  HeadResult refusal;
  ASSERT_EQ(c.next(&req, &refusal), Step::kRequest);  // what is complete is still answered
  EXPECT_EQ(c.next(&req, &refusal), Step::kDone);
}

TEST(HttpConnection, ExpectContinueOncePerRequest) {
  HttpConnection c(HttpLimits{});
  HttpRequest req;
  HeadResult refusal;
  c.received("POST / HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_FALSE(c.send_continue());  // the head is not parsed yet
  ASSERT_EQ(c.next(&req, &refusal), Step::kNeedMore);
  EXPECT_TRUE(c.send_continue());
  EXPECT_FALSE(c.send_continue());
  c.received("da");
  ASSERT_EQ(c.next(&req, &refusal), Step::kNeedMore);
  EXPECT_FALSE(c.send_continue());
  c.received("ta");
  ASSERT_EQ(c.next(&req, &refusal), Step::kRequest);
  EXPECT_EQ(req.body, "data");
}
