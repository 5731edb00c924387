#include "core/iso8601.hpp"

#include <gtest/gtest.h>

using mc::core::parse_iso8601_utc_micros;

TEST(Iso8601, ParsesRfc3339Forms) {
  EXPECT_EQ(parse_iso8601_utc_micros("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601_utc_micros("1970-01-01"), 0);
  EXPECT_EQ(parse_iso8601_utc_micros("2000-01-01T00:00:00Z"), 946684800LL * 1000000);
  EXPECT_EQ(parse_iso8601_utc_micros("2000-01-01T01:00:00+01:00"), 946684800LL * 1000000);
  EXPECT_EQ(parse_iso8601_utc_micros("1999-12-31 23:00-0100"), 946684800LL * 1000000);
  EXPECT_EQ(parse_iso8601_utc_micros("2026-11-23T10:15:30.25Z"), 1795428930LL * 1000000 + 250000);
  EXPECT_EQ(parse_iso8601_utc_micros("2024-02-29T12:00"), 1709208000LL * 1000000);
}

TEST(Iso8601, RefusesInvalidDates) {
  for (const char* bad :
       {"", "2026", "2026-13-01", "2026-02-29", "2026-04-31", "2026-11-23T24:00",
        "2026-11-23T10:60", "2026-11-23T10:00:00+25:00", "2026-11-23T10", "23/11/2026",
        "2026-11-23T10:00:00Zjunk", "2026-11-23T10:00:00.", "tomorrow"})
    EXPECT_FALSE(parse_iso8601_utc_micros(bad).has_value()) << bad;
}
