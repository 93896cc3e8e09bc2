// Quilt's own collective schedules (collective_schedules.h) on groups of 1
// to 9 members, each member a thread of this process over an in-memory
// transport that checks every receive gets exactly the bytes its sender
// posted. The MPI tests run the same schedules on 1-4 ranks; these reach the
// group sizes they do not: Bruck's wrapped, shorter last step at p = 5, 6, 7,
// the recursive all-reduces' fold of 1-3 pairs at p = 5, 6, 7, rings of 9.
#include "collective_schedules.h"
#include "error.h"
#include "moments.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace quilt::test {
namespace {

/// Messages in flight between the members of one group: one queue per
/// (sender, receiver) pair, delivered in the order posted, as MPI delivers
/// the messages of one tag between two ranks.
class Mailboxes {
public:
  explicit Mailboxes(int members) : members_(members), queues_(members * members) {}

  void post(int from, int to, const void *data, size_t bytes) {
    const char *begin = static_cast<const char *>(data);
    std::lock_guard<std::mutex> lock(mutex_);
    queues_[from * members_ + to].emplace_back(begin, begin + bytes);
    arrived_.notify_all();
  }

  /// The next message from `from` to `to` into `data`; raises unless it has
  /// exactly `bytes`.
  void take(int from, int to, void *data, size_t bytes) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::deque<std::vector<char>> &queue = queues_[from * members_ + to];
    bool ready = arrived_.wait_for(lock, std::chrono::seconds(30),
                                   [&] { return !queue.empty() || failed_; });
    if (queue.empty() && failed_)
      raise("member ", to, " stopped: another member failed");
    if (!ready)
      raise("member ", to, " waited 30 s for a message from member ", from);
    std::vector<char> message = std::move(queue.front());
    queue.pop_front();
    lock.unlock();
    if (message.size() != bytes)
      raise("member ", to, " expected ", bytes, " bytes from member ", from, ", got ",
            message.size());
    if (bytes)
      std::memcpy(data, message.data(), bytes);
  }

  /// Wakes every waiting member: one has failed and will post no more.
  void fail() {
    std::lock_guard<std::mutex> lock(mutex_);
    failed_ = true;
    arrived_.notify_all();
  }

  size_t undelivered() const {
    size_t left = 0;
    for (const auto &queue : queues_)
      left += queue.size();
    return left;
  }

private:
  int members_;
  std::vector<std::deque<std::vector<char>>> queues_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  bool failed_ = false;
};

class ThreadPeerGroup final : public PeerGroup {
public:
  ThreadPeerGroup(Mailboxes &mailboxes, int groupMembers, int member, ScheduleScratch &scratch)
      : PeerGroup(scratch), mailboxes_(mailboxes) {
    members = groupMembers;
    me = member;
  }

  void sendRecv(const void *send, size_t sendBytes, int to, void *recv, size_t recvBytes,
                int from) override {
    if (to < 0 || to >= members || from < 0 || from >= members)
      raise("member ", me, " addressed members ", to, " and ", from, " of ", members);
    mailboxes_.post(me, to, send, sendBytes);
    mailboxes_.take(from, me, recv, recvBytes);
  }

private:
  Mailboxes &mailboxes_;
};

