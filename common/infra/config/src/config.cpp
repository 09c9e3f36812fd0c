#include "paypipe/infra/config/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "paypipe/infra/config/settings.hpp"

namespace paypipe::infra::config {
namespace {

constexpr std::string_view kPrefix = "PAYPIPE_";
constexpr std::string_view kFileSuffix = "_FILE";
// Further apart than this, a suggestion would be a guess rather than a likely typo.
constexpr std::size_t kMaxSuggestionDistance = 3;
constexpr std::size_t kMaxSecretFileBytes = std::size_t{64} * 1024;

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string Suggestion(const Catalog& catalog, std::string_view unknown) {
  std::string best;
  std::size_t best_distance = kMaxSuggestionDistance + 1;
  const auto consider = [&](std::string candidate) {
    const std::size_t distance = EditDistance(unknown, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::move(candidate);
    }
  };
  for (const SettingInfo* setting : catalog.settings()) {
    consider(std::string(setting->env));
    if (AcceptsFile(*setting)) consider(FileVariable(*setting));
  }
  return best.empty() ? std::string() : " (did you mean " + best + "?)";
}

std::string JoinChoices(std::string_view choices) {
  std::string out(choices);
  std::string::size_type at = 0;
  while ((at = out.find(',', at)) != std::string::npos) {
    out.replace(at, 1, ", ");
    at += 2;
  }
  return out;
}

bool IsChoice(std::string_view choices, std::string_view value) {
  while (!choices.empty()) {
    const auto comma = choices.find(',');
    if (choices.substr(0, comma) == value) return true;
    if (comma == std::string_view::npos) break;
    choices.remove_prefix(comma + 1);
  }
  return false;
}

domain::Error Invalid(std::string message) {
  return domain::Error::Permanent("CONFIG_INVALID", std::move(message));
}

std::string HowToSet(const SettingInfo& setting) {
  std::string how = "set " + std::string(setting.env);
  if (AcceptsFile(setting)) how += ", " + FileVariable(setting);
  return how + " or --" + FlagName(setting);
}

// Text to typed value, or what is wrong with it (never quoting the text itself).
domain::Result<Value> Convert(const SettingInfo& setting, std::string_view text) {
  switch (setting.kind) {
    case Kind::kString:
      return Value(std::string(text));
    case Kind::kSecret:
      return Value(Secret(std::string(text)));
    case Kind::kUrl: {
      auto url = ParseUrl(text);
      if (!url.ok()) return url.error();
      if (!IsChoice(setting.choices, url->scheme)) {
        return Invalid("the scheme must be " + JoinChoices(setting.choices) + ", not \"" +
                       url->scheme + "\"");
      }
      return Value(std::move(url).value());
    }
    case Kind::kHostPort: {
      auto host_port = ParseHostPort(text);
      if (!host_port.ok()) return host_port.error();
      return Value(std::move(host_port).value());
    }
    case Kind::kEnum:
      if (!IsChoice(setting.choices, text)) {
        return Invalid("must be one of " + JoinChoices(setting.choices));
      }
      return Value(std::string(text));
    case Kind::kInteger: {
      auto number = ParseInteger(text);
      if (!number.ok()) return number.error();
      if (*number < setting.min || *number > setting.max) {
        return Invalid("must be between " + std::to_string(setting.min) + " and " +
                       std::to_string(setting.max));
      }
      return Value(*number);
    }
    case Kind::kDuration: {
      auto duration = ParseDuration(text);
      if (!duration.ok()) return duration.error();
      if (*duration < setting.min_duration || *duration > setting.max_duration) {
        return Invalid("must be between " + FormatDuration(setting.min_duration) + " and " +
                       FormatDuration(setting.max_duration));
      }
      return Value(*duration);
    }
    case Kind::kDurationList: {
      auto durations = ParseDurationList(text);
      if (!durations.ok()) return durations.error();
      for (const auto duration : *durations) {
        if (duration < setting.min_duration || duration > setting.max_duration) {
          return Invalid("every duration must be between " + FormatDuration(setting.min_duration) +
                         " and " + FormatDuration(setting.max_duration));
        }
      }
      return Value(std::move(durations).value());
    }
  }
  return Invalid("unknown kind");
}

std::string TrimTrailingNewlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

struct Resolved {
  Source source = Source::kUnset;
  std::optional<Value> value;
  std::string origin;
  bool failed = false;
};

class Resolver {
 public:
  Resolver(const Catalog& catalog, const Environment& environment, const FlagValues& flags,
           const FileReader& read_file)
      : catalog_(catalog), environment_(environment), flags_(flags), read_file_(read_file) {}

