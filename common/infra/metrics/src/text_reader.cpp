#include "paypipe/infra/metrics/text_reader.hpp"

#include <string>

namespace paypipe::infra::metrics {

double SeriesValue(std::string_view text, std::string_view series) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(std::string(line.substr(series.size() + 1)));
    }
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return 0;
}

}  // namespace paypipe::infra::metrics