/// Runs `body` as each of `members` members, each on its own thread with
/// its own scratch; returns the errors (none when every member finished and
/// every message posted was received).
std::vector<std::string> runGroup(int members, const std::function<void(PeerGroup &)> &body) {
  Mailboxes mailboxes(members);
  std::vector<std::string> errors(members);
  std::vector<std::thread> threads;
  for (int me = 0; me < members; ++me)
    threads.emplace_back([&, me] {
      ScheduleScratch scratch;
      ThreadPeerGroup group(mailboxes, members, me, scratch);
      try {
        body(group);
      } catch (const Error &e) {
        errors[me] = e.what();
        mailboxes.fail();
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  std::vector<std::string> failures;
  for (const std::string &error : errors)
    if (!error.empty())
      failures.push_back(error);
  if (failures.empty() && mailboxes.undelivered())
    failures.push_back(std::to_string(mailboxes.undelivered()) + " messages never received");
  return failures;
}

std::string joined(const std::vector<std::string> &lines) {
  std::string all;
  for (const std::string &line : lines)
    all += line + "\n";
  return all;
}

/// How a failure names the case: the algorithm and the group size.
std::string caseName(CollectiveAlgorithm algorithm, int members) {
  return std::string(collectiveAlgorithmName(algorithm)) + " p=" + std::to_string(members);
}

constexpr int kMostMembers = 9;

// The transport itself: a receive of the wrong size is an error naming both
// members, so the schedules' tests below would catch a step that posts
// bytes its partner does not expect.
TEST(ThreadPeerGroup, RefusesAReceiveOfTheWrongSize) {
  std::vector<std::string> errors = runGroup(2, [](PeerGroup &group) {
    char buffer[8] = {};
    group.sendRecv(buffer, group.me == 0 ? 4 : 8, 1 - group.me, buffer, 8, 1 - group.me);
  });
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0], "member 1 expected 8 bytes from member 0, got 4");
}

/// One member's input to an all-reduce, exact in any order and telling
/// every member's contribution apart: small integers for sums, 1, 2 or -1
/// for products (never 0), values from a wide range for maxima, and for
/// moments valid (count, mean, M2) triples.
std::vector<char> reduceInput(ElemType type, ReduceOp op, size_t elements, int member) {
  std::mt19937 random(1000 * member + 7 * elements + static_cast<int>(op));
  std::uniform_int_distribution<int> small(-3, 3), wide(-100000, 100000), sign(0, 2);
  auto value = [&]() -> int {
    if (op == ReduceOp::Prod)
      return sign(random) == 0 ? -1 : sign(random) == 0 ? 2 : 1;
    return op == ReduceOp::Max || op == ReduceOp::Min ? wide(random) : small(random);
  };
  std::vector<char> bytes;
  auto append = [&](const auto &value) {
    const char *at = reinterpret_cast<const char *>(&value);
    bytes.insert(bytes.end(), at, at + sizeof value);
  };
  for (size_t i = 0; i < elements; ++i) {
    if (op == ReduceOp::Moments) {
      float triple[3] = {float(member % 3 == 1 ? 0 : 1 + (i + member) % 5),
                         float(small(random)) * 0.25f, float(std::abs(small(random)))};
      if (triple[0] == 0)
        triple[1] = triple[2] = 0;
      for (float v : triple)
        append(v);
    } else if (type == ElemType::F32) {
      append(float(value()));
    } else if (type == ElemType::F64) {
      append(double(value()));
    } else {
      append(int64_t(value()));
    }
  }
  return bytes;
}

template <class T> T combined(T a, T b, ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return a + b;
  case ReduceOp::Prod:
    return a * b;
  case ReduceOp::Max:
    return std::max(a, b);
  default:
    return std::min(a, b);
  }
}

template <class T>
void reduceInto(std::vector<char> &into, const std::vector<char> &other, ReduceOp op) {
  for (size_t at = 0; at < into.size(); at += sizeof(T)) {
    T a, b;
    std::memcpy(&a, &into[at], sizeof a);
    std::memcpy(&b, &other[at], sizeof b);
    a = combined(a, b, op);
    std::memcpy(&into[at], &a, sizeof a);
  }
}

/// The inputs combined in member order (a merge of moments is not
/// associative in floating point; the others are exact on these inputs).
std::vector<char> reduceReference(const std::vector<std::vector<char>> &inputs, ElemType type,
                                  ReduceOp op) {
  std::vector<char> result = inputs[0];
  for (size_t m = 1; m < inputs.size(); ++m) {
    if (op == ReduceOp::Moments) {
      for (size_t at = 0; at < result.size(); at += 3 * sizeof(float))
        mergeMoments(reinterpret_cast<float *>(&result[at]),
                     reinterpret_cast<const float *>(&inputs[m][at]));
    } else if (type == ElemType::F32) {
      reduceInto<float>(result, inputs[m], op);
    } else if (type == ElemType::F64) {
      reduceInto<double>(result, inputs[m], op);
    } else {
      reduceInto<int64_t>(result, inputs[m], op);
    }
  }
  return result;
}

bool momentsClose(const std::vector<char> &got, const std::vector<char> &want) {
  if (got.size() != want.size())
    return false;
  for (size_t at = 0; at < got.size(); at += sizeof(float)) {
    float a, b;
    std::memcpy(&a, &got[at], sizeof a);
    std::memcpy(&b, &want[at], sizeof b);
    if (!(std::fabs(a - b) <= 1e-5f * std::max(1.0f, std::fabs(b))))
      return false;
  }
  return true;
}

