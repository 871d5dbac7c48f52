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
