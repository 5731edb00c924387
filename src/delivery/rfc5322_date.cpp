#include "delivery/rfc5322_date.hpp"

#include "core/civil_calendar.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>

namespace mc::delivery {

namespace {
constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
}  // namespace

std::string rfc5322_date(std::int64_t t) {
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t secs = t - days * 86400;
  const core::CivilDate c = core::civil_from_days(days);
  const std::int64_t y = c.year;
  const unsigned m = c.month, d = c.day;
  int wday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02d:%02d:%02d +0000", kDays[wday], d,
                kMonths[m - 1], static_cast<long long>(y), static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

std::optional<std::int64_t> parse_rfc5322_date(std::string_view text) {
  std::string s(text);
  // Skip an optional day name and comma.
  std::size_t p = s.find(',');
  std::string rest = p == std::string::npos ? s : s.substr(p + 1);
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  char mon[4] = {0};
  char zone[16] = {0};
  int n =
      std::sscanf(rest.c_str(), " %d %3s %d %d:%d:%d %15s", &day, mon, &year, &hh, &mm, &ss, zone);
  if (n < 6) {
    ss = 0;
    n = std::sscanf(rest.c_str(), " %d %3s %d %d:%d %15s", &day, mon, &year, &hh, &mm, zone);
    if (n < 5) return std::nullopt;
  }
  int month = 0;
  for (int i = 0; i < 12; ++i)
    if (strncasecmp(mon, kMonths[i], 3) == 0) month = i + 1;
  if (!month || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970)
    return std::nullopt;
  std::int64_t offset = 0;
  if ((zone[0] == '+' || zone[0] == '-') && std::strlen(zone) == 5) {
    int v = std::atoi(zone + 1);
    offset = (v / 100 * 3600 + v % 100 * 60) * (zone[0] == '-' ? -1 : 1);
  }
  return core::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) *
             86400 +
         hh * 3600 + mm * 60 + ss - offset;
}

}  // namespace mc::delivery
