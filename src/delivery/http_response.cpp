#include "delivery/http_response.hpp"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace mc::delivery {

namespace {
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

bool ieq(const char* a, std::size_t n, const char* b) {
  return std::strlen(b) == n && strncasecmp(a, b, n) == 0;
}

std::string trim(const std::string& s, std::size_t from) {
  std::size_t b = from, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

// Calls f(token) for each comma-separated token of a header value, trimmed.
template <typename F>
void tokens(const std::string& v, F f) {
  std::size_t at = 0;
  while (at <= v.size()) {
    std::size_t comma = v.find(',', at);
    if (comma == std::string::npos) comma = v.size();
    std::size_t b = at, e = comma;
    while (b < e && (v[b] == ' ' || v[b] == '\t')) ++b;
    while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t')) --e;
    if (e > b) f(v.data() + b, e - b);
    at = comma + 1;
  }
}
}  // namespace

void HttpResponseReader::reset(bool head) {
  state_ = State::Incomplete;
  part_ = Part::StatusLine;
  head_ = head;
  started_ = false;
  error_.clear();
  pending_.clear();
  header_bytes_ = 0;
  status_ = 0;
  minor_ = 1;
  chunked_ = has_length_ = false;
  length_ = left_ = 0;
  conn_close_ = conn_keep_alive_ = keep_alive_ = false;
  retry_after_.clear();
  body_.clear();
}

void HttpResponseReader::fail(const char* why) {
  state_ = State::Error;
  error_ = why;
  keep_alive_ = false;
}

void HttpResponseReader::keep(const char* data, std::size_t n) {
  if (body_.size() < max_body_) body_.append(data, std::min(n, max_body_ - body_.size()));
}

// Takes bytes up to and including the next LF; true once a whole line is in *out (without its
// CRLF or LF).
bool HttpResponseReader::line(const char* data, std::size_t n, std::size_t* used,
                              std::string* out) {
  const void* nl = std::memchr(data, '\n', n);
  std::size_t take = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1 : n;
  *used = take;
  header_bytes_ += take;
  if (!nl) {
    pending_.append(data, take);
    return false;
  }
  if (pending_.empty()) {
    out->assign(data, take - 1);
  } else {
    pending_.append(data, take - 1);
    out->swap(pending_);
    pending_.clear();
  }
  if (!out->empty() && out->back() == '\r') out->pop_back();
  return true;
}

void HttpResponseReader::on_status_line(const std::string& l) {
  // HTTP/1.x SP 3DIGIT [SP reason]
  if (l.size() < 12 || l.compare(0, 7, "HTTP/1.") != 0 || l[7] < '0' || l[7] > '9' || l[8] != ' ' ||
      !std::isdigit(static_cast<unsigned char>(l[9])) ||
      !std::isdigit(static_cast<unsigned char>(l[10])) ||
      !std::isdigit(static_cast<unsigned char>(l[11])) || (l.size() > 12 && l[12] != ' ')) {
    fail("malformed status line");
    return;
  }
  minor_ = l[7] - '0';
  status_ = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
  if (status_ < 100) {
    fail("malformed status line");
    return;
  }
  // A new status line starts over (after an interim 1xx).
  chunked_ = has_length_ = false;
  length_ = 0;
  conn_close_ = conn_keep_alive_ = false;
  retry_after_.clear();
  part_ = Part::Headers;
}

void HttpResponseReader::on_header(const std::string& l) {
  if (l[0] == ' ' || l[0] == '\t') {  // obsolete line folding (RFC 9112 5.2): refused
    fail("folded header line");
    return;
  }
  std::size_t colon = l.find(':');
  if (colon == std::string::npos || colon == 0) {
    fail("malformed header line");
    return;
  }
  const char* name = l.data();
  std::size_t n = colon;
  if (name[n - 1] == ' ' || name[n - 1] == '\t') {
    fail("malformed header line");
    return;
  }
  if (ieq(name, n, "content-length")) {
    std::string v = trim(l, colon + 1);
    // Several fields or a list of equal values are accepted (RFC 9112 6.3 item 5).
    bool ok = !v.empty();
    std::uint64_t value = 0;
    bool first = true;
    tokens(v, [&](const char* t, std::size_t tn) {
      std::uint64_t x = 0;
      if (tn > 18) ok = false;
      for (std::size_t i = 0; i < tn && ok; ++i) {
        if (t[i] < '0' || t[i] > '9') ok = false;
        x = x * 10 + static_cast<std::uint64_t>(t[i] - '0');
      }
      if (!first && x != value) ok = false;
      value = x;
      first = false;
    });
    if (!ok || first || (has_length_ && value != length_)) {
      fail("malformed Content-Length");
      return;
    }
    has_length_ = true;
    length_ = value;
  } else if (ieq(name, n, "transfer-encoding")) {
    std::string v = trim(l, colon + 1);
    bool last_chunked = false;
    tokens(v, [&](const char* t, std::size_t tn) { last_chunked = ieq(t, tn, "chunked"); });
    chunked_ = last_chunked;
    if (!last_chunked) has_length_ = false, conn_close_ = true;  // runs to the end: no reuse
  } else if (ieq(name, n, "connection")) {
    tokens(trim(l, colon + 1), [&](const char* t, std::size_t tn) {
      if (ieq(t, tn, "close")) conn_close_ = true;
      if (ieq(t, tn, "keep-alive")) conn_keep_alive_ = true;
    });
  } else if (ieq(name, n, "retry-after")) {
    retry_after_ = trim(l, colon + 1);
  }
}

void HttpResponseReader::headers_done() {
  if (status_ < 200 && status_ != 101) {  // interim: the final answer follows
    part_ = Part::StatusLine;
    return;
  }
  bool framed = true;
  keep_alive_ = !conn_close_ && (minor_ >= 1 || conn_keep_alive_);
  if (head_ || status_ == 204 || status_ == 304 || status_ < 200) {
    state_ = State::Done;
    return;
  }
  if (chunked_) {
    part_ = Part::ChunkSize;
  } else if (has_length_) {
    left_ = length_;
    if (left_ == 0) {
      state_ = State::Done;
      return;
    }
    part_ = Part::Body;
  } else {
    framed = false;
    part_ = Part::ToEof;
  }
  if (!framed) keep_alive_ = false;
}

std::size_t HttpResponseReader::feed(const char* data, std::size_t n) {
  std::size_t at = 0;
  std::string l;
  if (n > 0) started_ = true;
  while (at < n && state_ == State::Incomplete) {
    switch (part_) {
      case Part::StatusLine:
      case Part::Headers:
      case Part::Trailers:
      case Part::ChunkSize:
      case Part::ChunkEnd: {
        std::size_t used = 0;
        bool whole = line(data + at, n - at, &used, &l);
        at += used;
        if (part_ != Part::ChunkSize && part_ != Part::ChunkEnd &&
            header_bytes_ > kMaxHeaderBytes) {
          fail("response header section too large");
          break;
        }
        if (!whole) {
          if (pending_.size() > 1024 && (part_ == Part::ChunkSize || part_ == Part::ChunkEnd))
            fail("malformed chunk");
          break;
        }
        if (part_ == Part::StatusLine) {
          if (l.empty()) break;  // tolerated empty lines before a status line
          on_status_line(l);
        } else if (part_ == Part::Headers) {
          if (l.empty())
            headers_done();
          else
            on_header(l);
        } else if (part_ == Part::Trailers) {
          if (l.empty()) state_ = State::Done;
        } else if (part_ == Part::ChunkEnd) {
          if (!l.empty())
            fail("malformed chunk");
          else
            part_ = Part::ChunkSize;
        } else {  // chunk size [; extensions]
          std::uint64_t size = 0;
          std::size_t i = 0, digits = 0;
          for (; i < l.size(); ++i) {
            char c = l[i];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0) break;
            if (++digits > 15) break;
            size = size * 16 + static_cast<std::uint64_t>(d);
          }
          std::size_t j = i;
          while (j < l.size() && (l[j] == ' ' || l[j] == '\t')) ++j;
          if (digits == 0 || digits > 15 || (j < l.size() && l[j] != ';')) {
            fail("malformed chunk");
            break;
          }
          if (size == 0) {
            part_ = Part::Trailers;
            header_bytes_ = 0;
          } else {
            left_ = size;
            part_ = Part::ChunkData;
          }
        }
        break;
      }
      case Part::Body:
      case Part::ChunkData: {
        std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(left_, n - at));
        keep(data + at, take);
        at += take;
        left_ -= take;
        if (left_ == 0) {
          if (part_ == Part::Body)
            state_ = State::Done;
          else
            part_ = Part::ChunkEnd;
        }
        break;
      }
      case Part::ToEof:
        keep(data + at, n - at);
        at = n;
        break;
    }
  }
  return at;
}

HttpResponseReader::State HttpResponseReader::finish_at_eof() {
  if (state_ != State::Incomplete) return state_;
  if (part_ == Part::ToEof) {
    state_ = State::Done;
    keep_alive_ = false;
  } else {
    fail(started_ ? "connection closed before the end of the response"
                  : "connection closed before any response");
  }
  return state_;
}

}  // namespace mc::delivery
