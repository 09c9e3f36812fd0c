#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"

namespace paypipe::infra::crypto {

// Lower-case hex of the SHA-256 digest of `data`.
[[nodiscard]] std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256 of `data` under `key`.
[[nodiscard]] std::string HmacSha256(std::string_view key, std::string_view data);

[[nodiscard]] std::string Base64Encode(std::string_view bytes);
// Standard alphabet with padding; anything else is a Permanent "BASE64_INVALID" error.
[[nodiscard]] domain::Result<std::string> Base64Decode(std::string_view text);

[[nodiscard]] std::string HexEncode(std::string_view bytes);

// Compares in time that depends only on the lengths, never on where the inputs differ.
[[nodiscard]] bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Source of randomness, injected so that tests can be deterministic.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void Fill(std::uint8_t* out, std::size_t size) = 0;
};

// Cryptographically strong bytes from the operating system.
class SystemRandom final : public RandomSource {
 public:
  void Fill(std::uint8_t* out, std::size_t size) override;
};

// Random (version 4) UUID in canonical text form.
[[nodiscard]] std::string UuidV4(RandomSource& random);
// Name-based UUID (version 5 layout, SHA-256 truncated) of `name` within `name_space`: the same
// inputs always give the same id, which is how derived messages get deterministic ids.
[[nodiscard]] std::string DeterministicUuid(std::string_view name_space, std::string_view name);

}  // namespace paypipe::infra::crypto
