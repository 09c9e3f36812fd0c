#include "paypipe/cli/topology/topology_commands.hpp"

#include <chrono>
#include <memory>
#include <optional>

#include "paypipe/cli/topology/amqp_declarer.hpp"
#include "paypipe/cli/topology/management_reader.hpp"
#include "paypipe/cli/topology/topology_command.hpp"
#include "paypipe/infra/amqp/admin.hpp"
#include "paypipe/infra/config/settings.hpp"

namespace paypipe::cli::topology {
namespace {

namespace config = infra::config;
constexpr std::chrono::milliseconds kConnectTimeout{10'000};

domain::Result<infra::amqp::AmqpUrl> BrokerUrl(const CommandContext& context) {
  return infra::amqp::AmqpUrl::Parse(context.config.Get(config::kAmqpUrl).text);
}

std::optional<std::string> ApiUrl(const CommandContext& context) {
  if (const auto* url = context.config.Find(config::kRabbitmqApiUrl)) return url->text;
  return std::nullopt;
}

class ApplyCommand final : public Command {
 public:
  [[nodiscard]] std::string_view Path() const override { return "topology apply"; }
  [[nodiscard]] std::string_view Summary() const override {
    return "Declare the exchanges, queues and bindings of topology/ (idempotent); with the "
           "management API, queues whose arguments differ are named and left alone";
  }
  [[nodiscard]] std::vector<config::SettingUse> Settings() const override {
    return {config::Required(config::kAmqpUrl), config::Optional(config::kRabbitmqApiUrl)};
  }
  [[nodiscard]] int Run(const CommandContext& context) override {
    auto url = BrokerUrl(context);
    if (!url.ok()) {
      context.out << "error: " << url.error().message << "\n";
      return kExitUsage;
    }
    infra::amqp::ConnectionOptions options;
    options.connection_name = "paypipe topology apply";
    infra::amqp::Admin admin(*url, options);
    if (auto connected = admin.Connect(kConnectTimeout); !connected.ok()) {
      context.out << "error: cannot connect to " << *url << ": " << connected.error().message
                  << "\n";
      return kExitError;
    }
    AmqpDeclarer declarer(admin);
    const auto topology = model::Expand(model::TopologySpec::Default());
    const auto api = ApiUrl(context);
    if (!api) return Apply(topology, declarer, nullptr, context.out);
    infra::http_client::Client client;
    ManagementReader reader(client, *api, url->vhost);
    return Apply(topology, declarer, &reader, context.out);
  }
};

class CheckCommand final : public Command {
 public:
  [[nodiscard]] std::string_view Path() const override { return "topology check"; }
  [[nodiscard]] std::string_view Summary() const override {
    return "Compare the broker with topology/ through the management API and name every "
           "drift; exit 1 when there is any";
  }
  [[nodiscard]] std::vector<config::SettingUse> Settings() const override {
    return {config::Required(config::kAmqpUrl), config::Required(config::kRabbitmqApiUrl)};
  }
  [[nodiscard]] int Run(const CommandContext& context) override {
    auto url = BrokerUrl(context);
    if (!url.ok()) {
      context.out << "error: " << url.error().message << "\n";
      return kExitUsage;
    }
    infra::http_client::Client client;
    ManagementReader reader(client, *ApiUrl(context), url->vhost);
    return Check(model::Expand(model::TopologySpec::Default()), reader, context.out);
  }
};

class ExportCommand final : public Command {
 public:
  [[nodiscard]] std::string_view Path() const override { return "topology export"; }
  [[nodiscard]] std::string_view Summary() const override {
    return "Write RabbitMQ definitions JSON of topology/ to stdout, for rabbitmqctl "
           "import_definitions";
  }
  [[nodiscard]] std::vector<config::SettingUse> Settings() const override { return {}; }
  void AddArguments(CLI::App& app) override {
    app.add_option("--vhost", vhost_, "Virtual host the definitions are for")
        ->capture_default_str();
  }
  [[nodiscard]] int Run(const CommandContext& context) override {
    context.out << model::ExportDefinitions(model::Expand(model::TopologySpec::Default()), vhost_);
    return kExitOk;
  }

 private:
  std::string vhost_ = "/";
};

}  // namespace

void RegisterTopologyCommands(CommandRegistry& registry) {
  registry.DescribeGroup("topology", "Declare, export and check the broker topology");
  registry.Add(std::make_unique<ApplyCommand>());
  registry.Add(std::make_unique<CheckCommand>());
  registry.Add(std::make_unique<ExportCommand>());
}

}  // namespace paypipe::cli::topology
