#include "paypipe/runtime/topology/topology.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace paypipe::runtime::topology {
namespace {

using domain::Error;
using nlohmann::json;

constexpr std::string_view kPrefix = "paypipe.";

Error Invalid(const std::string& what) {
  return Error::Permanent("TOPOLOGY_INVALID", "topology: " + what);
}

std::int64_t PositiveInt(const json& object, const char* key, std::int64_t fallback) {
  if (!object.contains(key)) return fallback;
  const auto& value = object.at(key);
  if (!value.is_number_integer() || value.get<std::int64_t>() <= 0) {
    throw std::invalid_argument(std::string(key) + " must be a positive integer");
  }
  return value.get<std::int64_t>();
}

json ArgumentsJson(const Arguments& arguments) {
  json out = json::object();
  for (const auto& [key, value] : arguments) {
    std::visit([&](const auto& v) { out[key] = v; }, value);
  }
  return out;
}

// The management API reports arguments with JSON types; integers stay integers and everything
// else is compared by its text.
Arguments ArgumentsFromJson(const json& object) {
  Arguments out;
  if (!object.is_object()) return out;
  for (const auto& [key, value] : object.items()) {
    if (value.is_number_integer()) {
      out[key] = value.get<std::int64_t>();
    } else if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else {
      out[key] = value.dump();
    }
  }
  return out;
}

std::string JoinDifferences(const std::vector<ArgumentDifference>& differences) {
  std::string out;
  for (const auto& d : differences) {
    if (!out.empty()) out += "; ";
    out += d.argument + ": expected " + (d.expected ? *d.expected : "(absent)") + ", broker has " +
           (d.actual ? *d.actual : "(absent)");
  }
  return out;
}

}  // namespace

domain::Result<TopologySpec> TopologySpec::FromJson(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Invalid("not a JSON object");
  try {
    if (doc.value("version", 0) != 1) return Invalid("unsupported version (expected 1)");
    TopologySpec spec;
    const json& exchanges = doc.at("exchanges");
    spec.work_exchange = exchanges.at("work").get<std::string>();
    spec.retry_exchange = exchanges.at("retry").get<std::string>();
    spec.dead_letter_exchange = exchanges.at("dead_letter").get<std::string>();
    const json defaults = doc.value("defaults", json::object());
    const std::int64_t delivery_limit = PositiveInt(defaults, "delivery_limit", 10);
    const std::int64_t max_length = PositiveInt(defaults, "max_length", 1000000);
    spec.retry_max_length = PositiveInt(defaults, "retry_max_length", max_length);
    spec.dlq_max_length = PositiveInt(defaults, "dlq_max_length", max_length);
    std::set<std::string> seen;
    for (const json& stage : doc.at("stages")) {
      StageSpec s;
      s.name = stage.at("name").get<std::string>();
      if (s.name.empty() || s.name.find_first_of(". \t#*") != std::string::npos) {
        return Invalid("stage name '" + s.name + "' must be non-empty without '.', '#', '*'");
      }
      if (!seen.insert(s.name).second) return Invalid("stage '" + s.name + "' named twice");
      s.delivery_limit = PositiveInt(stage, "delivery_limit", delivery_limit);
      s.max_length = PositiveInt(stage, "max_length", max_length);
      for (const json& tier : stage.at("retry_tiers_seconds")) {
        if (!tier.is_number_integer() || tier.get<std::int64_t>() <= 0) {
          return Invalid("stage '" + s.name + "': retry tiers must be positive seconds");
        }
        s.retry_tiers.emplace_back(tier.get<std::int64_t>());
      }
      if (!std::is_sorted(s.retry_tiers.begin(), s.retry_tiers.end())) {
        return Invalid("stage '" + s.name + "': retry tiers must not get shorter");
      }
      spec.stages.push_back(std::move(s));
    }
    return spec;
  } catch (const std::exception& e) {
    return Invalid(e.what());
  }
}

const TopologySpec& TopologySpec::Default() {
  static const TopologySpec spec = [] {
    auto parsed = FromJson(DefaultSpecJson());
    if (!parsed.ok()) throw std::logic_error(parsed.error().message);
    return std::move(parsed).value();
  }();
  return spec;
}

const StageSpec* TopologySpec::FindStage(std::string_view name) const {
  for (const auto& stage : stages) {
    if (stage.name == name) return &stage;
  }
  return nullptr;
}

std::string WorkQueueName(std::string_view stage) { return std::string(kPrefix).append(stage); }

