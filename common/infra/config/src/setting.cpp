#include "paypipe/infra/config/setting.hpp"

#include <algorithm>

namespace paypipe::infra::config {
namespace {

constexpr std::string_view kEnvPrefix = "PAYPIPE_";

std::string Range(const SettingInfo& setting) {
  switch (setting.kind) {
    case Kind::kInteger: {
      std::string range = std::to_string(setting.min) + "..";
      if (setting.max != SettingInfo{}.max) range += std::to_string(setting.max);
      return range;
    }
    case Kind::kDuration:
    case Kind::kDurationList: {
      std::string range = FormatDuration(setting.min_duration) + "..";
      if (setting.max_duration != SettingInfo{}.max_duration) {
        range += FormatDuration(setting.max_duration);
      }
      return range;
    }
    case Kind::kUrl: {
      std::string schemes;
      std::string_view rest = setting.choices;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        if (!schemes.empty()) schemes += " or ";
        schemes += std::string(rest.substr(0, comma)) + "://";
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      return schemes;
    }
    default:
      return {};
  }
}

}  // namespace

std::string FlagName(const SettingInfo& setting) {
  std::string flag(setting.env.substr(kEnvPrefix.size()));
  for (char& c : flag) {
    c = c == '_' ? '-' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return flag;
}

std::string FileVariable(const SettingInfo& setting) { return std::string(setting.env) + "_FILE"; }

bool AcceptsFile(const SettingInfo& setting) { return setting.sensitivity != Sensitivity::kPublic; }

std::string TypeName(const SettingInfo& setting) {
  switch (setting.kind) {
    case Kind::kString:
      return "TEXT";
    case Kind::kSecret:
      return "SECRET";
    case Kind::kUrl:
      return "URL";
    case Kind::kHostPort:
      return "HOST:PORT";
    case Kind::kEnum: {
      std::string choices(setting.choices);
      std::replace(choices.begin(), choices.end(), ',', '|');
      return choices;
    }
    case Kind::kInteger:
      return "INT";
    case Kind::kDuration:
      return "DURATION";
    case Kind::kDurationList:
      return "DURATION,...";
  }
  return "TEXT";
}

std::string DescribeForHelp(const SettingInfo& setting, Need need) {
  std::string text(setting.help);
  if (const std::string range = Range(setting); !range.empty()) text += " (" + range + ")";
  text += " [env: ";
  text += setting.env;
  if (AcceptsFile(setting)) text += " or " + FileVariable(setting);
  text += "]";
  if (setting.default_value.has_value()) {
    text += " [default: ";
    text += *setting.default_value;
    text += "]";
  } else if (need == Need::kRequired) {
    text += " [required]";
  }
  return text;
}

}  // namespace paypipe::infra::config
