// Where one render writes: appends are inline memcpys (std::string::append is an out-of-line
// call per tag), and the storage is kept from render to render so that the steady state
// allocates nothing. The result reaches the caller's string in one append at the end, which is
// also why a failed render leaves the caller's string as it was.
#pragma once

#include <cstring>
#include <memory>
#include <string_view>

namespace mc::tmpl {

class OutputBuffer {
 public:
  std::size_t size() const { return len_; }
  const char* data() const { return data_.get(); }
  std::string_view view() const { return std::string_view(data_.get(), len_); }
  void clear() { len_ = 0; }
  void release_if_larger_than(std::size_t bytes) {
    if (cap_ <= bytes) return;
    data_.reset();
    cap_ = len_ = 0;
  }
  void truncate(std::size_t n) {
    if (n < len_) len_ = n;
  }
  char back() const { return data_[len_ - 1]; }
  void append(const char* p, std::size_t n) {
    if (n > cap_ - len_) grow(n);
    if (n) std::memcpy(data_.get() + len_, p, n);
    len_ += n;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void push_back(char c) { append(&c, 1); }

 private:
  void grow(std::size_t n) {
    std::size_t cap = cap_ ? cap_ * 2 : 8192;
    while (cap - len_ < n) cap *= 2;
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (len_) std::memcpy(bigger.get(), data_.get(), len_);
    data_ = std::move(bigger);
    cap_ = cap;
  }

  std::unique_ptr<char[]> data_;
  std::size_t cap_ = 0, len_ = 0;
};

}  // namespace mc::tmpl
