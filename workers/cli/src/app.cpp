#include "paypipe/cli/app.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "paypipe/infra/config/settings.hpp"

#ifndef PAYPIPE_VERSION
#error "PAYPIPE_VERSION must be defined by the build"
#endif

namespace paypipe::cli {
namespace {

namespace config = infra::config;
namespace log = infra::log;

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto space = path.find(' ', start);
    const auto end = space == std::string_view::npos ? path.size() : space;
    if (end == start) {
      throw std::logic_error("command path \"" + std::string(path) +
                             "\" must be words separated by single spaces");
    }
    words.emplace_back(path.substr(start, end - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return words;
}

std::string JoinPath(const std::vector<std::string>& words, std::size_t count, char separator) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out.push_back(separator);
    out += words[i];
  }
  return out;
}

// True when `prefix` is `path` or its leading words.
bool IsWordPrefix(std::string_view prefix, std::string_view path) {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == ' ');
}

// A command wired into the CLI11 tree: where its flags land once parsed.
struct Leaf {
  Command* command = nullptr;
  CLI::App* app = nullptr;
  std::vector<config::SettingUse> uses;
  // Storage CLI11 writes flag values into; std::map keeps element addresses stable.
  std::map<const config::SettingInfo*, std::string> values;
  std::vector<std::pair<const config::SettingInfo*, const CLI::Option*>> options;
};

std::string CommandsFooter(const CommandRegistry& registry) {
  std::size_t width = 0;
  for (const auto& command : registry.commands()) width = std::max(width, command->Path().size());
  std::string footer = "Commands:\n";
  for (const auto& command : registry.commands()) {
    std::string path(command->Path());
    path.resize(width, ' ');
    footer += "  " + path + "  " + std::string(command->Summary()) + "\n";
  }
  footer +=
      "\nSettings come from PAYPIPE_* environment variables, overridden by each command's "
      "--flags;\nsecrets may instead be read from a file named by PAYPIPE_<NAME>_FILE. Unknown "
      "PAYPIPE_*\nvariables and invalid values stop the process (exit status 2).\nRun `paypipe "
      "COMMAND --help` for the settings a command reads.";
  return footer;
}

// The command's settings, each once (a setting listed twice is required if either listing
// requires it), plus PAYPIPE_LOG_LEVEL, which every command's logger reads.
std::vector<config::SettingUse> UsesWithLogLevel(std::vector<config::SettingUse> declared) {
  declared.push_back(config::Optional(config::kLogLevel));
  std::vector<config::SettingUse> uses;
  for (const config::SettingUse& use : declared) {
    const auto same = std::find_if(uses.begin(), uses.end(), [&use](const config::SettingUse& u) {
      return u.setting == use.setting;
    });
    if (same == uses.end()) {
      uses.push_back(use);
    } else if (use.need == config::Need::kRequired) {
      same->need = config::Need::kRequired;
    }
  }
  return uses;
}

struct Tree {
  std::vector<std::unique_ptr<Leaf>> leaves;
  // The root and every group: the CLI11 apps whose words are command names. A command's own app
  // is not among them; what follows its name belongs to the command, subcommands included.
  std::set<const CLI::App*> groups;
};

// Builds the CLI11 tree: groups for shared leading words, one leaf per command with a flag per
// setting it reads.
Tree BuildTree(CLI::App& app, const CommandRegistry& registry) {
  Tree tree;
  tree.groups.insert(&app);
  std::map<std::string, CLI::App*, std::less<>> groups;
  for (const auto& command : registry.commands()) {
    const std::vector<std::string> words = SplitPath(command->Path());
    CLI::App* parent = &app;
    for (std::size_t depth = 1; depth < words.size(); ++depth) {
      const std::string group_path = JoinPath(words, depth, ' ');
      auto found = groups.find(group_path);
      if (found == groups.end()) {
        CLI::App* group = parent->add_subcommand(words[depth - 1],
                                                 std::string(registry.GroupSummary(group_path)));
        group->require_subcommand(1);
        tree.groups.insert(group);
        found = groups.emplace(group_path, group).first;
      }
      parent = found->second;
    }

    auto leaf = std::make_unique<Leaf>();
    leaf->command = command.get();
    leaf->app = parent->add_subcommand(words.back(), std::string(command->Summary()));
    leaf->uses = UsesWithLogLevel(command->Settings());
    for (const config::SettingUse& use : leaf->uses) {
      std::string& storage = leaf->values[use.setting];
      CLI::Option* option = leaf->app->add_option("--" + config::FlagName(*use.setting), storage,
                                                  config::DescribeForHelp(*use.setting, use.need));
      option->type_name(config::TypeName(*use.setting));
      option->group("Settings");
      leaf->options.emplace_back(use.setting, option);
    }
    command->AddArguments(*leaf->app);
    tree.leaves.push_back(std::move(leaf));
  }
  // The footer lists full command paths, so CLI11's own list of first words would only repeat
  // part of it.
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) sub->group("");
  return tree;
}

