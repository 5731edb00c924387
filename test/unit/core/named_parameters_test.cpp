#include "core/named_parameters.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using mc::core::number_parameters;

TEST(NamedParameters, NumbersByDeclarationOrder) {
  EXPECT_EQ(number_parameters("SELECT $b, $a, $b", {"a", "b"}), "SELECT $2, $1, $2");
}

TEST(NamedParameters, NameEndsBeforeCastsAndPunctuation) {
  EXPECT_EQ(number_parameters("unnest($ids::int8[], $last_errors::text[])", {"ids", "last_errors"}),
            "unnest($1::int8[], $2::text[])");
  EXPECT_EQ(number_parameters("x = ANY ($work_queues) LIMIT $limit", {"work_queues", "limit"}),
            "x = ANY ($1) LIMIT $2");
}

TEST(NamedParameters, LongerNameIsNotAPrefixMatch) {
  EXPECT_EQ(number_parameters("$now, $now_utc", {"now_utc", "now"}), "$2, $1");
}

TEST(NamedParameters, OtherDollarsAreCopied) {
  EXPECT_EQ(number_parameters("SELECT $1, 'a$', $", {}), "SELECT $1, 'a$', $");
}

TEST(NamedParameters, UndeclaredOrUnusedNamesAreErrors) {
  EXPECT_THROW(number_parameters("SELECT $a", {}), std::invalid_argument);
  EXPECT_THROW(number_parameters("SELECT 1", {"a"}), std::invalid_argument);
}

TEST(NamedParameters, NoParameters) { EXPECT_EQ(number_parameters("SELECT 1", {}), "SELECT 1"); }
