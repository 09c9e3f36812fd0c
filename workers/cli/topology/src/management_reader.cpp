#include "paypipe/cli/topology/management_reader.hpp"

#include "paypipe/domain/percent_encoding.hpp"

namespace paypipe::cli::topology {

std::string EncodePathSegment(std::string_view segment) { return domain::PercentEncode(segment); }

domain::Result<std::string> ManagementReader::Get(const std::string& collection) {
  std::string base = api_base_;
  while (!base.empty() && base.back() == '/') base.pop_back();
  infra::http_client::ClientRequest request;
  request.url = base + "/api/" + collection + "/" + EncodePathSegment(vhost_);
  request.headers.Add("Accept", "application/json");
  auto response = client_.Send(request);
  if (!response.ok()) return response.error();
  if (response->status == 401) {
    return domain::Error::Permanent("RABBITMQ_API_AUTH_FAILED",
                                    "management API refused the credentials");
  }
  if (response->status == 404) {
    return domain::Error::Permanent("RABBITMQ_API_NOT_FOUND",
                                    "vhost '" + vhost_ + "' does not exist");
  }
  if (response->status != 200) {
    return domain::Error::Transient(
        "RABBITMQ_API_STATUS",
        "management API answered " + std::to_string(response->status) + " for " + collection);
  }
  return std::move(response->body);
}

domain::Result<model::BrokerState> ManagementReader::Read() {
  auto exchanges = Get("exchanges");
  if (!exchanges.ok()) return exchanges.error();
  auto queues = Get("queues");
  if (!queues.ok()) return queues.error();
  auto bindings = Get("bindings");
  if (!bindings.ok()) return bindings.error();
  return model::ParseBrokerState(*exchanges, *queues, *bindings);
}

}  // namespace paypipe::cli::topology
