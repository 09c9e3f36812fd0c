#include "paypipe/runtime/trace_context.hpp"

#include <algorithm>

#include "paypipe/infra/crypto/crypto.hpp"

namespace paypipe::runtime {
namespace {

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool AllZero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

// A hex id of `length` digits from a digest of `seed`, never all zero (the spec forbids it).
std::string HexIdFrom(std::string_view domain_tag, std::string_view seed, std::size_t length) {
  std::string input(domain_tag);
  input.append(seed);
  std::string id = infra::crypto::Sha256Hex(input).substr(0, length);
  if (AllZero(id)) id.back() = '1';
  return id;
}

}  // namespace

std::string TraceContext::ToHeader() const {
  return "00-" + trace_id + "-" + parent_id + "-" + flags;
}

std::optional<TraceContext> TraceContext::Parse(std::string_view header) {
  // version(2) '-' trace-id(32) '-' parent-id(16) '-' flags(2); later versions may append
  // fields after another '-', which version 00 parsing must tolerate.
  constexpr std::size_t kLength = 55;
  if (header.size() < kLength) return std::nullopt;
  if (header.size() > kLength && header[kLength] != '-') return std::nullopt;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  const std::string_view version = header.substr(0, 2);
  const std::string_view trace_id = header.substr(3, 32);
  const std::string_view parent_id = header.substr(36, 16);
  const std::string_view flags = header.substr(53, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" && header.size() != kLength) return std::nullopt;
  if (!IsLowerHex(trace_id) || AllZero(trace_id)) return std::nullopt;
  if (!IsLowerHex(parent_id) || AllZero(parent_id)) return std::nullopt;
  if (!IsLowerHex(flags)) return std::nullopt;
  return TraceContext{std::string(trace_id), std::string(parent_id), std::string(flags)};
}

TraceContext TraceContext::StartFrom(std::string_view seed) {
  return TraceContext{HexIdFrom("trace:", seed, 32), HexIdFrom("span:", seed, 16), "01"};
}

TraceContext TraceContext::Child(std::string_view child_seed) const {
  return TraceContext{trace_id, HexIdFrom("span:", child_seed, 16), flags};
}

}  // namespace paypipe::runtime
