// splitmix64 (Steele, Lea, Flood 2014): the one small generator and hash used wherever a random
// choice must come out the same on every platform and library -- splits, the demo recordings,
// the order of training batches, augmentation draws. Integer arithmetic, exact everywhere.
#pragma once

#include <cmath>
#include <cstdint>

namespace tinyllm {

inline constexpr uint64_t kSplitMixGamma = 0x9e3779b97f4a7c15ULL;

// One splitmix64 step as a hash: nearby inputs give unrelated outputs.
constexpr uint64_t splitmix64(uint64_t x) {
  x += kSplitMixGamma;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  // An independent stream per (seed, id), so that e.g. person 3's recording does not change
  // when the number of repetitions of person 2 does.
  static SplitMix64 stream(uint64_t seed, uint64_t id) {
    SplitMix64 mixer(seed ^ (id * 0xd1b54a32d192ed03ULL));
    mixer.next();
    return SplitMix64(mixer.next());
  }

  uint64_t next() {
    const uint64_t out = splitmix64(state_);
    state_ += kSplitMixGamma;
    return out;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n); the modulo bias is below 2^-40 for the small n used here.
  uint64_t below(uint64_t n) { return next() % n; }
  // Standard normal by Box-Muller; the second value of each pair is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: the log stays finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    constexpr double kTwoPi = 6.283185307179586476925;
    spare_ = r * std::sin(kTwoPi * u2);
    has_spare_ = true;
    return r * std::cos(kTwoPi * u2);
  }

 private:
  uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace tinyllm
