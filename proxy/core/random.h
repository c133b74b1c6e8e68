#pragma once

// File: proxy/core/random.h
//
// Every random choice in the proxy and the simulation (weights, fault percentages, load
// balancer picks, jitter) draws from an injected RandomGenerator, so a seed fixes a run.

#include <cstdint>

namespace meshsim::proxy {

class RandomGenerator {
public:
  virtual ~RandomGenerator() = default;
  // Returns 64 uniformly distributed random bits.
  virtual uint64_t random() = 0;
  // Returns a value uniform in [0, n). n must be > 0.
  uint64_t uniform(uint64_t n) { return static_cast<uint64_t>(unit() * static_cast<double>(n)); }
  // Returns a value uniform in [0, 1).
  double unit() { return static_cast<double>(random() >> 11) * 0x1.0p-53; }
};

// xoshiro256** seeded through splitmix64: fast, well distributed, identical on every platform
// (unlike std::uniform_*_distribution, whose algorithms differ between standard libraries).
class SeededRandom : public RandomGenerator {
public:
  explicit SeededRandom(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }

  // proxy::RandomGenerator
  uint64_t random() override {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace meshsim::proxy
