// The native HTTP client's PG-free parts: the response reader (status lines, framing by
// Content-Length, chunked and end of connection, keep-alive, interim 1xx, pieces of any size)
// and the request bytes it sends.
#include "delivery/delivery_error.hpp"
#include "delivery/http_pipeline.hpp"
#include "delivery/http_response.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace mc::delivery;
using State = HttpResponseReader::State;

namespace {
// Feeds `bytes` in pieces of `piece` bytes; returns the bytes used.
std::size_t feed(HttpResponseReader& r, const std::string& bytes, std::size_t piece) {
  std::size_t at = 0;
  while (at < bytes.size() && r.state() == State::Incomplete) {
    std::size_t n = std::min(piece, bytes.size() - at);
    at += r.feed(bytes.data() + at, n);
  }
  return at;
}

HttpResponseReader read_all(const std::string& bytes, std::size_t piece = 1 << 20,
                            bool head = false) {
  HttpResponseReader r;
  r.reset(head);
  feed(r, bytes, piece);
  return r;
}
}  // namespace

TEST(HttpResponseReader, ContentLengthInEveryPieceSize) {
  const std::string resp =
      "HTTP/1.1 200 OK\r\nServer: t\r\nContent-Length: 16\r\n\r\n{\"id\":\"sink-ok\"}";
  for (std::size_t piece : {1u, 2u, 3u, 7u, 16u, 1000u}) {
    HttpResponseReader r = read_all(resp, piece);
    ASSERT_EQ(r.state(), State::Done) << piece;
    EXPECT_EQ(r.status(), 200);
    EXPECT_EQ(r.body(), "{\"id\":\"sink-ok\"}");
    EXPECT_TRUE(r.keep_alive());
  }
}

TEST(HttpResponseReader, StopsAtTheEndOfTheResponse) {
  const std::string one = "HTTP/1.1 204 No Content\r\n\r\n";
  const std::string two = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::string both = one + two;
  HttpResponseReader r;
  r.reset();
  std::size_t used = r.feed(both.data(), both.size());
  EXPECT_EQ(used, one.size());
  ASSERT_EQ(r.state(), State::Done);
  EXPECT_EQ(r.status(), 204);
  EXPECT_EQ(r.body(), "");
  r.reset();
  EXPECT_EQ(r.feed(both.data() + used, both.size() - used), two.size());
  ASSERT_EQ(r.state(), State::Done);
  EXPECT_EQ(r.body(), "ok");
}

TEST(HttpResponseReader, StatusLines) {
  EXPECT_EQ(read_all("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").status(), 404);
  EXPECT_EQ(read_all("HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n").status(), 503);      // no reason
  EXPECT_EQ(read_all("HTTP/1.0 200 OK\nContent-Length: 0\n\n").state(), State::Done);  // bare LF
  for (const char* bad :
       {"HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n", "HTTP/1.1 abc\r\n\r\n", "HTTP/1.1 099 x\r\n\r\n"}) {
    HttpResponseReader r = read_all(bad);
    EXPECT_EQ(r.state(), State::Error) << bad;
    EXPECT_FALSE(r.keep_alive());
  }
}