std::string RetryQueueName(std::string_view stage, std::size_t tier) {
  return WorkQueueName(stage) + ".retry." + std::to_string(tier);
}

std::string RetryRoutingKey(std::string_view stage, std::size_t tier) {
  return std::string(stage) + "." + std::to_string(tier);
}

std::string DeadLetterQueueName(std::string_view stage) { return WorkQueueName(stage) + ".dlq"; }

std::string ToString(const ArgumentValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  return std::to_string(std::get<std::int64_t>(value));
}

Topology Expand(const TopologySpec& spec) {
  Topology t;
  for (const auto& name : {spec.work_exchange, spec.retry_exchange, spec.dead_letter_exchange}) {
    t.exchanges.push_back({name, "direct"});
  }
  for (const auto& stage : spec.stages) {
    const std::string work = WorkQueueName(stage.name);
    // At-least-once dead-lettering needs reject-publish: with drop-head the broker silently
    // falls back to at-most-once.
    t.queues.push_back({work,
                        {{"x-queue-type", std::string("quorum")},
                         {"x-delivery-limit", stage.delivery_limit},
                         {"x-dead-letter-exchange", spec.dead_letter_exchange},
                         {"x-dead-letter-routing-key", stage.name},
                         {"x-dead-letter-strategy", std::string("at-least-once")},
                         {"x-overflow", std::string("reject-publish")},
                         {"x-max-length", stage.max_length}}});
    t.bindings.push_back({spec.work_exchange, work, stage.name});
    for (std::size_t i = 0; i < stage.retry_tiers.size(); ++i) {
      const std::size_t tier = i + 1;
      const std::string wait = RetryQueueName(stage.name, tier);
      // One fixed TTL per wait queue: expired messages leave only from the head.
      const std::int64_t ttl_ms = std::chrono::milliseconds(stage.retry_tiers[i]).count();
      t.queues.push_back({wait,
                          {{"x-queue-type", std::string("quorum")},
                           {"x-message-ttl", ttl_ms},
                           {"x-dead-letter-exchange", spec.work_exchange},
                           {"x-dead-letter-routing-key", stage.name},
                           {"x-dead-letter-strategy", std::string("at-least-once")},
                           {"x-overflow", std::string("reject-publish")},
                           {"x-max-length", spec.retry_max_length}}});
      t.bindings.push_back({spec.retry_exchange, wait, RetryRoutingKey(stage.name, tier)});
    }
    const std::string dlq = DeadLetterQueueName(stage.name);
    t.queues.push_back({dlq,
                        {{"x-queue-type", std::string("quorum")},
                         {"x-overflow", std::string("reject-publish")},
                         {"x-max-length", spec.dlq_max_length}}});
    t.bindings.push_back({spec.dead_letter_exchange, dlq, stage.name});
  }
  return t;
}

std::string ExportDefinitions(const Topology& topology, std::string_view vhost,
                              std::string_view rabbit_version) {
  json doc;
  doc["rabbit_version"] = rabbit_version;
  doc["rabbitmq_version"] = rabbit_version;
  doc["vhosts"] = json::array({{{"name", vhost}}});
  doc["users"] = json::array();
  doc["permissions"] = json::array();
  doc["policies"] = json::array();
  doc["parameters"] = json::array();
  doc["global_parameters"] = json::array();
  json exchanges = json::array();
  for (const auto& e : topology.exchanges) {
    exchanges.push_back({{"name", e.name},
                         {"vhost", vhost},
                         {"type", e.type},
                         {"durable", true},
                         {"auto_delete", false},
                         {"internal", false},
                         {"arguments", json::object()}});
  }
  doc["exchanges"] = std::move(exchanges);
  json queues = json::array();
  for (const auto& q : topology.queues) {
    queues.push_back({{"name", q.name},
                      {"vhost", vhost},
                      {"durable", true},
                      {"auto_delete", false},
                      {"arguments", ArgumentsJson(q.arguments)}});
  }
  doc["queues"] = std::move(queues);
  json bindings = json::array();
  for (const auto& b : topology.bindings) {
    bindings.push_back({{"source", b.exchange},
                        {"vhost", vhost},
                        {"destination", b.queue},
                        {"destination_type", "queue"},
                        {"routing_key", b.routing_key},
                        {"arguments", json::object()}});
  }
  doc["bindings"] = std::move(bindings);
  return doc.dump(2) + "\n";
}

