// The fake ring's own rules, driven by hand as a worker would drive it.
#include "fake_ring.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringway::fake {
namespace {

using io::Operation;
using io::OperationKind;

struct RecordingPeer final : Peer {
  std::string received;
  int ends = 0;
  bool reset = false;
  void on_bytes(std::string_view bytes) override { received.append(bytes); }
  void on_end(bool was_reset) override {
    ++ends;
    reset = reset || was_reset;
  }
};

std::vector<io::Completion> turn(FakeRing& ring, unsigned wait_count = 1,
                                 std::uint64_t timeout_ms = 100) {
  EXPECT_EQ(ring.submit_and_wait(wait_count, timeout_ms), 0) << ring.failure();
  std::vector<io::Completion> completions;
  ring.for_each_completion(
      [&](const io::Completion& completion) { completions.push_back(completion); });
  return completions;
}

// Accepts one client through a new listener: its fd.
int accept_one(FakeRing& ring, RecordingPeer& peer, LinkId& link) {
  int listener = ring.add_listener();
  ring.prep_accept_multishot({OperationKind::accept, 0, 0}, listener);
  EXPECT_TRUE(ring.connect_client(listener, peer, link));
  std::vector<io::Completion> accepted = turn(ring);
  EXPECT_EQ(accepted.size(), 1u);
  EXPECT_TRUE(accepted[0].more);
  return accepted.empty() ? -1 : accepted[0].result;
}

TEST(FakeRing, MultishotReceiveTakesProvidedBuffersUntilTheEnd) {
  FakeRing ring(1, Faults{});
  RecordingPeer peer;
  LinkId link = 0;
  int fd = accept_one(ring, peer, link);
  ring.prep_receive_multishot({OperationKind::receive, 1, 0}, fd);
  ring.send_to_worker(link, "hello");
  std::vector<io::Completion> received = turn(ring);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].result, 5);
  EXPECT_TRUE(received[0].more && received[0].has_buffer);
  EXPECT_EQ(ring.receive_buffer(received[0].buffer_id, 5), "hello");
  ring.recycle_buffer(received[0].buffer_id);
  ring.shutdown_to_worker(link);
  std::vector<io::Completion> ended = turn(ring);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].result, 0);
  EXPECT_FALSE(ended[0].more);
  EXPECT_TRUE(ring.failure().empty()) << ring.failure();
}

TEST(FakeRing, AnEmptyPoolEndsAMultishotReceiveWithEnobufs) {
  FakeRing ring(1, Faults{}, 1);
  RecordingPeer peer;
  LinkId link = 0;
  int fd = accept_one(ring, peer, link);
  ring.prep_receive_multishot({OperationKind::receive, 1, 0}, fd);
  ring.send_to_worker(link, std::string(FakeRing::buffer_bytes + 10, 'x'));
  std::vector<io::Completion> received = turn(ring, 2);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].result, static_cast<int>(FakeRing::buffer_bytes));
  EXPECT_EQ(received[1].result, -ENOBUFS);
  EXPECT_FALSE(received[1].more);
}

TEST(FakeRing, ABufferRecycledTwiceOrReadAfterItsReleaseIsAFailure) {
  FakeRing ring(1, Faults{});
  RecordingPeer peer;
  LinkId link = 0;
  int fd = accept_one(ring, peer, link);
  ring.prep_receive_one_buffer({OperationKind::receive, 1, 0}, fd);
  ring.send_to_worker(link, "abc");
  std::vector<io::Completion> received = turn(ring);
  ASSERT_EQ(received.size(), 1u);
  ring.recycle_buffer(received[0].buffer_id);
  EXPECT_TRUE(ring.failure().empty());
  ring.recycle_buffer(received[0].buffer_id);
  EXPECT_NE(ring.failure().find("recycled while not lent"), std::string::npos) << ring.failure();
}

TEST(FakeRing, CancelAndCloseCancelsWhatIsInFlightAndTellsThePeer) {
  FakeRing ring(1, Faults{});
  RecordingPeer peer;
  LinkId link = 0;
  int fd = accept_one(ring, peer, link);
  ring.prep_receive_multishot({OperationKind::receive, 1, 0}, fd);
  ring.prep_cancel_and_close({OperationKind::socket_close, 1, 0}, fd);
  std::vector<io::Completion> completions = turn(ring, 3);
  int canceled = 0, closed = 0;
  for (const io::Completion& completion : completions) {
    canceled +=
        completion.operation.kind == OperationKind::receive && completion.result == -ECANCELED;
    closed += completion.operation.kind == OperationKind::socket_close && completion.result == 0;
  }
  EXPECT_EQ(canceled, 1);
  EXPECT_EQ(closed, 1);
  turn(ring, 1, 10);
  EXPECT_EQ(peer.ends, 1);
  EXPECT_EQ(ring.leftovers().find("descriptor " + std::to_string(fd) + " "), std::string::npos)
      << ring.leftovers();
}

TEST(FakeRing, TimeJumpsToTheNextEventWhenNothingIsReady) {
  FakeRing ring(1, Faults{});
  std::uint64_t start = ring.clock_ms();
  bool fired = false;
  ring.after(1234, [&] {
    fired = true;
    ring.wake();
  });
  ring.prep_wake_wait({OperationKind::wake, 0, 0});
  std::vector<io::Completion> woken = turn(ring, 1, 60'000);
  EXPECT_TRUE(fired);
  ASSERT_EQ(woken.size(), 1u);
  EXPECT_EQ(ring.clock_ms() - start, 1234u);
  turn(ring, 1, 100);  // nothing comes: the timeout passes
  EXPECT_EQ(ring.clock_ms() - start, 1334u);
}

TEST(FakeRing, OneSeedGivesOneSequence) {
  Faults faults;
  faults.partial_receive = 0.5;
  auto lengths = [&](std::uint64_t seed) {
    FakeRing ring(seed, faults);
    RecordingPeer peer;
    LinkId link = 0;
    int fd = accept_one(ring, peer, link);
    ring.prep_receive_multishot({OperationKind::receive, 1, 0}, fd);
    ring.send_to_worker(link, std::string(20000, 'y'));
    std::vector<int> seen;
    for (int index = 0; index < 20; ++index) {
      for (const io::Completion& completion : turn(ring, 1, 10)) {
        seen.push_back(completion.result);
        if (completion.has_buffer) ring.recycle_buffer(completion.buffer_id);
      }
    }
    return seen;
  };
  EXPECT_EQ(lengths(7), lengths(7));
  EXPECT_NE(lengths(7), lengths(8));
}

}  // namespace
}  // namespace ringway::fake