// CLI11 reports a mistyped command word only as "A subcommand is required"; name it instead.
// Returns the words up to and including the first one that is not a command, or nothing.
std::optional<std::string> UnknownCommand(const CLI::App& app, const Tree& tree,
                                          const std::vector<std::string>& args) {
  const CLI::App* current = &app;
  std::string path;
  for (const std::string& arg : args) {
    if (arg.starts_with('-')) continue;
    if (!tree.groups.contains(current)) return std::nullopt;  // the rest are a command's arguments
    const auto children = current->get_subcommands([](const CLI::App*) { return true; });
    const auto match =
        std::find_if(children.begin(), children.end(),
                     [&arg](const CLI::App* child) { return child->get_name() == arg; });
    if (match == children.end()) return path.empty() ? arg : path + " " + arg;
    path += path.empty() ? arg : " " + arg;
    current = *match;
  }
  return std::nullopt;
}

// The command chosen on the command line: descends through groups to the first leaf.
const Leaf* SelectedLeaf(const CLI::App& app, const Tree& tree) {
  const CLI::App* current = &app;
  while (tree.groups.contains(current) && !current->get_subcommands().empty()) {
    current = current->get_subcommands().front();
  }
  for (const auto& leaf : tree.leaves) {
    if (leaf->app == current) return leaf.get();
  }
  return nullptr;
}

}  // namespace

void CommandRegistry::Add(std::unique_ptr<Command> command) {
  const std::string_view path = command->Path();
  (void)SplitPath(path);  // validates the form
  for (const auto& existing : commands_) {
    const std::string_view other = existing->Path();
    if (IsWordPrefix(other, path) || IsWordPrefix(path, other)) {
      throw std::logic_error("command \"" + std::string(path) + "\" clashes with \"" +
                             std::string(other) + "\"");
    }
  }
  commands_.push_back(std::move(command));
}

void CommandRegistry::DescribeGroup(std::string path, std::string summary) {
  group_summaries_[std::move(path)] = std::move(summary);
}

std::string_view CommandRegistry::GroupSummary(std::string_view path) const {
  const auto found = group_summaries_.find(path);
  return found == group_summaries_.end() ? std::string_view() : std::string_view(found->second);
}

std::string_view VersionText() { return "paypipe " PAYPIPE_VERSION; }

int RunCommandLine(const CommandRegistry& registry, const config::Catalog& catalog,
                   const Invocation& invocation) {
  CLI::App app("paypipe: payment event pipeline for Toss Payments and PortOne", "paypipe");
  app.set_version_flag("--version", std::string(VersionText()));
  app.require_subcommand(1);
  const Tree tree = BuildTree(app, registry);
  // Set after the tree is built: subcommands copy their parent's footer when they are added.
  app.footer(CommandsFooter(registry));

  if (const auto unknown = UnknownCommand(app, tree, invocation.args)) {
    const auto last_space = unknown->rfind(' ');
    const std::string parent =
        last_space == std::string::npos ? "paypipe" : "paypipe " + unknown->substr(0, last_space);
    invocation.err << "paypipe: unknown command \"" << *unknown << "\"\nRun `" << parent
                   << " --help` for the commands.\n";
    return kExitUsage;
  }
  try {
    std::vector<std::string> reversed(invocation.args.rbegin(), invocation.args.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error, invocation.out, invocation.err);
    return status == 0 ? kExitOk : kExitUsage;
  }

  const Leaf* leaf = SelectedLeaf(app, tree);
  if (leaf == nullptr) {
    invocation.err << "paypipe: no command given\n";
    return kExitUsage;
  }
  const std::string path(leaf->command->Path());

  config::FlagValues flags;
  for (const auto& [setting, option] : leaf->options) {
    if (option->count() > 0) flags.emplace(setting->env, leaf->values.at(setting));
  }
  auto loaded =
      config::Load(catalog, leaf->uses, invocation.environment, flags, invocation.read_file);
  if (!loaded.ok()) {
    invocation.err << "paypipe " << path << ": invalid configuration\n";
    std::string_view problems = loaded.error().message;
    while (!problems.empty()) {
      const auto newline = problems.find('\n');
      invocation.err << "  " << problems.substr(0, newline) << "\n";
      if (newline == std::string_view::npos) break;
      problems.remove_prefix(newline + 1);
    }
    invocation.err << "Run `paypipe " << path << " --help` for the settings it reads.\n";
    return kExitUsage;
  }
  const config::Config& settings = *loaded;

  // The enum's choices are the log levels, so parsing cannot fail.
  const log::Level level =
      log::ParseLevel(settings.Get(config::kLogLevel)).value_or(log::Level::kInfo);
  const log::Logger root(invocation.log_sink, invocation.clock, level, "paypipe");
  const log::Logger logger = root.Child(JoinPath(SplitPath(path), SplitPath(path).size(), '.'));
  const std::stop_callback log_stop(invocation.stop,
                                    [&logger] { logger.Info("shutdown requested"); });
  logger.Debug("starting", {{"command", path}, {"version", VersionText()}});

  const CommandContext context{settings,           logger,          invocation.clock,
                               invocation.metrics, invocation.stop, invocation.out};
  try {
    return leaf->command->Run(context);
  } catch (const std::exception& error) {
    logger.Error("command failed", {{"command", path}, {log::key::kError, error.what()}});
    return kExitFailure;
  }
}

}  // namespace paypipe::cli
