// SPDX-License-Identifier: BSD-3-Clause
// describe(): the one place where an exception becomes an exit code and a message.

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

#include "hpar/core/errors.hpp"

using namespace hpar;

namespace {

template <class E>
std::pair<int, std::string> describe_thrown(const E& e) {
  return describe(std::make_exception_ptr(e));
}

}  // namespace

TEST(Errors, DescribeKeepsTheCodeOfAnHparError) {
  EXPECT_EQ(describe_thrown(UsageError("bad --x")), (std::pair<int, std::string>{2, "bad --x"}));
  EXPECT_EQ(describe_thrown(RuntimeError("disk")), (std::pair<int, std::string>{1, "disk"}));
  EXPECT_EQ(describe_thrown(Error(ExitCode::interrupted, "stop")).first, 4);
}

TEST(Errors, DescribeNamesOutOfMemory) {
  EXPECT_EQ(describe_thrown(std::bad_alloc()), (std::pair<int, std::string>{1, "out of memory"}));
}

TEST(Errors, DescribeOtherExceptionsAsRuntimeFailures) {
  EXPECT_EQ(describe_thrown(std::logic_error("oops")), (std::pair<int, std::string>{1, "oops"}));
  EXPECT_EQ(describe(std::make_exception_ptr(42)),
            (std::pair<int, std::string>{1, "unknown exception"}));
}

TEST(Errors, QuoteForMessageEscapesControlCharacters) {
  EXPECT_EQ(quote_for_message("abc"), "'abc'");
  EXPECT_EQ(quote_for_message("a\nb\tc\r"), "'a\\nb\\tc\\r'");
  EXPECT_EQ(quote_for_message("\x1b[2Jx"), "'\\e[2Jx'");  // would clear the terminal
  EXPECT_EQ(quote_for_message(std::string("a\0b", 3)), "'a\\x00b'");
  EXPECT_EQ(quote_for_message("\x7f"), "'\\x7f'");
  EXPECT_EQ(quote_for_message("\x9b"
                              "2J"),
            "'\\x9b2J'");  // a raw C1 byte: not UTF-8
  EXPECT_EQ(quote_for_message("\xc2\x9b"
                              "2J"),
            "'\\u009b2J'");  // C1 CSI encoded in UTF-8
  EXPECT_EQ(quote_for_message("caf\xc3\xa9 \xe2\x82\xac"), "'caf\xc3\xa9 \xe2\x82\xac'");
  EXPECT_EQ(quote_for_message("\xc0\xaf"), "'\\xc0\\xaf'");  // an overlong form is not UTF-8
  EXPECT_EQ(quote_for_message("\xed\xa0\x80"), "'\\xed\\xa0\\x80'");  // a surrogate neither
  EXPECT_EQ(quote_for_message("\xe2\x82"), "'\\xe2\\x82'");           // cut short
}

TEST(Errors, QuoteForMessageEscapesBidirectionalControls) {
  // U+202E (right-to-left override) would show "txt.exe" as "exe.txt"; every bidi control
  // and mark is escaped, the letters beside them are not.
  EXPECT_EQ(quote_for_message("a\xe2\x80\xaetxt.exe"), "'a\\u202etxt.exe'");
  EXPECT_EQ(quote_for_message("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"),
            "'\\u202a\\u202b\\u202c\\u202d'");
  EXPECT_EQ(quote_for_message("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"),
            "'\\u2066\\u2067\\u2068\\u2069'");
  EXPECT_EQ(quote_for_message("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"), "'\\u200e\\u200f\\u061c'");
  // Their neighbours stay as they are: U+2029, U+2065, U+202F, U+061B, Hebrew alef.
  const std::string kept = "\xe2\x80\xa9\xe2\x81\xa5\xe2\x80\xaf\xd8\x9b\xd7\x90";
  EXPECT_EQ(quote_for_message(kept), "'" + kept + "'");
  EXPECT_EQ(one_line_message("x\xe2\x81\xa7y"), "x\\u2067y");
}

TEST(Errors, QuoteForMessageShortensLongValues) {
  const std::string long_value(100000, 'x');
  const std::string quoted = quote_for_message(long_value);
  EXPECT_LT(quoted.size(), 120U);
  EXPECT_EQ(quoted, "'" + std::string(80, 'x') + "...' (100000 bytes)");
  EXPECT_EQ(quote_for_message(std::string(80, 'y')), "'" + std::string(80, 'y') + "'");
  // Escapes count towards the length: a long run of control bytes is cut as well.
  EXPECT_LT(quote_for_message(std::string(5000, '\x01')).size(), 120U);
}

TEST(Errors, OneLineMessageIsSafeToPrint) {
  EXPECT_EQ(one_line_message("bad value '\x1b]0;title\x07'"), "bad value '\\e]0;title\\x07'");
  const std::string message = one_line_message(std::string(10000, 'z') + "\n", 100);
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_LT(message.size(), 140U);
  EXPECT_NE(message.find("(10001 bytes in all)"), std::string::npos);
}
