#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>

#include "paypipe/infra/crypto/crypto.hpp"

namespace paypipe::sim {

// Deterministic pseudo-random source (xoshiro256**) for fault decisions and generated ids, so
// that a run is reproducible from its seed when requests arrive in the same order. Not for
// secrets that protect anything real. Thread-safe: one short lock per draw.
class SeededRandom final : public infra::crypto::RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed);

  void Reseed(std::uint64_t seed);
  void Fill(std::uint8_t* out, std::size_t size) override;

  [[nodiscard]] std::uint64_t NextU64();
  // Uniform in [0, 1).
  [[nodiscard]] double Uniform01();
  // Uniform in [low, high], both inclusive; low <= high.
  [[nodiscard]] std::int64_t UniformInt(std::int64_t low, std::int64_t high);
  [[nodiscard]] bool Bernoulli(double probability);

  [[nodiscard]] std::string Alphanumeric(std::size_t length);
  [[nodiscard]] std::string UpperHex(std::size_t length);

 private:
  [[nodiscard]] std::uint64_t NextLocked();

  std::mutex mutex_;
  std::array<std::uint64_t, 4> state_{};
};

}  // namespace paypipe::sim
