#pragma once

// File: proxy/upstream/hash_lb.h
//
// Envoy's consistent-hash load balancers (Istio's DestinationRule consistentHash): the ring hash
// (ketama) and Maglev tables, built from the same host keys ("ip:port") and hashed with the same
// function (xxHash64), so a key maps to the same endpoint as in Envoy and a host leaving moves
// only the keys that were its own.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meshsim::proxy::upstream {

// XXH64 of `data` with `seed` (Envoy's HashUtil::xxHash64).
uint64_t xxHash64(std::string_view data, uint64_t seed = 0);

// A ring of (hash, host) points: each host gets ceil(min_ring_size / hosts) points, hashed from
// "KEY_0", "KEY_1", ...; a request hash goes to the first point at or after it (wrapping).
class RingHashTable {
public:
  // `keys[i]` names host i; every host has the same weight.
  RingHashTable(const std::vector<std::string>& keys, uint64_t min_ring_size,
                uint64_t max_ring_size);
  // The host index for `hash`, or -1 when the ring is empty. `attempt` > 0 (a retry that must
  // avoid earlier hosts) walks that many points further, as Envoy does.
  int pick(uint64_t hash, uint32_t attempt = 0) const;
  size_t size() const { return ring_.size(); }

private:
  struct Point {
    uint64_t hash;
    int host;
  };
  std::vector<Point> ring_;
};

// Maglev's lookup table of `table_size` (a prime) entries, filled by the hosts' permutations in
// turn (hosts sorted by key); a request hash picks entry hash % table_size.
class MaglevTable {
public:
  MaglevTable(const std::vector<std::string>& keys, uint64_t table_size);
  int pick(uint64_t hash, uint32_t attempt = 0) const;
  size_t size() const { return table_.size(); }

private:
  std::vector<int> table_;
};

// Whether `n` is prime (Envoy refuses a Maglev table size that is not).
bool isPrime(uint64_t n);

}  // namespace meshsim::proxy::upstream
