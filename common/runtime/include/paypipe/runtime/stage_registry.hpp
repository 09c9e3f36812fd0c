#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/runtime/stage.hpp"

namespace paypipe::runtime {

// The stages a binary can run, by name. Built once in main (the only place that knows every
// stage library) and handed to `paypipe worker`; read-only afterwards, so sharing it between
// threads is safe.
class StageRegistry {
 public:
  // A name registered twice is a programming error.
  void Add(std::unique_ptr<Stage> stage) {
    const std::string name(stage->Name());
    if (!stages_.emplace(name, std::move(stage)).second) {
      throw std::logic_error("stage registered twice: " + name);
    }
  }
  [[nodiscard]] const Stage* Find(std::string_view name) const {
    const auto found = stages_.find(name);
    return found == stages_.end() ? nullptr : found->second.get();
  }
  [[nodiscard]] std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& [name, stage] : stages_) names.push_back(name);
    return names;
  }

 private:
  std::map<std::string, std::unique_ptr<Stage>, std::less<>> stages_;
};

}  // namespace paypipe::runtime
