#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "paypipe/domain/result.hpp"

namespace paypipe::runtime::topology {

// What topology/topology.json says: the stages and their retry tiers. Everything the broker
// holds (queues, arguments, bindings) is derived from this by Expand(), so there is one place to
// change and the derivation is tested.
struct StageSpec {
  std::string name;                                // "confirm"; also the work routing key
  std::vector<std::chrono::seconds> retry_tiers;   // wait before attempt 2, 3, ...
  std::int64_t delivery_limit = 0;                 // quorum redeliveries before dead-lettering
  std::int64_t max_length = 0;                     // work queue bound (reject-publish beyond)
};

struct TopologySpec {
  std::string work_exchange;
  std::string retry_exchange;
  std::string dead_letter_exchange;
  std::int64_t retry_max_length = 0;
  std::int64_t dlq_max_length = 0;
  std::vector<StageSpec> stages;

  [[nodiscard]] static domain::Result<TopologySpec> FromJson(std::string_view json);
  // The spec compiled into the binary from topology/topology.json.
  [[nodiscard]] static const TopologySpec& Default();
  [[nodiscard]] const StageSpec* FindStage(std::string_view name) const;
};

// The JSON text of topology/topology.json as it was at build time.
[[nodiscard]] std::string_view DefaultSpecJson();

// Names derived from a stage. These are contract: operators and dashboards rely on them.
[[nodiscard]] std::string WorkQueueName(std::string_view stage);                 // paypipe.confirm
[[nodiscard]] std::string RetryQueueName(std::string_view stage, std::size_t tier);  // paypipe.confirm.retry.1
[[nodiscard]] std::string RetryRoutingKey(std::string_view stage, std::size_t tier);  // confirm.1
[[nodiscard]] std::string DeadLetterQueueName(std::string_view stage);           // paypipe.confirm.dlq

// Queue arguments are strings or integers; nothing else is used.
using ArgumentValue = std::variant<std::string, std::int64_t>;
using Arguments = std::map<std::string, ArgumentValue>;
[[nodiscard]] std::string ToString(const ArgumentValue& value);

struct ExchangeDef {
  std::string name;
  std::string type;  // "direct"
  friend bool operator==(const ExchangeDef&, const ExchangeDef&) = default;
};

struct QueueDef {
  std::string name;
  Arguments arguments;  // includes x-queue-type
  friend bool operator==(const QueueDef&, const QueueDef&) = default;
};

struct BindingDef {
  std::string exchange;
  std::string queue;
  std::string routing_key;
  friend auto operator<=>(const BindingDef&, const BindingDef&) = default;
};

// Everything to declare, in an order that can be applied front to back.
struct Topology {
  std::vector<ExchangeDef> exchanges;
  std::vector<QueueDef> queues;
  std::vector<BindingDef> bindings;
};

// Derives exchanges, the quorum work queue (delivery limit, at-least-once dead-lettering with
// reject-publish and a max length), one wait queue per retry tier (fixed TTL, dead-lettering
// back to the work exchange) and the dead-letter queue of every stage.
[[nodiscard]] Topology Expand(const TopologySpec& spec);

// RabbitMQ definitions JSON (rabbitmqctl import_definitions) for one vhost. Users and
// permissions are not exported: they hold secrets and belong to the platform.
[[nodiscard]] std::string ExportDefinitions(const Topology& topology, std::string_view vhost,
                                            std::string_view rabbit_version = "3.10.8");

// What the broker has, as read from its management API.
struct BrokerState {
  std::vector<ExchangeDef> exchanges;
  std::vector<QueueDef> queues;
  std::vector<BindingDef> bindings;
};

// Parses the JSON arrays answered by GET /api/exchanges/{vhost}, /api/queues/{vhost} and
// /api/bindings/{vhost}.
[[nodiscard]] domain::Result<BrokerState> ParseBrokerState(std::string_view exchanges_json,
                                                           std::string_view queues_json,
                                                           std::string_view bindings_json);

enum class DriftKind {
  kMissingExchange,
  kExchangeType,
  kMissingQueue,
  kQueueArguments,
  kMissingBinding,
  kUnexpectedQueue,  // a paypipe.* queue the topology does not name
};

[[nodiscard]] const char* ToString(DriftKind kind);

struct ArgumentDifference {
  std::string argument;
  std::optional<std::string> expected;  // nullopt: the broker has it, the topology does not
  std::optional<std::string> actual;    // nullopt: the topology wants it, the broker lacks it
};

struct Drift {
  DriftKind kind;
  std::string subject;  // the exchange, queue or binding concerned
  std::vector<ArgumentDifference> arguments;  // for kQueueArguments
  std::string detail;   // human-readable summary naming every difference

  // True when applying the topology can fix it by declaring; false when it needs a migration
  // (a queue whose arguments differ cannot be redeclared: the broker answers 406).
  [[nodiscard]] bool FixableByApply() const;
};

[[nodiscard]] std::vector<Drift> Diff(const Topology& desired, const BrokerState& actual);

}  // namespace paypipe::runtime::topology
