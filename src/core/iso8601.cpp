#include "core/iso8601.hpp"

#include "core/civil_calendar.hpp"

namespace mc::core {
namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ == text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // Exactly n digits.
  std::optional<int> digits(int n) {
    int value = 0;
    for (int i = 0; i < n; ++i) {
      char c = peek();
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
      ++pos_;
    }
    return value;
  }
  std::optional<int> fraction_micros() {
    int value = 0, count = 0;
    while (peek() >= '0' && peek() <= '9') {
      if (count < 6) value = value * 10 + (peek() - '0');
      ++count;
      ++pos_;
    }
    if (count == 0) return std::nullopt;
    for (int i = count; i < 6; ++i) value *= 10;
    return value;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

}  // namespace

std::optional<std::int64_t> parse_iso8601_utc_micros(std::string_view text) {
  Cursor in(text);
  auto year = in.digits(4);
  if (!year || !in.eat('-')) return std::nullopt;
  auto month = in.digits(2);
  if (!month || !in.eat('-')) return std::nullopt;
  auto day = in.digits(2);
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month))
    return std::nullopt;
  int hour = 0, minute = 0, second = 0, micros = 0, offset_minutes = 0;
  if (!in.done()) {
    if (!in.eat('T') && !in.eat('t') && !in.eat(' ')) return std::nullopt;
    auto h = in.digits(2);
    if (!h || !in.eat(':')) return std::nullopt;
    auto mi = in.digits(2);
    if (!mi) return std::nullopt;
    hour = *h;
    minute = *mi;
    if (in.eat(':')) {
      auto s = in.digits(2);
      if (!s) return std::nullopt;
      second = *s;
      if (in.eat('.') || in.eat(',')) {
        auto f = in.fraction_micros();
        if (!f) return std::nullopt;
        micros = *f;
      }
    }
    // 60 is a leap second in ISO 8601; PostgreSQL would carry it to the next minute.
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (in.eat('Z') || in.eat('z')) {
    } else if (in.peek() == '+' || in.peek() == '-') {
      int sign = in.peek() == '-' ? -1 : 1;
      in.eat(in.peek());
      auto oh = in.digits(2);
      if (!oh) return std::nullopt;
      int om = 0;
      if (!in.done()) {
        in.eat(':');
        auto m = in.digits(2);
        if (!m) return std::nullopt;
        om = *m;
      }
      if (*oh > 23 || om > 59) return std::nullopt;
      offset_minutes = sign * (*oh * 60 + om);
    }
  }
  if (!in.done()) return std::nullopt;
  std::int64_t seconds =
      days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) * 86400 +
      hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000000 + micros;
}

}  // namespace mc::core
