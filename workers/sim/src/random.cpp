#include "paypipe/sim/random.hpp"

#include <cstring>
#include <string_view>

namespace paypipe::sim {
namespace {

std::uint64_t SplitMix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t RotateLeft(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

constexpr std::string_view kAlphanumeric =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kUpperHex = "0123456789ABCDEF";

}  // namespace

SeededRandom::SeededRandom(std::uint64_t seed) { Reseed(seed); }

void SeededRandom::Reseed(std::uint64_t seed) {
  std::lock_guard lock(mutex_);
  std::uint64_t x = seed;
  for (auto& word : state_) word = SplitMix64(x);
}

std::uint64_t SeededRandom::NextLocked() {
  const std::uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = RotateLeft(state_[3], 45);
  return result;
}

std::uint64_t SeededRandom::NextU64() {
  std::lock_guard lock(mutex_);
  return NextLocked();
}

void SeededRandom::Fill(std::uint8_t* out, std::size_t size) {
  std::lock_guard lock(mutex_);
  while (size > 0) {
    const std::uint64_t word = NextLocked();
    const std::size_t n = size < sizeof(word) ? size : sizeof(word);
    std::memcpy(out, &word, n);
    out += n;
    size -= n;
  }
}

double SeededRandom::Uniform01() {
  // The top 53 bits give every representable double in [0, 1) with step 2^-53.
  return static_cast<double>(NextU64() >> 11) * 0x1.0p-53;
}

std::int64_t SeededRandom::UniformInt(std::int64_t low, std::int64_t high) {
  const auto span = static_cast<std::uint64_t>(high - low) + 1;
  if (span == 0) return static_cast<std::int64_t>(NextU64());  // the whole 64-bit range
  // Rejection sampling keeps the distribution exactly uniform.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % span);
  std::uint64_t draw = 0;
  do {
    draw = NextU64();
  } while (draw >= limit);
  return low + static_cast<std::int64_t>(draw % span);
}

bool SeededRandom::Bernoulli(double probability) {
  if (probability <= 0.0) return false;
  if (probability >= 1.0) return true;
  return Uniform01() < probability;
}

std::string SeededRandom::Alphanumeric(std::size_t length) {
  std::string out(length, '0');
  const auto last = static_cast<std::int64_t>(kAlphanumeric.size()) - 1;
  for (auto& c : out) c = kAlphanumeric[static_cast<std::size_t>(UniformInt(0, last))];
  return out;
}

std::string SeededRandom::UpperHex(std::size_t length) {
  std::string out(length, '0');
  for (auto& c : out) c = kUpperHex[static_cast<std::size_t>(UniformInt(0, 15))];
  return out;
}

}  // namespace paypipe::sim
