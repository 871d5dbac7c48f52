// SPDX-License-Identifier: BSD-3-Clause
// hpar::Worker (hpar farm --worker): the frames of docs/workers.md, with small Python workers.
#include <gtest/gtest.h>

#include <string>

#include "hpar/core/errors.hpp"
#include "hpar/core/process.hpp"

namespace {

using hpar::ProcessOutcome;
using hpar::ProcessSpec;
using hpar::Worker;
using hpar::WorkerReply;
using Kind = WorkerReply::Kind;

/// A worker running `body` in python3 after `read()` (the next input's bytes, None at the end)
/// and `answer(kind, data)` are defined.
ProcessSpec python_worker(const std::string& body) {
  const std::string prelude =
      "import sys, os, time\n"
      "inp, out = sys.stdin.buffer, sys.stdout.buffer\n"
      "def read():\n"
      "    h = inp.readline()\n"
      "    return inp.read(int(h)) if h else None\n"
      "def answer(kind, data):\n"
      "    out.write(kind + b' %d\\n' % len(data) + data); out.flush()\n";
  ProcessSpec spec;
  spec.argv = {"python3", "-c", prelude + body};
  spec.kill_grace_seconds = 1.0;
  return spec;
}

WorkerReply ask(Worker& w, const std::string& input, double timeout = 0.0) {
  return w.ask(input, timeout, 0.01, [] { return false; });
}

TEST(Worker, AnyBytesPassBothWays) {
  Worker w(python_worker("while (d := read()) is not None: answer(b'ok', d[::-1])\n"));
  const std::string odd("a\nb\0c\r\n", 7);
  auto r = ask(w, odd);
  EXPECT_EQ(r.kind, Kind::ok);
  EXPECT_EQ(r.bytes, std::string("\n\rc\0b\na", 7));
  r = ask(w, "");  // an empty input, an empty answer
  EXPECT_EQ(r.kind, Kind::ok);
  EXPECT_EQ(r.bytes, "");
  const std::string big(3'000'000, 'x');
  r = ask(w, big);
  EXPECT_EQ(r.kind, Kind::ok);
  EXPECT_EQ(r.bytes.size(), big.size());
  EXPECT_TRUE(w.running());
  const ProcessOutcome end = w.finish(5.0);  // EOF: it exits by itself
  EXPECT_TRUE(end.ok()) << end.describe(0.0);
  EXPECT_FALSE(w.running());
}

// A worker that writes a large answer before it reads the input (larger than a pipe holds):
// hpar reads while it writes, so neither waits on the other.
TEST(Worker, AnswersBeforeReadingDoNotDeadlock) {
  Worker w(
      python_worker("while (h := inp.readline()):\n"
                    "    out.write(b'ok 2000000\\n' + b'y' * 2000000); out.flush()\n"
                    "    inp.read(int(h))\n"));
  for (int i = 0; i < 2; ++i) {
    const auto r = ask(w, std::string(2'000'000, 'x'), 20.0);
    ASSERT_EQ(r.kind, Kind::ok);
    EXPECT_EQ(r.bytes, std::string(2'000'000, 'y'));
  }
}

// A batch: 400 inputs of 4 KiB sent before any answer is read (far more than both pipes
// hold together); the worker answers each as it reads it, so hpar must read while it writes.
// The answers come in order; then a single ask works as before.
TEST(Worker, ABatchLargerThanThePipesNeitherSideBlocks) {
  Worker w(python_worker("while (d := read()) is not None: answer(b'ok', d[:1] * 4096)\n"));
  constexpr int inputs = 400;
  for (int i = 0; i < inputs; ++i)
    w.send(std::string(1, static_cast<char>('A' + i % 26)) + std::string(4095, '.'));
  EXPECT_EQ(w.waiting(), std::size_t{inputs});
  for (int i = 0; i < inputs; ++i) {
    const auto r = w.receive(10.0, 0.01, [] { return false; });
    ASSERT_EQ(r.kind, Kind::ok) << "answer " << i << ": " << r.problem;
    EXPECT_EQ(r.bytes, std::string(4096, static_cast<char>('A' + i % 26))) << "answer " << i;
  }
  EXPECT_EQ(w.waiting(), std::size_t{0});
  EXPECT_EQ(ask(w, "z").bytes, std::string(4096, 'z'));
  EXPECT_TRUE(w.finish(5.0).ok());
}

// A worker that dies in the middle of a batch: the answer it wrote comes, then the death, and
// no input waits any more.
TEST(Worker, ADeathInABatchLosesTheRest) {
  Worker w(
      python_worker("while (d := read()) is not None:\n"
                    "    if d == b'3': os._exit(4)\n"
                    "    answer(b'ok', d)\n"));
  for (const char* input : {"1", "2", "3", "4"}) w.send(input);
  EXPECT_EQ(w.receive(10.0, 0.01, [] { return false; }).bytes, "1");
  EXPECT_EQ(w.receive(10.0, 0.01, [] { return false; }).bytes, "2");
  const auto r = w.receive(10.0, 0.01, [] { return false; });
  EXPECT_EQ(r.kind, Kind::died);
  EXPECT_EQ(r.exit.exit_code, 4);
  EXPECT_FALSE(w.running());
  EXPECT_EQ(w.waiting(), std::size_t{0});
}

TEST(Worker, ErrAnswerAndAFrameInPieces) {
  Worker w(python_worker(
      "d = read(); answer(b'err', b'no good\\n')\n"
      "d = read(); out.write(b'o'); out.flush(); time.sleep(0.05); out.write(b'k 5\\nab');\n"
      "out.flush(); time.sleep(0.05); out.write(b'cde'); out.flush()\n"
      "read()\n"));
  auto r = ask(w, "1");
  EXPECT_EQ(r.kind, Kind::error);
  EXPECT_EQ(r.bytes, "no good\n");
  r = ask(w, "2");
  EXPECT_EQ(r.kind, Kind::ok);
  EXPECT_EQ(r.bytes, "abcde");
  EXPECT_TRUE(w.running());
}

TEST(Worker, GarbageIsAProtocolErrorAndEndsTheWorker) {
  Worker w(python_worker("read(); out.write(b'hello\\n'); out.flush(); time.sleep(60)\n"));
  const auto r = ask(w, "1", 20.0);
  EXPECT_EQ(r.kind, Kind::protocol);
  EXPECT_NE(r.problem.find("an answer without a frame: 'hello\\n'"), std::string::npos)
      << r.problem;
  EXPECT_FALSE(w.running());
}

TEST(Worker, BytesAfterAnAnswerFailTheNextInput) {
  Worker w(python_worker("read(); answer(b'ok', b'1'); out.write(b'x'); out.flush(); read()\n"));
  EXPECT_EQ(ask(w, "1").kind, Kind::ok);
  // The stray byte is there before the next input is sent, or comes in its place.
  const auto r = ask(w, "2", 5.0);
  EXPECT_EQ(r.kind, Kind::protocol);
  EXPECT_NE(r.problem.find("'x'"), std::string::npos) << r.problem;
  EXPECT_FALSE(w.running());
}

TEST(Worker, ADeathBeforeTheAnswerSaysHow) {
  Worker w(
      python_worker("read(); answer(b'ok', b'fine'); read(); out.write(b'ok 9\\nab');"
                    " out.flush(); os._exit(7)\n"));
  EXPECT_EQ(ask(w, "1").kind, Kind::ok);
  const auto r = ask(w, "2");
  EXPECT_EQ(r.kind, Kind::died);
  EXPECT_EQ(r.exit.end, ProcessOutcome::End::exited);
  EXPECT_EQ(r.exit.exit_code, 7);
  EXPECT_NE(r.problem.find("an answer cut short"), std::string::npos) << r.problem;
  EXPECT_FALSE(w.running());
}

TEST(Worker, ATimeLimitEndsAStuckWorker) {
  Worker w(python_worker("read(); time.sleep(60)\n"));
  const auto r = ask(w, "1", 0.3);
  EXPECT_EQ(r.kind, Kind::timed_out);
  EXPECT_EQ(r.exit.end, ProcessOutcome::End::timed_out);
  EXPECT_GE(r.seconds, 0.3);
  EXPECT_LT(r.seconds, 5.0);
  EXPECT_FALSE(w.running());
}

TEST(Worker, AStopRequestEndsIt) {
  Worker w(python_worker("read(); time.sleep(60)\n"));
  int asked = 0;
  const auto r = w.ask("1", 0.0, 0.01, [&] { return ++asked > 3; });
  EXPECT_EQ(r.kind, Kind::stopped);
  EXPECT_FALSE(w.running());
}

TEST(Worker, AProgramThatCannotStartThrows) {
  ProcessSpec spec;
  spec.argv = {"/nonexistent/hpar-worker"};
  EXPECT_THROW(Worker{spec}, hpar::RuntimeError);
}

}  // namespace
