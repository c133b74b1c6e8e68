#include "proxy/upstream/hash_lb.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace meshsim::proxy::upstream {

namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

uint64_t rotl(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

uint64_t read64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | p[i];  // little-endian, whatever the host's order
  }
  return v;
}

uint64_t read32(const unsigned char* p) {
  return static_cast<uint64_t>(p[0]) | static_cast<uint64_t>(p[1]) << 8 |
         static_cast<uint64_t>(p[2]) << 16 | static_cast<uint64_t>(p[3]) << 24;
}

uint64_t round64(uint64_t acc, uint64_t input) {
  acc += input * kPrime2;
  acc = rotl(acc, 31);
  return acc * kPrime1;
}

uint64_t mergeRound(uint64_t acc, uint64_t val) {
  acc ^= round64(0, val);
  return acc * kPrime1 + kPrime4;
}

}  // namespace

uint64_t xxHash64(std::string_view data, uint64_t seed) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const unsigned char* const end = p + data.size();
  uint64_t h = 0;
  if (data.size() >= 32) {
    uint64_t v1 = seed + kPrime1 + kPrime2;
    uint64_t v2 = seed + kPrime2;
    uint64_t v3 = seed;
    uint64_t v4 = seed - kPrime1;
    const unsigned char* const limit = end - 32;
    do {
      v1 = round64(v1, read64(p));
      v2 = round64(v2, read64(p + 8));
      v3 = round64(v3, read64(p + 16));
      v4 = round64(v4, read64(p + 24));
      p += 32;
    } while (p <= limit);
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = seed + kPrime5;
  }
  h += data.size();
  while (end - p >= 8) {
    h ^= round64(0, read64(p));
    h = rotl(h, 27) * kPrime1 + kPrime4;
    p += 8;
  }
  if (end - p >= 4) {
    h ^= read32(p) * kPrime1;
    h = rotl(h, 23) * kPrime2 + kPrime3;
    p += 4;
  }
  while (p < end) {
    h ^= (*p) * kPrime5;
    h = rotl(h, 11) * kPrime1;
    ++p;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

RingHashTable::RingHashTable(const std::vector<std::string>& keys, uint64_t min_ring_size,
                             uint64_t max_ring_size) {
  if (keys.empty()) {
    return;
  }
  // Envoy's Ring constructor with equal weights: the least-weighted host gets a whole number of
  // points, running sums spread any fraction.
  const double weight = 1.0 / static_cast<double>(keys.size());
  const double scale = std::min(std::ceil(weight * static_cast<double>(min_ring_size)) / weight,
                                static_cast<double>(max_ring_size));
  ring_.reserve(static_cast<size_t>(std::ceil(scale)));
  double current = 0;
  double target = 0;
  std::string key;
  for (size_t host = 0; host < keys.size(); ++host) {
    target += scale * weight;
    for (uint64_t i = 0; current < target; ++i, ++current) {
      key.assign(keys[host]).append("_").append(std::to_string(i));
      ring_.push_back({xxHash64(key), static_cast<int>(host)});
    }
  }
  std::stable_sort(ring_.begin(), ring_.end(),
                   [](const Point& a, const Point& b) { return a.hash < b.hash; });
}

int RingHashTable::pick(uint64_t hash, uint32_t attempt) const {
  if (ring_.empty()) {
    return -1;
  }
  // ketama_get_server, as Envoy ports it (signed bounds).
  const auto n = static_cast<int64_t>(ring_.size());
  int64_t low = 0;
  int64_t high = n;
  int64_t mid = 0;
  while (true) {
    mid = (low + high) / 2;
    if (mid == n) {
      mid = 0;
      break;
    }
    const uint64_t midval = ring_[mid].hash;
    const uint64_t midval1 = mid == 0 ? 0 : ring_[mid - 1].hash;
    if (hash <= midval && hash > midval1) {
      break;
    }
    if (midval < hash) {
      low = mid + 1;
    } else {
      high = mid - 1;
    }
    if (low > high) {
      mid = 0;
      break;
    }
  }
  if (attempt > 0) {
    mid = (mid + attempt) % n;
  }
  return ring_[mid].host;
}

MaglevTable::MaglevTable(const std::vector<std::string>& keys, uint64_t table_size) {
  if (keys.empty() || table_size < 2) {
    return;
  }
  struct Entry {
    int host;
    uint64_t offset;
    uint64_t skip;
    uint64_t next = 0;
  };
  std::vector<int> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return keys[a] < keys[b]; });
  std::vector<Entry> entries;
  entries.reserve(keys.size());
  for (int host : order) {
    entries.push_back(
        {host, xxHash64(keys[host]) % table_size, xxHash64(keys[host], 1) % (table_size - 1) + 1});
  }
  // Equal weights: every host takes one slot per round, in key order (the paper's listing 1).
  table_.assign(table_size, -1);
  uint64_t filled = 0;
  while (filled < table_size) {
    for (size_t i = 0; i < entries.size() && filled < table_size; ++i) {
      Entry& e = entries[i];
      uint64_t c = (e.offset + e.skip * e.next) % table_size;
      while (table_[c] >= 0) {
        ++e.next;
        c = (e.offset + e.skip * e.next) % table_size;
      }
      table_[c] = e.host;
      ++e.next;
      ++filled;
    }
  }
}

int MaglevTable::pick(uint64_t hash, uint32_t attempt) const {
  if (table_.empty()) {
    return -1;
  }
  if (attempt > 0) {
    hash ^= ~0ULL - attempt + 1;  // a far-away entry for a retry, as Envoy does
  }
  return table_[hash % table_.size()];
}

bool isPrime(uint64_t n) {
  if (n < 2) {
    return false;
  }
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) {
      return false;
    }
  }
  return true;
}

}  // namespace meshsim::proxy::upstream
