// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/observe/trace.hpp"

#include <algorithm>
#include <sstream>

#include "hpar/comm/gather.hpp"
#include "hpar/core/errors.hpp"

namespace hpar {
namespace {

/// Two compute events this close (microseconds) with consecutive blocks form one chunk.
constexpr double chunk_gap_us = 20.0;

}  // namespace

void TraceRecorder::start() {
  zero_ = RunClock::now();
}

void TraceRecorder::phase(Phase phase, TimePoint begin, TimePoint end) {
  switch (phase) {
    case Phase::setup:
      span(0, "setup", "setup", us(begin), us(end));
      break;
    case Phase::gather:
      span(0, "gather", "gather", us(begin), us(end));
      break;
    case Phase::finish:
      span(0, "verify (finish)", "verify", us(begin), us(end));
      break;
    case Phase::compute:  // its blocks and waits are the events
      break;
  }
}

void TraceRecorder::wait(Wait wait, int thread, TimePoint begin, TimePoint end) {
  switch (wait) {
    case Wait::barrier:
      span(thread, "barrier", "wait", us(begin), us(end));
      break;
    case Wait::agree:
      span(thread, "agree", "wait", us(begin), us(end));
      break;
    case Wait::join:
      span(thread, "idle (threads join)", "wait", us(begin), us(end));
      break;
  }
}

void TraceRecorder::pass_begin(const PassStart& start) {
  reserve_threads(start.threads);
}

void TraceRecorder::block_done(const BlockEvent& event) {
  block(event.thread, event.block->index, event.pass, us(event.begin), us(event.end));
}

void TraceRecorder::reserve_threads(int threads) {
  if (threads > static_cast<int>(threads_.size())) {
    threads_.resize(static_cast<std::size_t>(threads));
  }
}

void TraceRecorder::block(int thread, std::uint64_t index, int pass, double begin_us,
                          double end_us) {
  auto& events = threads_[static_cast<std::size_t>(thread)];
  if (!events.empty()) {
    auto& last = events.back();
    if (last.blocks > 0 && last.pass == pass && last.last_block + 1 == index &&
        begin_us - last.end < chunk_gap_us) {
      last.end = end_us;
      last.last_block = index;
      ++last.blocks;
      last.busy += end_us - begin_us;
      return;
    }
  }
  if (events.size() >= max_events_per_thread) coarsen(events);
  Event e;
  e.name = "compute";
  e.category = "compute";
  e.begin = begin_us;
  e.end = end_us;
  e.first_block = index;
  e.last_block = index;
  e.blocks = 1;
  e.busy = end_us - begin_us;
  e.pass = pass;
  events.push_back(std::move(e));
}

void TraceRecorder::span(int thread, const std::string& name, const std::string& category,
                         double begin_us, double end_us, nlohmann::json args) {
  reserve_threads(thread + 1);
  Event e;
  e.name = name;
  e.category = category;
  e.begin = begin_us;
  e.end = end_us;
  e.args = std::move(args);
  threads_[static_cast<std::size_t>(thread)].push_back(std::move(e));
}

void TraceRecorder::coarsen(std::vector<Event>& events) {
  std::vector<Event> out;
  out.reserve(events.size() / 2 + 1);
  for (std::size_t i = 0; i < events.size(); ++i) {
    Event& e = events[i];
    if (e.blocks > 0 && i + 1 < events.size() && events[i + 1].blocks > 0) {
      const Event& next = events[i + 1];
      e.end = next.end;
      e.first_block = std::min(e.first_block, next.first_block);
      e.last_block = std::max(e.last_block, next.last_block);
      e.blocks += next.blocks;
      e.busy += next.busy;
      ++i;
    }
    out.push_back(std::move(e));
  }
  events = std::move(out);
}

std::size_t TraceRecorder::size() const noexcept {
  std::size_t n = 0;
  for (const auto& t : threads_) n += t.size();
  return n;
}

std::string TraceRecorder::serialize(int rank, const std::string& host) const {
  nlohmann::json threads = nlohmann::json::array();
  for (const auto& events : threads_) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : events) {
      nlohmann::json args = e.args.is_object() ? e.args : nlohmann::json::object();
      if (e.blocks > 0) {
        args["blocks"] = e.first_block == e.last_block
                             ? std::to_string(e.first_block)
                             : std::to_string(e.first_block) + "-" + std::to_string(e.last_block);
        args["block_count"] = e.blocks;
        args["pass"] = e.pass;
        args["busy_us"] = e.busy;
      }
      list.push_back({e.name, e.category, e.begin, e.end, args});
    }
    threads.push_back(list);
  }
  return nlohmann::json{{"rank", rank}, {"host", host}, {"threads", threads}}.dump();
}

nlohmann::json chrome_trace(const std::vector<std::string>& rank_lines) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& line : rank_lines) {
    nlohmann::json rank;
    try {
      rank = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw RuntimeError(std::string("malformed trace data: ") + e.what());
    }
    const int pid = rank.at("rank").get<int>();
    const std::string host = rank.at("host").get<std::string>();
    events.push_back({{"name", "process_name"},
                      {"ph", "M"},
                      {"pid", pid},
                      {"args", {{"name", "rank " + std::to_string(pid) + " (" + host + ")"}}}});
    events.push_back({{"name", "process_sort_index"},
                      {"ph", "M"},
                      {"pid", pid},
                      {"args", {{"sort_index", pid}}}});
    const auto& threads = rank.at("threads");
    for (std::size_t tid = 0; tid < threads.size(); ++tid) {
      if (threads[tid].empty()) continue;
      const std::string name =
          "thread " + std::to_string(tid) + (tid == 0 ? " (main)" : std::string());
      events.push_back({{"name", "thread_name"},
                        {"ph", "M"},
                        {"pid", pid},
                        {"tid", tid},
                        {"args", {{"name", name}}}});
      events.push_back({{"name", "thread_sort_index"},
                        {"ph", "M"},
                        {"pid", pid},
                        {"tid", tid},
                        {"args", {{"sort_index", tid}}}});
      for (const auto& e : threads[tid]) {
        const double begin = e.at(2).get<double>();
        const double end = e.at(3).get<double>();
        events.push_back({{"name", e.at(0)},
                          {"cat", e.at(1)},
                          {"ph", "X"},
                          {"ts", begin},
                          {"dur", end > begin ? end - begin : 0.0},
                          {"pid", pid},
                          {"tid", tid},
                          {"args", e.at(4)}});
      }
    }
  }
  return {{"traceEvents", events},
          {"displayTimeUnit", "ms"},
          {"otherData",
           {{"schema", "hpar-trace/1"},
            {"clock", "microseconds since a barrier on every rank (pid = rank, tid = thread)"}}}};
}

nlohmann::json gather_trace(const boost::mpi::communicator& comm, const TraceRecorder& mine,
                            const std::string& host) {
  const std::string all = gather_bytes(comm, mine.serialize(comm.rank(), host) + "\n");
  if (comm.rank() != 0) return nullptr;
  std::vector<std::string> lines;
  std::istringstream in(all);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return chrome_trace(lines);
}

}  // namespace hpar
