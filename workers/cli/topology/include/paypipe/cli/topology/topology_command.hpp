#pragma once

#include <ostream>
#include <string_view>

#include "paypipe/domain/result.hpp"
#include "paypipe/runtime/topology/topology.hpp"

namespace paypipe::cli::topology {

namespace model = paypipe::runtime::topology;

// Declares objects on the broker. Every call is idempotent for an object that already exists
// with the same definition.
class Declarer {
 public:
  virtual ~Declarer() = default;
  [[nodiscard]] virtual domain::Status DeclareExchange(const model::ExchangeDef& exchange) = 0;
  [[nodiscard]] virtual domain::Status DeclareQueue(const model::QueueDef& queue) = 0;
  [[nodiscard]] virtual domain::Status Bind(const model::BindingDef& binding) = 0;
};

// Reads what the broker holds (the management API).
class BrokerReader {
 public:
  virtual ~BrokerReader() = default;
  [[nodiscard]] virtual domain::Result<model::BrokerState> Read() = 0;
};

// Exit codes of the topology commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitDrift = 1;   // check found drift; apply refused to touch a queue
inline constexpr int kExitError = 3;   // broker or API unreachable, or a declaration failed

// Declares the topology. When a reader is given, the broker is read first and a queue whose
// arguments differ is reported with every differing argument and left alone (redeclaring it
// would fail with 406 and could not change it anyway); everything else is still declared.
// Without a reader, a 406 from the broker is reported with its reply text.
[[nodiscard]] int Apply(const model::Topology& topology, Declarer& declarer, BrokerReader* reader,
                        std::ostream& out);

// Compares the broker with the topology; prints one line per drift. kExitOk when none.
[[nodiscard]] int Check(const model::Topology& topology, BrokerReader& reader, std::ostream& out);

}  // namespace paypipe::cli::topology