  void CheckVariableNames() {
    for (const auto& [name, value] : environment_) {
      if (!name.starts_with(kPrefix) || catalog_.Find(name) != nullptr) continue;
      if (name.ends_with(kFileSuffix)) {
        const std::string_view base =
            std::string_view(name).substr(0, name.size() - kFileSuffix.size());
        if (const SettingInfo* setting = catalog_.Find(base)) {
          if (!AcceptsFile(*setting)) {
            Problem(name, std::string(base) +
                              " is not a secret and cannot be read from a file; set " +
                              std::string(base) + " itself");
          }
          continue;
        }
      }
      Problem(name, "unknown setting" + Suggestion(catalog_, name));
    }
    for (const auto& [name, value] : flags_) {
      if (catalog_.Find(name) == nullptr) {
        throw std::logic_error("config::Load: flag value for unknown setting " + name);
      }
    }
  }

  Resolved Resolve(const SettingInfo& setting) {
    Resolved resolved;
    const auto from_env = environment_.find(setting.env);
    const auto from_file =
        AcceptsFile(setting) ? environment_.find(FileVariable(setting)) : environment_.end();
    if (from_env != environment_.end() && from_file != environment_.end()) {
      Problem(setting.env, "both " + std::string(setting.env) + " and " + FileVariable(setting) +
                               " are set; set only one");
      resolved.failed = true;
      return resolved;
    }

    std::string text;
    std::string where;
    if (const auto flag = flags_.find(setting.env); flag != flags_.end()) {
      resolved.source = Source::kFlag;
      text = flag->second;
      where = "--" + FlagName(setting);
    } else if (from_env != environment_.end()) {
      resolved.source = Source::kEnvironment;
      text = from_env->second;
      where = "the environment";
    } else if (from_file != environment_.end()) {
      resolved.source = Source::kFile;
      resolved.origin = from_file->second;
      where = "file " + resolved.origin;
      auto content = read_file_(resolved.origin);
      if (!content.ok()) {
        Problem(setting.env, "cannot read " + FileVariable(setting) + "=" + resolved.origin + ": " +
                                 content.error().message);
        resolved.failed = true;
        return resolved;
      }
      text = TrimTrailingNewlines(std::move(content).value());
    } else if (setting.default_value.has_value()) {
      resolved.source = Source::kDefault;
      text = std::string(*setting.default_value);
      where = "the default";
    } else {
      return resolved;
    }

    if (text.empty()) {
      Problem(setting.env, "the value from " + where + " is empty" +
                               (resolved.source == Source::kEnvironment
                                    ? "; unset the variable to leave the setting unset"
                                    : ""));
      resolved.failed = true;
      return resolved;
    }
    auto value = Convert(setting, text);
    if (!value.ok()) {
      const std::string shown = setting.sensitivity == Sensitivity::kPublic
                                    ? " \"" + text + "\""
                                    : std::string(" (not shown)");
      Problem(setting.env,
              "invalid value" + shown + " from " + where + ": " + value.error().message);
      resolved.failed = true;
      return resolved;
    }
    resolved.value = std::move(value).value();
    return resolved;
  }

  void Problem(std::string_view variable, const std::string& what) {
    problems_.push_back(std::string(variable) + ": " + what);
  }

  [[nodiscard]] const std::vector<std::string>& problems() const { return problems_; }

 private:
  const Catalog& catalog_;
  const Environment& environment_;
  const FlagValues& flags_;
  const FileReader& read_file_;
  std::vector<std::string> problems_;
};

std::string Show(const SettingInfo& setting, const Value& value) {
  if (setting.sensitivity == Sensitivity::kSecret) {
    // The scheme and host of a secret URL tell operators which endpoint is configured (the
    // simulator's or the real one) without revealing the credential in its path.
    if (const Url* url = std::get_if<Url>(&value)) {
      return url->Origin() + "/" + std::string(kRedacted);
    }
    return std::string(kRedacted);
  }
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, Secret>) {
          return std::string(kRedacted);
        } else if constexpr (std::is_same_v<T, Url>) {
          return v.Redacted();  // a password is never shown, whatever the setting
        } else if constexpr (std::is_same_v<T, HostPort>) {
          return v.ToString();
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
          return FormatDuration(v);
        } else {
          return FormatDurationList(v);
        }
      },
      value);
}

}  // namespace

Catalog::Catalog(std::span<const SettingInfo* const> settings)
    : settings_(settings.begin(), settings.end()) {
  std::set<std::string_view> names;
  for (const SettingInfo* setting : settings_) {
    if (!names.insert(setting->env).second) {
      throw std::logic_error("config catalog: " + std::string(setting->env) + " listed twice");
    }
    if (setting->default_value.has_value()) {
      auto value = Convert(*setting, *setting->default_value);
      if (!value.ok()) {
        throw std::logic_error("config catalog: the default of " + std::string(setting->env) +
                               " is invalid: " + value.error().message);
      }
    }
  }
}

Catalog Catalog::Builtin() { return Catalog(kAllSettings); }

