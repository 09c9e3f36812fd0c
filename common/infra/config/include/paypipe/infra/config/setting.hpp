#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "paypipe/infra/config/values.hpp"

namespace paypipe::infra::config {

// How a setting's text is checked and what type its value has (see Setting<T>).
enum class Kind {
  kString,    // any non-empty text                              -> std::string
  kSecret,    // any non-empty text, never shown                 -> Secret
  kUrl,       // URL whose scheme is one of `choices`            -> Url
  kHostPort,  // host:port                                       -> HostPort
  kEnum,      // one of `choices`                                -> std::string
  kInteger,   // decimal integer within [min, max]               -> std::int64_t
  kDuration,  // "30s", "5m", "1h30m"... within [min, max]       -> std::chrono::milliseconds
  // "1m,5m,1h": comma-separated durations, strictly increasing, each within [min, max]
  //                                                   -> std::vector<std::chrono::milliseconds>
  kDurationList,
};

// What may be shown of a value, and whether it may come from <NAME>_FILE.
enum class Sensitivity {
  kPublic,            // shown as is; <NAME>_FILE is refused
  kCredentialsInUrl,  // a URL whose password is redacted when shown; <NAME>_FILE accepted
  kSecret,            // never shown; <NAME>_FILE accepted
};

// Description of one setting. A literal type, so that the whole catalog is a compile-time table
// (settings.hpp). Fields are listed in the order designated initializers must follow.
struct SettingInfo {
  std::string_view env;   // "PAYPIPE_AMQP_URL"; the flag is derived from it: --amqp-url
  std::string_view help;  // one line for --help
  Kind kind = Kind::kString;
  Sensitivity sensitivity = Sensitivity::kPublic;
  std::optional<std::string_view> default_value = std::nullopt;
  // kUrl: accepted schemes; kEnum: accepted values. Comma-separated: "amqp,amqps".
  std::string_view choices = {};
  // kInteger: inclusive range.
  std::int64_t min = 0;
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  // kDuration, kDurationList: inclusive range (of each duration).
  std::chrono::milliseconds min_duration = std::chrono::milliseconds::zero();
  std::chrono::milliseconds max_duration = std::chrono::milliseconds::max();
};

namespace detail {

template <typename T>
consteval bool KindHoldsType(Kind kind) {
  switch (kind) {
    case Kind::kString:
    case Kind::kEnum:
      return std::is_same_v<T, std::string>;
    case Kind::kSecret:
      return std::is_same_v<T, Secret>;
    case Kind::kUrl:
      return std::is_same_v<T, Url>;
    case Kind::kHostPort:
      return std::is_same_v<T, HostPort>;
    case Kind::kInteger:
      return std::is_same_v<T, std::int64_t>;
    case Kind::kDuration:
      return std::is_same_v<T, std::chrono::milliseconds>;
    case Kind::kDurationList:
      return std::is_same_v<T, std::vector<std::chrono::milliseconds>>;
  }
  return false;
}

consteval bool IsEnvName(std::string_view env) {
  if (!env.starts_with("PAYPIPE_") || env.size() == 8 || env.ends_with("_FILE")) return false;
  for (const char c : env) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Throwing here is what turns a malformed catalog entry into a compile error.
consteval void CheckSettingInfo(const SettingInfo& info) {
  if (!IsEnvName(info.env)) {
    throw "setting names are PAYPIPE_[A-Z0-9_]+ and must not end in _FILE";
  }
  if (info.help.empty()) throw "every setting needs help text";
  if ((info.kind == Kind::kUrl || info.kind == Kind::kEnum) && info.choices.empty()) {
    throw "URL settings need accepted schemes, enum settings accepted values, in `choices`";
  }
  if (info.kind == Kind::kSecret && info.sensitivity != Sensitivity::kSecret) {
    throw "a kSecret setting must have Sensitivity::kSecret";
  }
  if (info.sensitivity == Sensitivity::kCredentialsInUrl && info.kind != Kind::kUrl) {
    throw "kCredentialsInUrl applies to URL settings only";
  }
  if (info.sensitivity == Sensitivity::kSecret && info.default_value.has_value()) {
    throw "a secret cannot have a default";
  }
  if (info.min > info.max || info.min_duration > info.max_duration) throw "empty range";
}

}  // namespace detail

// A setting whose value has type T; also the key to read that value from a Config:
// `config.Get(kAmqpUrl)` is a `const Url&`. The kind must match T, checked at compile time.
template <typename T>
struct Setting : SettingInfo {
  using Value = T;

  consteval explicit Setting(const SettingInfo& info) : SettingInfo(info) {
    detail::CheckSettingInfo(info);
    if (!detail::KindHoldsType<T>(info.kind)) throw "the setting's kind does not hold this type";
  }
};

// Whether a command needs a setting to have a value. A setting with a default always has one.
enum class Need { kRequired, kOptional };

struct SettingUse {
  const SettingInfo* setting;
  Need need;
};

[[nodiscard]] constexpr SettingUse Required(const SettingInfo& setting) {
  return {&setting, Need::kRequired};
}
[[nodiscard]] constexpr SettingUse Optional(const SettingInfo& setting) {
  return {&setting, Need::kOptional};
}

// "PAYPIPE_AMQP_URL" -> "amqp-url" (the flag is --amqp-url).
[[nodiscard]] std::string FlagName(const SettingInfo& setting);
// "PAYPIPE_API_TOKEN" -> "PAYPIPE_API_TOKEN_FILE".
[[nodiscard]] std::string FileVariable(const SettingInfo& setting);
[[nodiscard]] bool AcceptsFile(const SettingInfo& setting);
// Placeholder shown in --help: "URL", "HOST:PORT", "debug|info|warn|error", "INT", ...
[[nodiscard]] std::string TypeName(const SettingInfo& setting);
// The --help description: help text, accepted range or values, environment variable names, and
// the default or whether the command requires it.
[[nodiscard]] std::string DescribeForHelp(const SettingInfo& setting, Need need);

}  // namespace paypipe::infra::config