TEST(CollectiveSchedules, AllReduceOnGroupsOfOneToNine) {
  struct Case {
    ElemType type;
    ReduceOp op;
  };
  const Case cases[] = {{ElemType::F32, ReduceOp::Sum},
                        {ElemType::F64, ReduceOp::Max},
                        {ElemType::I64, ReduceOp::Prod},
                        {ElemType::F32, ReduceOp::Moments}};
  for (int p = 1; p <= kMostMembers; ++p)
    for (CollectiveAlgorithm algorithm : collectiveSchedulesServing(CollectiveKind::AllReduce, p))
      for (Case c : cases)
        for (size_t elements : {size_t(0), size_t(1), size_t(p - 1), size_t(p + 2), size_t(1001)})
          for (bool inPlace : {true, false}) {
            std::string where = caseName(algorithm, p) + " op " + std::to_string(int(c.op)) +
                                " elements " + std::to_string(elements) +
                                (inPlace ? " in place" : " out of place");
            std::vector<std::vector<char>> inputs, outputs(p);
            for (int m = 0; m < p; ++m)
              inputs.push_back(reduceInput(c.type, c.op, elements, m));
            size_t count = c.op == ReduceOp::Moments ? 3 * elements : elements;
            std::vector<std::string> errors = runGroup(p, [&](PeerGroup &group) {
              // A first call on other inputs leaves the scratch holding
              // stale partials, as a communicator's kept scratch does.
              std::vector<char> earlier = reduceInput(c.type, c.op, elements, group.me + 50);
              std::vector<char> earlierOut(earlier.size());
              scheduleAllReduce(group, earlier.data(), earlierOut.data(), count, c.type, c.op,
                                algorithm);
              std::vector<char> send = inputs[group.me];
              std::vector<char> &recv = outputs[group.me];
              recv.assign(send.size(), 0x55);
              char *out = inPlace ? send.data() : recv.data();
              scheduleAllReduce(group, send.data(), out, count, c.type, c.op, algorithm);
              if (inPlace)
                recv = send;
              else if (send != inputs[group.me])
                raise("member ", group.me, " wrote its input");
            });
            ASSERT_TRUE(errors.empty()) << where << "\n" << joined(errors);
            std::vector<char> want = reduceReference(inputs, c.type, c.op);
            for (int m = 0; m < p; ++m) {
              // The same bits on every member, whatever the reduction.
              EXPECT_EQ(outputs[m], outputs[0]) << where << " member " << m;
              if (c.op == ReduceOp::Moments)
                EXPECT_TRUE(momentsClose(outputs[m], want)) << where << " member " << m;
              else
                EXPECT_EQ(outputs[m], want) << where << " member " << m;
            }
          }
}

/// Block sizes for `p` members: even, uneven, some empty, all empty.
std::vector<std::vector<size_t>> blockPatterns(int p, size_t unit) {
  std::vector<std::vector<size_t>> patterns(4);
  for (int c = 0; c < p; ++c) {
    patterns[0].push_back(3 * unit);
    patterns[1].push_back((c % 3 + 1) * unit);
    patterns[2].push_back(c % 2 == 1 ? 0 : (c + 2) * unit);
    patterns[3].push_back(0);
  }
  return patterns;
}

/// Byte `i` of member `m`'s block (for member `to`, where it matters): every
/// byte of every message distinct enough to catch a block put in the wrong
/// place.
char blockByte(int m, int to, size_t i) { return static_cast<char>(31 * m + 7 * to + i); }

TEST(CollectiveSchedules, AllGatherOnGroupsOfOneToNine) {
  for (int p = 1; p <= kMostMembers; ++p)
    for (CollectiveAlgorithm algorithm : collectiveSchedulesServing(CollectiveKind::AllGather, p))
      for (const std::vector<size_t> &blocks : blockPatterns(p, 5)) {
        std::string where = caseName(algorithm, p);
        std::vector<char> want;
        for (int m = 0; m < p; ++m)
          for (size_t i = 0; i < blocks[m]; ++i)
            want.push_back(blockByte(m, 0, i));
        std::vector<std::vector<char>> outputs(p);
        std::vector<std::string> errors = runGroup(p, [&](PeerGroup &group) {
          std::vector<char> send;
          for (size_t i = 0; i < blocks[group.me]; ++i)
            send.push_back(blockByte(group.me, 0, i));
          outputs[group.me].assign(want.size(), 0x55);
          // Twice, so the second call runs on the scratch the first left.
          for (int call = 0; call < 2; ++call)
            scheduleAllGather(group, send.data(), send.size(), outputs[group.me].data(), blocks,
                              algorithm);
        });
        ASSERT_TRUE(errors.empty()) << where << "\n" << joined(errors);
        for (int m = 0; m < p; ++m)
          EXPECT_EQ(outputs[m], want) << where << " member " << m;
      }
}

