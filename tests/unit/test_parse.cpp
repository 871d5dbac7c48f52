// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include "hpar/core/errors.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/platform/layout.hpp"

using namespace hpar;

TEST(Parse, Counts) {
  EXPECT_EQ(parse_count("0", "--n"), 0U);
  EXPECT_EQ(parse_count("1000000", "--n"), 1000000U);
  EXPECT_EQ(parse_count("1e9", "--n"), 1000000000U);
  EXPECT_EQ(parse_count("2.5e3", "--n"), 2500U);
  EXPECT_EQ(parse_count("18446744073709551615", "--n"), 18446744073709551615ULL);
  for (const char* bad :
       {"", "-1", "+1", "abc", "1.5", "1e-3", "18446744073709551616", "1e30", "12x"}) {
    EXPECT_THROW((void)parse_count(bad, "--n"), UsageError) << bad;
  }
}

TEST(Parse, CountsInScientificNotationAreExact) {
  EXPECT_EQ(parse_count("1e17", "--n"), 100000000000000000ULL);  // above 2^53: no double
  EXPECT_EQ(parse_count("9.2e18", "--n"), 9200000000000000000ULL);
  EXPECT_EQ(parse_count("1.8446744073709551615e19", "--n"), 18446744073709551615ULL);
  EXPECT_EQ(parse_count("12345678901234567e2", "--n"), 1234567890123456700ULL);
  EXPECT_EQ(parse_count("10e-1", "--n"), 1U);
  EXPECT_EQ(parse_count("0.0", "--n"), 0U);
  EXPECT_EQ(parse_count("0e999999999", "--n"), 0U);
  EXPECT_EQ(parse_count("1E3", "--n"), 1000U);
  EXPECT_EQ(parse_count("1e+3", "--n"), 1000U);
  EXPECT_EQ(parse_count("007", "--n"), 7U);
  for (const char* bad : {"1.8446744073709551616e19", "2e19", "1e20", "1e999999999999", "1.25e1",
                          "1e", "1e+", "e5", ".", "1..0", "1e3.0", "0x10", "1 "}) {
    EXPECT_THROW((void)parse_count(bad, "--n"), UsageError) << bad;
  }
}

TEST(Parse, IntsTakeTheFormsCountsTake) {
  EXPECT_EQ(parse_int("5e7", "--range"), 50000000);
  EXPECT_EQ(parse_int("-5e7", "--range"), -50000000);
  EXPECT_EQ(parse_int("+2.5e3", "--range"), 2500);
  EXPECT_EQ(parse_int("-9.223372036854775808e18", "--x"), INT64_MIN);
  EXPECT_EQ(parse_int("9.223372036854775807e18", "--x"), INT64_MAX);
  for (const char* bad :
       {"9.223372036854775808e18", "-9.223372036854775809e18", "1.5", "--1", "+-1", "-", "1e-1"}) {
    EXPECT_THROW((void)parse_int(bad, "--x"), UsageError) << bad;
  }
}

TEST(Parse, ErrorsQuoteTheValueSafely) {
  try {
    (void)parse_count("\x1b[2J" + std::string(500, '9') + "x", "--samples");
    FAIL();
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\x1b'), std::string::npos) << what;
    EXPECT_NE(what.find("'\\e[2J"), std::string::npos) << what;
    EXPECT_NE(what.find("(505 bytes)"), std::string::npos) << what;
    EXPECT_LT(what.size(), 200U);
  }
}

TEST(Parse, CountErrorNamesOptionAndValue) {
  try {
    (void)parse_count("abc", "--samples");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()),
              "bad value 'abc' for --samples: expected a whole number >= 0 (e.g. 1000000 or 1e6)");
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
}

TEST(Parse, Ints) {
  EXPECT_EQ(parse_int("-12", "--x"), -12);
  EXPECT_EQ(parse_int("+7", "--x"), 7);
  EXPECT_EQ(parse_int("-9223372036854775808", "--x"), INT64_MIN);
  for (const char* bad : {"", "+", "1.5", "9223372036854775808", "0x10", " 1"}) {
    EXPECT_THROW((void)parse_int(bad, "--x"), UsageError) << bad;
  }
}

TEST(Parse, Reals) {
  EXPECT_EQ(parse_real("0.5", "--a"), 0.5);
  EXPECT_EQ(parse_real("-1e-3", "--a"), -1e-3);
  EXPECT_EQ(parse_real("+2", "--a"), 2.0);
  for (const char* bad : {"", "pi", "nan", "inf", "1e999", "1,5"}) {
    EXPECT_THROW((void)parse_real(bad, "--a"), UsageError) << bad;
  }
}

TEST(Parse, Split) {
  const auto parts = split("a,,b", ',');
  ASSERT_EQ(parts.size(), 3U);
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(split("", ',').size(), 1U);
}

TEST(Schedule, ParsesKindsAndChunks) {
  EXPECT_EQ(Schedule::parse("static").kind, Schedule::Kind::static_);
  const auto d = Schedule::parse("dynamic,4");
  EXPECT_EQ(d.kind, Schedule::Kind::dynamic);
  EXPECT_EQ(d.chunk, 4);
  EXPECT_EQ(d.to_string(), "dynamic,4");
  EXPECT_EQ(Schedule::parse("guided").to_string(), "guided");
  for (const char* bad : {"", "auto", "dynamic,", "dynamic,0", "static,x", "guided,-1"}) {
    EXPECT_THROW((void)Schedule::parse(bad), UsageError) << bad;
  }
}
