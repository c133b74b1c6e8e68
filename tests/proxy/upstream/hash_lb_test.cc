#include "proxy/upstream/hash_lb.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace meshsim::proxy::upstream {
namespace {

TEST(XxHash64Test, MatchesTheReferenceVectors) {
  EXPECT_EQ(xxHash64(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(xxHash64("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(xxHash64("abc"), 0x44BC2CF5AD770999ULL);
  // Longer than one 32-byte stripe.
  EXPECT_EQ(xxHash64("Nobody inspects the spammish repetition"), 0xFBCEA83C8A378BF1ULL);
}

std::vector<std::string> hosts(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) {
    keys.push_back("10.1.0." + std::to_string(10 + i) + ":8080");
  }
  return keys;
}

// Of 1,000 keys, every one on the host that left moves; of the others, returns how many moved.
template <typename Table>
int movedBesidesTheLeavers(const Table& before, const Table& after,
                           const std::vector<int>& after_to_before, int left) {
  int moved = 0;
  for (int k = 0; k < 1000; ++k) {
    const uint64_t h = xxHash64("user-" + std::to_string(k));
    const int was = before.pick(h);
    const int now = after_to_before[after.pick(h)];
    if (was == left) {
      EXPECT_NE(now, left) << "key " << k;
    } else if (now != was) {
      ++moved;
    }
  }
  return moved;
}

TEST(RingHashTableTest, SizeSpreadAndStability) {
  const RingHashTable ring(hosts(3), 1024, 8388608);
  EXPECT_EQ(ring.size(), 1026u);  // ceil(1024 / 3) points per host
  std::map<int, int> load;
  for (int k = 0; k < 3000; ++k) {
    const uint64_t h = xxHash64("user-" + std::to_string(k));
    const int host = ring.pick(h);
    EXPECT_EQ(ring.pick(h), host);  // the same key, the same host
    ++load[host];
  }
  ASSERT_EQ(load.size(), 3u);
  for (const auto& [host, n] : load) {
    EXPECT_GT(n, 700) << host;  // roughly a third each
  }
  // Host 1 leaves: its keys move. Envoy rescales the ring (342 -> 512 points per host), so the
  // stayers' new points take a few of each other's keys too; most stay.
  const std::vector<std::string> all = hosts(3);
  const RingHashTable smaller({all[0], all[2]}, 1024, 8388608);
  EXPECT_LT(movedBesidesTheLeavers(ring, smaller, {0, 2}, 1), 200);
  // With a ring that does not rescale (one point per host either way), only the leaver's move.
  const RingHashTable big(all, 1, 8388608);
  const RingHashTable big_smaller({all[0], all[2]}, 1, 8388608);
  EXPECT_EQ(movedBesidesTheLeavers(big, big_smaller, {0, 2}, 1), 0);
}

TEST(RingHashTableTest, RetryAttemptWalksToTheNextPointAndEmptyRingPicksNothing) {
  const RingHashTable ring(hosts(2), 4, 8388608);
  EXPECT_EQ(ring.size(), 4u);
  std::set<int> seen;
  for (uint32_t attempt = 0; attempt < 4; ++attempt) {
    seen.insert(ring.pick(12345, attempt));
  }
  EXPECT_EQ(seen.size(), 2u);  // walking the ring reaches the other host
  EXPECT_EQ(RingHashTable({}, 1024, 8388608).pick(1), -1);
}

TEST(MaglevTableTest, FillsEveryEntryEvenlyAndIsStable) {
  const MaglevTable table(hosts(3), 65537);
  EXPECT_EQ(table.size(), 65537u);
  std::map<int, int> entries;
  for (uint64_t i = 0; i < 65537; ++i) {
    ++entries[table.pick(i)];
  }
  ASSERT_EQ(entries.size(), 3u);
  for (const auto& [host, n] : entries) {
    EXPECT_GE(n, 21845) << host;  // each host fills one entry per round
    EXPECT_LE(n, 21846) << host;
  }
  const std::vector<std::string> all = hosts(3);
  const MaglevTable smaller({all[0], all[2]}, 65537);
  // Maglev's minimal disruption: the leaver's keys move, few others (not none).
  EXPECT_LT(movedBesidesTheLeavers(table, smaller, {0, 2}, 1), 100);
}

TEST(PrimeTest, Primes) {
  EXPECT_TRUE(isPrime(65537));
  EXPECT_TRUE(isPrime(2));
  EXPECT_FALSE(isPrime(65536));
  EXPECT_FALSE(isPrime(1));
}

}  // namespace
}  // namespace meshsim::proxy::upstream
