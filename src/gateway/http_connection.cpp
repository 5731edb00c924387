#include "gateway/http_connection.hpp"

namespace mcgw {

void HttpConnection::received(std::string_view bytes) {
  if (closing_) return;  // drained
  if (in_pos_ > 0 && in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  }
  in_.append(bytes);
}

void HttpConnection::consume(std::size_t n) {
  in_pos_ += n;
  if (in_pos_ >= in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > 65536 && in_pos_ * 2 > in_.size()) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
}

HttpConnection::Step HttpConnection::next(HttpRequest* req, HeadResult* refusal) {
  if (closing_) return Step::kDone;
  std::string_view buf = std::string_view(in_).substr(in_pos_);
  if (!have_head_) {
    HeadResult r = parse_request_head(buf, limits_, &head_);
    if (r.kind == HeadResult::kRefused) {
      closing_ = true;
      in_.clear();
      in_pos_ = 0;
      *refusal = std::move(r);
      return Step::kRefused;
    }
    if (r.kind == HeadResult::kIncomplete) return peer_closed_ ? Step::kDone : Step::kNeedMore;
    have_head_ = true;
    continue_sent_ = false;
  }
  std::size_t total = head_.head_bytes + head_.content_length;
  if (buf.size() < total) return peer_closed_ ? Step::kDone : Step::kNeedMore;
  req->body.assign(buf.substr(head_.head_bytes, head_.content_length));
  req->head = std::move(head_);
  have_head_ = false;
  consume(total);
  return Step::kRequest;
}

bool HttpConnection::send_continue() {
  if (!have_head_ || !head_.expect_continue || continue_sent_ || closing_) return false;
  continue_sent_ = true;
  return true;
}

void HttpConnection::queue(std::string_view bytes, bool keep_alive) {
  out_.append(bytes);
  if (!keep_alive) {
    closing_ = true;
    in_.clear();
    in_pos_ = 0;
    have_head_ = false;
  }
}

void HttpConnection::sent(std::size_t n) {
  out_sent_ += n;
  if (out_sent_ >= out_.size()) {
    out_.clear();
    out_sent_ = 0;
  }
}

bool HttpConnection::mid_request() const { return have_head_ || in_pos_ < in_.size(); }

}  // namespace mcgw