const SettingInfo* Catalog::Find(std::string_view env) const {
  const auto found = std::find_if(settings_.begin(), settings_.end(),
                                  [env](const SettingInfo* s) { return s->env == env; });
  return found == settings_.end() ? nullptr : *found;
}

Environment EnvironmentFromBlock(const char* const* envp) {
  Environment environment;
  for (; envp != nullptr && *envp != nullptr; ++envp) {
    const std::string_view entry(*envp);
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos || !entry.starts_with(kPrefix)) continue;
    environment.emplace(entry.substr(0, equals), entry.substr(equals + 1));
  }
  return environment;
}

domain::Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return domain::Error::Permanent("CONFIG_FILE_UNREADABLE", std::strerror(errno));
  }
  // A secret is a few hundred bytes; a path mistakenly naming a large file or a device such as
  // /dev/zero must fail instead of filling memory.
  std::string content(kMaxSecretFileBytes + 1, '\0');
  file.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (file.bad()) {
    return domain::Error::Permanent("CONFIG_FILE_UNREADABLE", "read error");
  }
  content.resize(static_cast<std::size_t>(file.gcount()));
  if (content.size() > kMaxSecretFileBytes) {
    return domain::Error::Permanent(
        "CONFIG_FILE_UNREADABLE", "larger than " + std::to_string(kMaxSecretFileBytes) + " bytes");
  }
  return content;
}

std::string_view ToString(Source source) {
  switch (source) {
    case Source::kUnset:
      return "unset";
    case Source::kDefault:
      return "default";
    case Source::kEnvironment:
      return "environment";
    case Source::kFile:
      return "file";
    case Source::kFlag:
      return "flag";
  }
  return "unknown";
}

const Config::Entry& Config::Declared(const SettingInfo& setting) const {
  for (const Entry& entry : entries_) {
    if (entry.setting == &setting) return entry;
  }
  throw std::logic_error(std::string(setting.env) +
                         " was not declared in the command's settings; add it there");
}

void Config::ThrowUnset(const SettingInfo& setting) {
  throw std::logic_error(std::string(setting.env) +
                         " is unset; declare it Required or read it with Find");
}

domain::Error Config::MissingError(const SettingInfo& setting) {
  return domain::Error::Permanent(
      "CONFIG_MISSING", std::string(setting.env) + ": required here; " + HowToSet(setting));
}

std::vector<ShownSetting> Config::Show() const {
  std::vector<ShownSetting> shown;
  shown.reserve(entries_.size());
  for (const Entry& entry : entries_) {
    shown.push_back({entry.setting, entry.need, entry.source,
                     entry.value.has_value() ? config::Show(*entry.setting, *entry.value) : "",
                     entry.origin});
  }
  return shown;
}

std::string Config::Dump() const {
  std::string out;
  for (const ShownSetting& line : Show()) {
    out += line.setting->env;
    if (line.source == Source::kUnset) {
      out += "  # unset\n";
      continue;
    }
    out += "=" + line.value + "  # " + std::string(ToString(line.source));
    if (line.source == Source::kFile) out += " " + line.origin;
    if (line.source == Source::kFlag) out += " --" + FlagName(*line.setting);
    out += "\n";
  }
  return out;
}

domain::Result<Config> Load(const Catalog& catalog, std::span<const SettingUse> uses,
                            const Environment& environment, const FlagValues& flags,
                            const FileReader& read_file) {
  // A setting listed twice counts as required if either listing requires it.
  std::map<const SettingInfo*, Need> needs;
  for (const SettingUse& use : uses) {
    if (catalog.Find(use.setting->env) != use.setting) {
      throw std::logic_error("config::Load: " + std::string(use.setting->env) +
                             " is used but not in the catalog");
    }
    auto [it, added] = needs.emplace(use.setting, use.need);
    if (!added && use.need == Need::kRequired) it->second = Need::kRequired;
  }

  Resolver resolver(catalog, environment, flags, read_file);
  resolver.CheckVariableNames();

  Config config;
  for (const SettingInfo* setting : catalog.settings()) {
    Resolved resolved = resolver.Resolve(*setting);
    const auto need = needs.find(setting);
    if (need == needs.end()) continue;
    if (!resolved.failed && !resolved.value.has_value() && need->second == Need::kRequired) {
      resolver.Problem(setting->env, "required by this command; " + HowToSet(*setting));
    }
    config.entries_.push_back({setting, need->second, resolved.source, std::move(resolved.value),
                               std::move(resolved.origin)});
  }

  if (!resolver.problems().empty()) {
    std::string message;
    for (const std::string& problem : resolver.problems()) {
      if (!message.empty()) message += '\n';
      message += problem;
    }
    return domain::Error::Permanent("CONFIG_INVALID", std::move(message));
  }
  return config;
}

}  // namespace paypipe::infra::config
