// One HTTP/1.1 connection's protocol state, without its socket (http_server.* does the I/O):
// the bytes received are cut into requests (keep-alive, pipelined requests answered in order,
// Content-Length bodies), refused by their head before a body is read (http_request_parser.hpp),
// and the answers queued are kept until they are sent.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "gateway/http_request_parser.hpp"

namespace mcgw {

struct HttpRequest {
  RequestHead head;
  std::string body;
};

class HttpConnection {
 public:
  explicit HttpConnection(const HttpLimits& limits) : limits_(limits) {}

  // Bytes read from the peer. Ignored once the connection is closing (after a refusal or an
  // answer with "Connection: close"): they are drained, never parsed.
  void received(std::string_view bytes);
  // The peer closed its side: what is complete is still answered, the rest is dropped.
  void peer_closed() { peer_closed_ = true; }

  enum class Step {
    kNeedMore,  // wait for more bytes (send_continue() may say a 100 Continue is due first)
    kRequest,   // *req is the next complete request, consumed
    kRefused,   // *refusal: answer it and close; nothing more is read
    kDone,      // nothing more will come: close once the output is sent
  };
  Step next(HttpRequest* req, HeadResult* refusal);

  // True once per request whose head asked for "Expect: 100-continue" and whose body has not
  // all arrived: the interim answer is due.
  bool send_continue();

  // An answer for the request last returned, in order. keep_alive false: the connection ends
  // after it (no later request is read).
  void queue(std::string_view bytes, bool keep_alive);
  void queue_interim(std::string_view bytes) { out_.append(bytes); }

  // What is queued and not sent yet; sent(n) after n bytes of it went out.
  std::string_view pending() const { return std::string_view(out_).substr(out_sent_); }
  void sent(std::size_t n);

  // The head of the request being received, as far as it was parsed (a refusal's method and
  // target, when its request line was read).
  const RequestHead& partial_head() const { return head_; }

  bool closing() const { return closing_; }  // no more requests will be read
  bool mid_request() const;                  // part of a request has arrived
  bool peer_gone() const { return peer_closed_; }

 private:
  void consume(std::size_t n);

  HttpLimits limits_;
  std::string in_;
  std::size_t in_pos_ = 0;  // bytes of in_ already consumed
  bool have_head_ = false;  // head_ parsed from in_ at in_pos_
  RequestHead head_;
  bool continue_sent_ = false;
  bool closing_ = false;
  bool peer_closed_ = false;
  std::string out_;
  std::size_t out_sent_ = 0;
};

}  // namespace mcgw