domain::Result<BrokerState> ParseBrokerState(std::string_view exchanges_json,
                                             std::string_view queues_json,
                                             std::string_view bindings_json) {
  const json exchanges = json::parse(exchanges_json, nullptr, false);
  const json queues = json::parse(queues_json, nullptr, false);
  const json bindings = json::parse(bindings_json, nullptr, false);
  if (!exchanges.is_array() || !queues.is_array() || !bindings.is_array()) {
    return Error::Transient("RABBITMQ_API_INVALID", "management API did not answer JSON arrays");
  }
  BrokerState state;
  try {
    for (const auto& e : exchanges) {
      state.exchanges.push_back({e.at("name").get<std::string>(), e.at("type").get<std::string>()});
    }
    for (const auto& q : queues) {
      state.queues.push_back(
          {q.at("name").get<std::string>(), ArgumentsFromJson(q.value("arguments", json::object()))});
    }
    for (const auto& b : bindings) {
      if (b.value("destination_type", "") != "queue" || b.value("source", "").empty()) continue;
      state.bindings.push_back({b.at("source").get<std::string>(),
                                b.at("destination").get<std::string>(),
                                b.at("routing_key").get<std::string>()});
    }
  } catch (const std::exception& e) {
    return Error::Transient("RABBITMQ_API_INVALID", std::string("management API answer: ") + e.what());
  }
  return state;
}

const char* ToString(DriftKind kind) {
  switch (kind) {
    case DriftKind::kMissingExchange:
      return "missing-exchange";
    case DriftKind::kExchangeType:
      return "exchange-type";
    case DriftKind::kMissingQueue:
      return "missing-queue";
    case DriftKind::kQueueArguments:
      return "queue-arguments";
    case DriftKind::kMissingBinding:
      return "missing-binding";
    case DriftKind::kUnexpectedQueue:
      return "unexpected-queue";
  }
  return "unknown";
}

bool Drift::FixableByApply() const {
  return kind == DriftKind::kMissingExchange || kind == DriftKind::kMissingQueue ||
         kind == DriftKind::kMissingBinding;
}

std::vector<Drift> Diff(const Topology& desired, const BrokerState& actual) {
  std::vector<Drift> drifts;
  for (const auto& want : desired.exchanges) {
    auto it = std::find_if(actual.exchanges.begin(), actual.exchanges.end(),
                           [&](const ExchangeDef& e) { return e.name == want.name; });
    if (it == actual.exchanges.end()) {
      drifts.push_back({DriftKind::kMissingExchange, want.name, {}, "exchange is not declared"});
    } else if (it->type != want.type) {
      drifts.push_back({DriftKind::kExchangeType, want.name, {},
                        "type is " + it->type + ", expected " + want.type});
    }
  }
  std::set<std::string> wanted_queues;
  for (const auto& want : desired.queues) {
    wanted_queues.insert(want.name);
    auto it = std::find_if(actual.queues.begin(), actual.queues.end(),
                           [&](const QueueDef& q) { return q.name == want.name; });
    if (it == actual.queues.end()) {
      drifts.push_back({DriftKind::kMissingQueue, want.name, {}, "queue is not declared"});
      continue;
    }
    std::vector<ArgumentDifference> differences;
    for (const auto& [key, value] : want.arguments) {
      auto have = it->arguments.find(key);
      if (have == it->arguments.end()) {
        differences.push_back({key, ToString(value), std::nullopt});
      } else if (ToString(have->second) != ToString(value)) {
        differences.push_back({key, ToString(value), ToString(have->second)});
      }
    }
    for (const auto& [key, value] : it->arguments) {
      if (!want.arguments.contains(key)) differences.push_back({key, std::nullopt, ToString(value)});
    }
    if (!differences.empty()) {
      std::string detail = JoinDifferences(differences);
      drifts.push_back({DriftKind::kQueueArguments, want.name, std::move(differences),
                        std::move(detail)});
    }
  }
  for (const auto& want : desired.bindings) {
    if (std::find(actual.bindings.begin(), actual.bindings.end(), want) == actual.bindings.end()) {
      drifts.push_back({DriftKind::kMissingBinding,
                        want.exchange + " -> " + want.queue + " (" + want.routing_key + ")",
                        {},
                        "binding is not declared"});
    }
  }
  for (const auto& have : actual.queues) {
    if (have.name.starts_with(kPrefix) && !wanted_queues.contains(have.name)) {
      drifts.push_back({DriftKind::kUnexpectedQueue, have.name, {},
                        "queue is not part of the topology"});
    }
  }
  return drifts;
}

}  // namespace paypipe::runtime::topology