TEST(CollectiveSchedules, ReduceScatterOnGroupsOfOneToNine) {
  for (int p = 1; p <= kMostMembers; ++p)
    for (CollectiveAlgorithm algorithm : collectiveSchedulesServing(CollectiveKind::ReduceScatter, p))
      for (const std::vector<size_t> &counts : blockPatterns(p, 1)) {
        std::string where = caseName(algorithm, p);
        size_t total = 0;
        for (size_t c : counts)
          total += c;
        // Member m's value i: small integers, so sums are exact in any order.
        auto value = [](int m, size_t i) { return float((3 * m + 5 * i) % 7) - 3.0f; };
        std::vector<std::vector<float>> outputs(p);
        std::vector<std::string> errors = runGroup(p, [&](PeerGroup &group) {
          std::vector<float> send;
          for (size_t i = 0; i < total; ++i)
            send.push_back(value(group.me, i));
          std::vector<float> kept = send;
          outputs[group.me].assign(counts[group.me], -99.0f);
          // A first call on other inputs leaves stale partials in the scratch.
          std::vector<float> earlier, earlierOut(counts[group.me]);
          for (size_t i = 0; i < total; ++i)
            earlier.push_back(value(group.me + 50, i));
          scheduleReduceScatter(group, earlier.data(), earlierOut.data(), counts, algorithm);
          scheduleReduceScatter(group, send.data(), outputs[group.me].data(), counts, algorithm);
          if (send != kept)
            raise("member ", group.me, " wrote its input");
        });
        ASSERT_TRUE(errors.empty()) << where << "\n" << joined(errors);
        size_t offset = 0;
        for (int m = 0; m < p; ++m) {
          std::vector<float> want;
          for (size_t i = offset; i < offset + counts[m]; ++i) {
            float sum = 0;
            for (int from = 0; from < p; ++from)
              sum += value(from, i);
            want.push_back(sum);
          }
          EXPECT_EQ(outputs[m], want) << where << " member " << m;
          offset += counts[m];
        }
      }
}

TEST(CollectiveSchedules, AllToAllOnGroupsOfOneToNine) {
  for (int p = 1; p <= kMostMembers; ++p)
    for (CollectiveAlgorithm algorithm : collectiveSchedulesServing(CollectiveKind::AllToAll, p)) {
      std::string where = caseName(algorithm, p);
      // Member m sends member c (m + 2c) % 5 bytes: uneven, some empty.
      auto size = [](int m, int c) { return size_t((m + 2 * c) % 5); };
      std::vector<std::vector<char>> outputs(p);
      std::vector<std::string> errors = runGroup(p, [&](PeerGroup &group) {
        int me = group.me;
        std::vector<size_t> sendBytes, recvBytes;
        std::vector<char> send;
        size_t received = 0;
        for (int c = 0; c < p; ++c) {
          sendBytes.push_back(size(me, c));
          recvBytes.push_back(size(c, me));
          received += recvBytes.back();
          for (size_t i = 0; i < size(me, c); ++i)
            send.push_back(blockByte(me, c, i));
        }
        outputs[me].assign(received, 0x55);
        scheduleAllToAll(group, send.data(), sendBytes, outputs[me].data(), recvBytes,
                         algorithm);
      });
      ASSERT_TRUE(errors.empty()) << where << "\n" << joined(errors);
      for (int m = 0; m < p; ++m) {
        std::vector<char> want;
        for (int from = 0; from < p; ++from)
          for (size_t i = 0; i < size(from, m); ++i)
            want.push_back(blockByte(from, m, i));
        EXPECT_EQ(outputs[m], want) << where << " member " << m;
      }
    }
}

} // namespace
} // namespace quilt::test
