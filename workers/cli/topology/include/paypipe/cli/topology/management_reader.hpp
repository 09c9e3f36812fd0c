#pragma once

#include <string>

#include "paypipe/cli/topology/topology_command.hpp"
#include "paypipe/infra/http_client/client.hpp"

namespace paypipe::cli::topology {

// Reads exchanges, queues and bindings of one vhost from the RabbitMQ management API
// (`api_base` like http://user:pass@host:15672; credentials in the URL are sent as Basic auth).
class ManagementReader final : public BrokerReader {
 public:
  ManagementReader(infra::http_client::Client& client, std::string api_base, std::string vhost)
      : client_(client), api_base_(std::move(api_base)), vhost_(std::move(vhost)) {}

  [[nodiscard]] domain::Result<model::BrokerState> Read() override;

 private:
  [[nodiscard]] domain::Result<std::string> Get(const std::string& collection);

  infra::http_client::Client& client_;
  std::string api_base_;
  std::string vhost_;
};

// Percent-encodes a vhost for a management API path ("/" → "%2F").
[[nodiscard]] std::string EncodePathSegment(std::string_view segment);

}  // namespace paypipe::cli::topology
