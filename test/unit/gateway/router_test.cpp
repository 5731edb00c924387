// Routing (router.hpp): whole-path regex matches in order, HEAD finding GET's routes, captures,
// and the Request built from a parsed one (path decoded, query parameters, fields).
#include "gateway/router.hpp"

#include <gtest/gtest.h>

namespace {

mcgw::HttpRequest parsed(const std::string& method, const std::string& target) {
  mcgw::HttpRequest r;
  r.head.method = method;
  r.head.target = target;
  r.head.fields = {{"X-Session-Token", "tok"}, {"content-type", "text/xml"}};
  r.body = "body";
  return r;
}

}  // namespace

TEST(Router, FindsByMethodAndWholePath) {
  mcgw::Router router;
  router.Get(R"(/+r/test)", [](const httplib::Request&, httplib::Response&) {});
  router.Post(R"(/+u/([0-9A-Za-z._-]{1,200}))", [](const httplib::Request&, httplib::Response&) {});
  router.PostOnLoop(R"(/+api/v1/events/(rt|batch))",
                    [](const httplib::Request&, httplib::Response&, mcgw::Deferral&) {});

  mcgw::HttpRequest in = parsed("POST", "/api/v1/events/rt?x=1");
  httplib::Request req = mcgw::to_httplib(in, "127.0.0.1", 5000);
  const mcgw::Router::Route* r = router.find(req);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->on_loop);
  EXPECT_EQ(req.matches[1], "rt");

  in = parsed("GET", "/api/v1/events/rt");
  req = mcgw::to_httplib(in, "127.0.0.1", 5000);
  EXPECT_EQ(router.find(req), nullptr);  // no GET route there

  in = parsed("HEAD", "//r/test");
  req = mcgw::to_httplib(in, "127.0.0.1", 5000);
  r = router.find(req);
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(r->on_loop);

  in = parsed("GET", "/r/test/more");
  req = mcgw::to_httplib(in, "127.0.0.1", 5000);
  EXPECT_EQ(router.find(req), nullptr);  // matched whole, not as a prefix

  in = parsed("POST", "/u/abc.DEF-1_2");
  req = mcgw::to_httplib(in, "127.0.0.1", 5000);
  r = router.find(req);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(req.matches[1], "abc.DEF-1_2");
}

TEST(Router, RequestFromParsed) {
  mcgw::HttpRequest in =
      parsed("POST", "/nl/jsp/soap%72outer.jsp?soapAction=nms%3ArtEvent%23PushEvent");
  httplib::Request req = mcgw::to_httplib(in, "10.0.0.1", 4242);
  EXPECT_EQ(req.path, "/nl/jsp/soaprouter.jsp");
  EXPECT_EQ(req.get_param_value("soapAction"), "nms:rtEvent#PushEvent");
  EXPECT_EQ(req.get_header_value("x-session-token"), "tok");
  EXPECT_EQ(req.get_header_value("Content-Type"), "text/xml");
  EXPECT_EQ(req.body, "body");
  EXPECT_EQ(req.remote_addr, "10.0.0.1");
  EXPECT_EQ(req.remote_port, 4242);
  EXPECT_EQ(req.version, "HTTP/1.1");
}

TEST(Router, DeferralStates) {
  int answered = 0;
  mcgw::Deferral d([&](httplib::Response& res) { answered = res.status; }, false);
  EXPECT_FALSE(d.may_block());
  EXPECT_FALSE(d.deferred());
  mcgw::Deferral::Finish f = d.defer();
  EXPECT_TRUE(d.deferred());
  d.undefer();
  EXPECT_FALSE(d.deferred());
  d.to_worker();
  EXPECT_TRUE(d.wants_worker());
  httplib::Response res;
  res.status = 201;
  f(res);
  EXPECT_EQ(answered, 201);
}
