#include "paypipe/infra/log/logger.hpp"

#include <array>
#include <utility>

#include "paypipe/infra/log/json.hpp"

namespace paypipe::infra::log {
namespace {

constexpr std::array<std::string_view, 4> kLevelNames = {"debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 4> kEnvelopeKeys = {"ts", "level", "logger", "msg"};

// Typical lines fit without the string growing while being built.
constexpr std::size_t kInitialLineCapacity = 256;

void AppendKey(std::string& out, std::string_view key) {
  out.push_back(',');
  for (const std::string_view reserved : kEnvelopeKeys) {
    if (key == reserved) {
      std::string prefixed = "field.";
      prefixed.append(key);
      AppendJsonString(out, prefixed);
      out.push_back(':');
      return;
    }
  }
  AppendJsonString(out, key);
  out.push_back(':');
}

void AppendField(std::string& out, const Field& field) {
  AppendKey(out, field.key());
  std::visit(
      [&out](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out.append("null");
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          AppendJsonString(out, value);
        } else if constexpr (std::is_same_v<T, bool>) {
          out.append(value ? "true" : "false");
        } else {
          AppendJsonNumber(out, value);
        }
      },
      field.value());
}

std::string RenderFields(std::string bound, Fields fields) {
  for (const Field& field : fields) AppendField(bound, field);
  return bound;
}

}  // namespace

std::string_view ToString(Level level) {
  const auto index = static_cast<std::size_t>(level);
  return index < kLevelNames.size() ? kLevelNames[index] : "unknown";
}

std::optional<Level> ParseLevel(std::string_view text) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == text) return static_cast<Level>(i);
  }
  return std::nullopt;
}

Logger::Logger(Sink& sink, const clock::Clock& clock, Level threshold, std::string_view name)
    : shared_(std::make_shared<Shared>(sink, clock, threshold)), name_(name) {}

Logger::Logger(std::shared_ptr<Shared> shared, std::string name, std::string bound)
    : shared_(std::move(shared)), name_(std::move(name)), bound_(std::move(bound)) {}

Logger Logger::Child(std::string_view name, Fields fields) const {
  std::string child_name = name_;
  if (!child_name.empty() && !name.empty()) child_name.push_back('.');
  child_name.append(name);
  return {shared_, std::move(child_name), RenderFields(bound_, fields)};
}

Logger Logger::With(Fields fields) const { return {shared_, name_, RenderFields(bound_, fields)}; }

void Logger::Write(Level level, std::string_view msg, Fields fields) const {
  std::string line;
  line.reserve(kInitialLineCapacity + bound_.size() + msg.size());

  std::array<char, clock::kIso8601MillisSize> ts{};
  const std::size_t ts_size = clock::FormatIso8601Millis(shared_->clock->Now(), ts.data());
  line.append(R"({"ts":")");
  line.append(ts.data(), ts_size);
  line.append(R"(","level":")");
  line.append(ToString(level));
  line.append(R"(","logger":)");
  AppendJsonString(line, name_);
  line.append(R"(,"msg":)");
  AppendJsonString(line, msg);
  line.append(bound_);
  for (const Field& field : fields) AppendField(line, field);
  line.append("}\n");
  shared_->sink->Write(line);
}

}  // namespace paypipe::infra::log
