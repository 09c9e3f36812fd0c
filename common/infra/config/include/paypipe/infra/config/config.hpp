#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "paypipe/domain/result.hpp"
#include "paypipe/infra/config/setting.hpp"
#include "paypipe/infra/config/values.hpp"

namespace paypipe::infra::config {

// The settings a process knows. Unknown PAYPIPE_* variables are judged against it.
class Catalog {
 public:
  // Duplicate names, or a default its own setting rejects, are programming errors:
  // std::logic_error. The SettingInfo objects must outlive the catalog and every Config.
  explicit Catalog(std::span<const SettingInfo* const> settings);
  // Every setting of settings.hpp.
  [[nodiscard]] static Catalog Builtin();

  [[nodiscard]] const SettingInfo* Find(std::string_view env) const;
  [[nodiscard]] std::span<const SettingInfo* const> settings() const noexcept { return settings_; }

 private:
  std::vector<const SettingInfo*> settings_;
};

// PAYPIPE_* variables of the process, by name. Built in main from the process environment;
// everything else takes it as a plain value, so that loading is testable without a process.
using Environment = std::map<std::string, std::string, std::less<>>;
// Values given as --flags, by setting name (PAYPIPE_...).
using FlagValues = std::map<std::string, std::string, std::less<>>;
// Reads a file given by <NAME>_FILE.
using FileReader = std::function<domain::Result<std::string>(const std::string& path)>;

// The PAYPIPE_* entries of an environment block such as main's envp.
[[nodiscard]] Environment EnvironmentFromBlock(const char* const* envp);
// The whole content of a file of at most 64 KiB; a failure is a Permanent
// "CONFIG_FILE_UNREADABLE" error.
[[nodiscard]] domain::Result<std::string> ReadWholeFile(const std::string& path);

// Where a value came from.
enum class Source { kUnset, kDefault, kEnvironment, kFile, kFlag };
[[nodiscard]] std::string_view ToString(Source source);

// One line of a dump: what an operator may see of a setting.
struct ShownSetting {
  const SettingInfo* setting;
  Need need;
  Source source;
  std::string value;   // redacted as the setting's sensitivity requires; empty when unset
  std::string origin;  // the file a value was read from, else empty
};

using Value = std::variant<std::string, Secret, Url, HostPort, std::int64_t,
                           std::chrono::milliseconds, std::vector<std::chrono::milliseconds>>;

// Validated, typed values of the settings a command declared. Immutable once loaded; safe to
// share between threads.
class Config {
 public:
  // The value of a setting the command declared. Asking for a setting that was not declared, or
  // for an unset one (declare it Required, or use Find) is a programming error: std::logic_error.
  template <typename T>
  [[nodiscard]] const T& Get(const Setting<T>& setting) const {
    const Entry& entry = Declared(setting);
    if (!entry.value.has_value()) ThrowUnset(setting);
    return std::get<T>(*entry.value);
  }

  // The value, or nullptr when the setting is unset (optional settings without a default).
  template <typename T>
  [[nodiscard]] const T* Find(const Setting<T>& setting) const {
    const Entry& entry = Declared(setting);
    return entry.value.has_value() ? &std::get<T>(*entry.value) : nullptr;
  }

  // The value, or a Permanent "CONFIG_MISSING" error naming the setting — for settings a command
  // needs only in some modes (the Slack URL for the notify-slack stage only).
  template <typename T>
  [[nodiscard]] domain::Result<T> Require(const Setting<T>& setting) const {
    if (const T* value = Find(setting)) return *value;
    return MissingError(setting);
  }

  [[nodiscard]] Source SourceOf(const SettingInfo& setting) const {
    return Declared(setting).source;
  }

  // The declared settings in catalog order, secrets redacted.
  [[nodiscard]] std::vector<ShownSetting> Show() const;
  // Show() as text, one `NAME=value  # source` line per setting.
  [[nodiscard]] std::string Dump() const;

 private:
  friend domain::Result<Config> Load(const Catalog&, std::span<const SettingUse>,
                                     const Environment&, const FlagValues&, const FileReader&);

  struct Entry {
    const SettingInfo* setting;
    Need need;
    Source source;
    std::optional<Value> value;
    std::string origin;
  };

  [[nodiscard]] const Entry& Declared(const SettingInfo& setting) const;
  [[noreturn]] static void ThrowUnset(const SettingInfo& setting);
  [[nodiscard]] static domain::Error MissingError(const SettingInfo& setting);

  std::vector<Entry> entries_;
};

// Reads and validates configuration for a command that uses `uses`:
//  - every PAYPIPE_* variable must name a catalog setting (or be <NAME>_FILE of a secret);
//  - a value comes from its --flag, else from NAME or NAME_FILE (setting both is an error; the
//    file's trailing newlines are trimmed), else from the default;
//  - every value present is validated, used by this command or not, so that a shared environment
//    with a typo fails everywhere at once;
//  - settings the command requires must have a value.
// All problems are reported together in one Permanent "CONFIG_INVALID" error, one
// `NAME: what is wrong` per line, and never include a secret's value.
[[nodiscard]] domain::Result<Config> Load(const Catalog& catalog, std::span<const SettingUse> uses,
                                          const Environment& environment,
                                          const FlagValues& flags = {},
                                          const FileReader& read_file = ReadWholeFile);

}  // namespace paypipe::infra::config
