#include "paypipe/runtime/stage.hpp"

namespace paypipe::runtime {

domain::Result<std::vector<std::vector<OutgoingMessage>>> Stage::HandleBatch(
    std::span<const Envelope* const> messages, UnitOfWork& work) const {
  std::vector<std::vector<OutgoingMessage>> out;
  out.reserve(messages.size());
  for (const Envelope* message : messages) {
    auto handled = Handle(*message, work);
    if (!handled.ok()) return handled.error();
    out.push_back(std::move(handled).value());
  }
  return out;
}

std::vector<domain::Result<nlohmann::json>> Stage::PrepareBatch(
    std::span<const Envelope* const> messages, PrepareContext& context) const {
  std::vector<domain::Result<nlohmann::json>> out;
  out.reserve(messages.size());
  for (const Envelope* message : messages) out.push_back(Prepare(*message, context));
  return out;
}

}  // namespace paypipe::runtime
