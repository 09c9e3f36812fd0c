#include "paypipe/cli/topology/topology_command.hpp"

#include <set>
#include <string>

namespace paypipe::cli::topology {
namespace {

void PrintDrift(const model::Drift& drift, std::ostream& out) {
  out << "drift " << model::ToString(drift.kind) << " " << drift.subject << ": " << drift.detail
      << "\n";
}

}  // namespace

int Apply(const model::Topology& topology, Declarer& declarer, BrokerReader* reader,
          std::ostream& out) {
  std::set<std::string> refused_queues;
  if (reader != nullptr) {
    auto state = reader->Read();
    if (!state.ok()) {
      out << "error: cannot read the broker's state: " << state.error().message << "\n";
      return kExitError;
    }
    for (const auto& drift : model::Diff(topology, *state)) {
      if (drift.kind == model::DriftKind::kQueueArguments) {
        PrintDrift(drift, out);
        out << "  refusing to redeclare " << drift.subject
            << ": its arguments can only change by migrating the queue (new name, move "
               "messages, delete the old one)\n";
        refused_queues.insert(drift.subject);
      } else if (drift.kind == model::DriftKind::kExchangeType) {
        PrintDrift(drift, out);
        return kExitDrift;
      }
    }
  }
  int declared = 0;
  for (const auto& exchange : topology.exchanges) {
    if (auto s = declarer.DeclareExchange(exchange); !s.ok()) {
      out << "error: exchange " << exchange.name << ": " << s.error().message << "\n";
      return kExitError;
    }
    ++declared;
  }
  bool failed = false;
  for (const auto& queue : topology.queues) {
    if (refused_queues.contains(queue.name)) continue;
    if (auto s = declarer.DeclareQueue(queue); !s.ok()) {
      out << "error: queue " << queue.name << ": " << s.error().message << "\n";
      if (s.error().kind != domain::ErrorKind::kPermanent) return kExitError;
      refused_queues.insert(queue.name);
      failed = true;
      continue;
    }
    ++declared;
  }
  for (const auto& binding : topology.bindings) {
    if (refused_queues.contains(binding.queue)) continue;
    if (auto s = declarer.Bind(binding); !s.ok()) {
      out << "error: binding " << binding.exchange << " -> " << binding.queue << ": "
          << s.error().message << "\n";
      return kExitError;
    }
    ++declared;
  }
  out << "applied " << declared << " declarations";
  if (!refused_queues.empty()) out << "; " << refused_queues.size() << " queue(s) left as they are";
  out << "\n";
  return refused_queues.empty() && !failed ? kExitOk : kExitDrift;
}

int Check(const model::Topology& topology, BrokerReader& reader, std::ostream& out) {
  auto state = reader.Read();
  if (!state.ok()) {
    out << "error: cannot read the broker's state: " << state.error().message << "\n";
    return kExitError;
  }
  const auto drifts = model::Diff(topology, *state);
  for (const auto& drift : drifts) PrintDrift(drift, out);
  if (drifts.empty()) {
    out << "no drift: " << topology.exchanges.size() << " exchanges, " << topology.queues.size()
        << " queues, " << topology.bindings.size() << " bindings as declared\n";
    return kExitOk;
  }
  out << drifts.size() << " drift(s)\n";
  return kExitDrift;
}

}  // namespace paypipe::cli::topology