TEST(HttpResponseReader, Chunked) {
  const std::string resp =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n";
  for (std::size_t piece : {1u, 4u, 1000u}) {
    HttpResponseReader r = read_all(resp, piece);
    ASSERT_EQ(r.state(), State::Done) << piece;
    EXPECT_EQ(r.body(), "hello 0123456789");
    EXPECT_TRUE(r.keep_alive());
  }
  // Chunked wins over Content-Length.
  HttpResponseReader r = read_all(
      "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "2\r\nok\r\n0\r\n\r\n");
  ASSERT_EQ(r.state(), State::Done);
  EXPECT_EQ(r.body(), "ok");
  EXPECT_EQ(read_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").state(),
            State::Error);
  EXPECT_EQ(read_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n").state(),
            State::Error);  // no CRLF after the chunk data
}

TEST(HttpResponseReader, KeepAliveAndConnectionClose) {
  EXPECT_TRUE(read_all("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive());
  EXPECT_FALSE(
      read_all("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keep_alive());
  EXPECT_FALSE(
      read_all("HTTP/1.1 200 OK\r\nconnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n")
          .keep_alive());
  EXPECT_FALSE(read_all("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive());
  EXPECT_TRUE(read_all("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
                  .keep_alive());
}

TEST(HttpResponseReader, BodyToTheEndOfTheConnection) {
  HttpResponseReader r = read_all("HTTP/1.1 200 OK\r\n\r\npartial body", 5);
  EXPECT_EQ(r.state(), State::Incomplete);
  EXPECT_EQ(r.finish_at_eof(), State::Done);
  EXPECT_EQ(r.body(), "partial body");
  EXPECT_FALSE(r.keep_alive());
  // A framed body cut short, or nothing at all, is an error.
  HttpResponseReader cut = read_all("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(cut.finish_at_eof(), State::Error);
  EXPECT_TRUE(cut.started());
  HttpResponseReader none;
  none.reset();
  EXPECT_FALSE(none.started());
  EXPECT_EQ(none.finish_at_eof(), State::Error);
}

TEST(HttpResponseReader, InterimResponsesSkipped) {
  HttpResponseReader r = read_all(
      "HTTP/1.1 100 Continue\r\nRetry-After: 99\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 2\r\n\r\nno",
      3);
  ASSERT_EQ(r.state(), State::Done);
  EXPECT_EQ(r.status(), 429);
  EXPECT_EQ(r.retry_after(), "3");
  EXPECT_EQ(r.body(), "no");
  // Retry-After of an interim answer does not carry over.
  HttpResponseReader s = read_all(
      "HTTP/1.1 100 Continue\r\nRetry-After: 99\r\n\r\nHTTP/1.1 503 x\r\nContent-Length: "
      "0\r\n\r\n");
  EXPECT_EQ(s.status(), 503);
  EXPECT_EQ(s.retry_after(), "");
}

TEST(HttpResponseReader, NoBodyForHeadAnd204And304) {
  EXPECT_EQ(read_all("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 1000, true).state(),
            State::Done);
  EXPECT_EQ(read_all("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n").state(),
            State::Done);
}

TEST(HttpResponseReader, RetryAfterAndBodyLimit) {
  HttpResponseReader r;
  r.reset();
  std::string big(100, 'x');
  std::string resp =
      "HTTP/1.1 503 Busy\r\nretry-after:  Wed, 21 Oct 2015 07:28:00 GMT \r\n"
      "Content-Length: 100\r\n\r\n" +
      big;
  HttpResponseReader small(10);
  small.reset();
  EXPECT_EQ(small.feed(resp.data(), resp.size()), resp.size());
  ASSERT_EQ(small.state(), State::Done);
  EXPECT_EQ(small.retry_after(), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(small.body(), std::string(10, 'x'));  // the rest read and dropped
}

TEST(HttpResponseReader, MalformedHeadersAndLengths) {
  for (const char* bad :
       {"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nName : v\r\n\r\n", "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n"}) {
    EXPECT_EQ(read_all(bad).state(), State::Error) << bad;
  }
  HttpResponseReader same = read_all("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok");
  EXPECT_EQ(same.state(), State::Done);
  EXPECT_EQ(same.body(), "ok");
  // A header section without end is refused past 64 KiB.
  std::string endless = "HTTP/1.1 200 OK\r\n";
  while (endless.size() < 70 * 1024)
    endless += "X-Pad: 0123456789012345678901234567890123456789\r\n";
  EXPECT_EQ(read_all(endless, 4096).state(), State::Error);
}

TEST(HttpRequestBytes, AsLibcurlSendsThem) {
  HttpJob job;
  job.method = "POST";
  job.url = "http://127.0.0.1:8088/hook?a=1";
  job.headers = {{"Content-Type", "application/json"}, {"X-MC-Event-Id", "7"}, {"X-Empty", ""}};
  job.body = "{\"n\":1}";
  ParsedUrl u = parse_url(job.url, "url");
  EXPECT_EQ(build_http_request(job, u),
            "POST /hook?a=1 HTTP/1.1\r\nHost: 127.0.0.1:8088\r\nAccept: */*\r\n"
            "Content-Type: application/json\r\nX-MC-Event-Id: 7\r\nContent-Length: 7\r\n\r\n"
            "{\"n\":1}");
  // No Content-Type given: libcurl's default for a POST body; port 80 not shown; IPv6 bracketed.
  HttpJob plain;
  plain.method = "PUT";
  plain.body = "a=b";
  EXPECT_EQ(build_http_request(plain, parse_url("http://[::1]:80/", "url")),
            "PUT / HTTP/1.1\r\nHost: [::1]\r\nAccept: */*\r\nContent-Length: 3\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\na=b");
  // GET: no body; an empty Accept removes the default.
  HttpJob get;
  get.method = "GET";
  get.body = "ignored";
  get.headers = {{"Accept", ""}};
  EXPECT_EQ(build_http_request(get, parse_url("http://localhost:81", "url")),
            "GET / HTTP/1.1\r\nHost: localhost:81\r\n\r\n");
  HttpJob bad;
  bad.headers = {{"X-A", "1\r\nX-Injected: 2"}};
  EXPECT_THROW(build_http_request(bad, u), DeliveryError);
}

TEST(HttpRequestBytes, WhichRequestsTheNativeClientTakes) {
  HttpJob j;
  EXPECT_TRUE(HttpPipeline::usable(j, parse_url("http://127.0.0.1:8088/x", "url")));
  EXPECT_TRUE(HttpPipeline::usable(j, parse_url("http://[::1]:8088/x", "url")));
  EXPECT_TRUE(HttpPipeline::usable(j, parse_url("http://localhost/x", "url")));
  EXPECT_FALSE(HttpPipeline::usable(j, parse_url("https://127.0.0.1/x", "url")));
  EXPECT_FALSE(HttpPipeline::usable(j, parse_url("http://example.test/x", "url")));
  j.headers = {{"Expect", "100-continue"}};
  EXPECT_FALSE(HttpPipeline::usable(j, parse_url("http://127.0.0.1/x", "url")));
}
