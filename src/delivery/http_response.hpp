// An incremental HTTP/1.x response reader for the native HTTP client (http_pipeline.hpp): bytes
// go in as they arrive, in pieces of any size; out come the final status, Retry-After, whether
// the connection stays open, and the body (kept up to a limit, the rest read and dropped).
//
// Framing (RFC 9112 section 6.3): no body for 1xx, 204, 304 and answers to HEAD; else chunked
// when Transfer-Encoding's last coding is `chunked` (chunk extensions and trailers skipped);
// else Content-Length (several equal values accepted, differing ones are an error); else the
// body runs to the end of the connection (finish_at_eof()). Interim 1xx answers (100 Continue,
// 103 Early Hints) are skipped: their headers do not count (a new status line starts over, as
// libcurl does). Keep-alive: HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
// `Connection: keep-alive` and a framed body. Line ends CRLF or a bare LF. A malformed status
// line, header, chunk size or length, or a header section over 64 KiB is an error: the
// connection is not reusable and the request's outcome is a transport error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mc::delivery {

class HttpResponseReader {
 public:
  enum class State { Incomplete, Done, Error };

  explicit HttpResponseReader(std::size_t max_body = 64 * 1024) : max_body_(max_body) {}

  // Starts a new response; `head`: the request was HEAD (no body whatever the headers say).
  void reset(bool head = false);
  // Reads from `data` up to the end of the response; returns how many bytes it used (less than
  // `n` only once the response is complete or broken: the rest belongs to what follows).
  std::size_t feed(const char* data, std::size_t n);
  // The connection ended: completes a body that runs to the end of the connection; anything
  // else incomplete becomes an error. Returns the state.
  State finish_at_eof();

  State state() const { return state_; }
  bool started() const { return started_; }  // any byte of the response received
  const std::string& error() const { return error_; }
  int status() const { return status_; }
  const std::string& retry_after() const { return retry_after_; }
  const std::string& body() const { return body_; }
  std::string take_body() { return std::move(body_); }
  // After Done: whether the connection may carry another request.
  bool keep_alive() const { return keep_alive_; }

 private:
  enum class Part { StatusLine, Headers, Body, ChunkSize, ChunkData, ChunkEnd, Trailers, ToEof };
  bool line(const char* data, std::size_t n, std::size_t* used, std::string* out);
  void on_status_line(const std::string& l);
  void on_header(const std::string& l);
  void headers_done();
  void fail(const char* why);
  void keep(const char* data, std::size_t n);

  std::size_t max_body_;
  State state_ = State::Incomplete;
  Part part_ = Part::StatusLine;
  bool head_ = false;
  bool started_ = false;
  std::string error_;
  std::string pending_;  // a line not complete yet
  std::size_t header_bytes_ = 0;
  int status_ = 0;
  int minor_ = 1;
  bool chunked_ = false;
  bool has_length_ = false;
  std::uint64_t length_ = 0;
  std::uint64_t left_ = 0;
  bool conn_close_ = false;
  bool conn_keep_alive_ = false;
  bool keep_alive_ = false;
  std::string retry_after_;
  std::string body_;
};

}  // namespace mc::delivery
