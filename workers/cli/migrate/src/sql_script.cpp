#include "paypipe/cli/migrate/sql_script.hpp"

#include "paypipe/cli/migrate/migration.hpp"

namespace paypipe::cli::migrate {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// After `--` MySQL needs whitespace or a control character for a comment: `1--1` is
// arithmetic.
bool EndsDashDash(std::string_view script, std::size_t at) {
  return at >= script.size() || static_cast<unsigned char>(script[at]) <= ' ';
}

bool StartsWithWordIgnoringCase(std::string_view text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = text[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != word[i]) return false;
  }
  return text.size() == word.size() || IsBlank(text[word.size()]) || text[word.size()] == '\n';
}

std::string Trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && (IsBlank(text[begin]) || text[begin] == '\n')) ++begin;
  while (end > begin && (IsBlank(text[end - 1]) || text[end - 1] == '\n')) --end;
  return std::string(text.substr(begin, end - begin));
}

domain::Error Invalid(std::size_t line, const std::string& what) {
  return domain::Error::Permanent(std::string(kErrorScriptInvalid),
                                  "line " + std::to_string(line) + ": " + what);
}

class Splitter {
 public:
  explicit Splitter(std::string_view script) : script_(script) {}

  domain::Result<std::vector<SqlStatement>> Run() {
    while (pos_ < script_.size()) {
      const char c = script_[pos_];
      if (at_line_start_ && !significant_ &&
          StartsWithWordIgnoringCase(script_.substr(pos_), "DELIMITER")) {
        PAYPIPE_RETURN_IF_ERROR(ReadDelimiterCommand());
        continue;
      }
      if (script_.compare(pos_, delimiter_.size(), delimiter_) == 0) {
        Flush();
        pos_ += delimiter_.size();
        at_line_start_ = false;
        continue;
      }
      if (c == '\n') {
        Take(1);
        ++line_;
        at_line_start_ = true;
        continue;
      }
      if (IsBlank(c)) {
        Take(1);
        continue;
      }
      at_line_start_ = false;
      if (c == '\'' || c == '"' || c == '`') {
        PAYPIPE_RETURN_IF_ERROR(ReadQuoted(c));
      } else if (c == '#' || (c == '-' && Next(1) == '-' && EndsDashDash(script_, pos_ + 2))) {
        while (pos_ < script_.size() && script_[pos_] != '\n') Take(1);
      } else if (c == '/' && Next(1) == '*') {
        PAYPIPE_RETURN_IF_ERROR(ReadBlockComment());
      } else {
        MarkSignificant();
        Take(1);
      }
    }
    Flush();
    return std::move(statements_);
  }

 private:
  [[nodiscard]] char Next(std::size_t offset) const {
    return pos_ + offset < script_.size() ? script_[pos_ + offset] : '\0';
  }

  void Take(std::size_t count) {
    current_.append(script_.substr(pos_, count));
    pos_ += count;
  }

  void MarkSignificant() {
    if (significant_) return;
    significant_ = true;
    statement_line_ = line_;
  }

  void Flush() {
    if (significant_) statements_.push_back({Trim(current_), statement_line_});
    current_.clear();
    significant_ = false;
  }

  domain::Status ReadQuoted(char quote) {
    MarkSignificant();
    const std::size_t opened_at = line_;
    Take(1);
    while (true) {
      if (pos_ >= script_.size()) {
        return Invalid(opened_at, std::string("unterminated ") + quote + " quote");
      }
      const char c = script_[pos_];
      if (c == '\\' && quote != '`' && pos_ + 1 < script_.size()) {
        if (script_[pos_ + 1] == '\n') ++line_;
        Take(2);
        continue;
      }
      if (c == quote) {
        if (Next(1) == quote) {  // doubled quote: an escaped quote character
          Take(2);
          continue;
        }
        Take(1);
        return domain::Ok();
      }
      if (c == '\n') ++line_;
      Take(1);
    }
  }

  domain::Status ReadBlockComment() {
    // /*! ... */ and /*M! ... */ are executable comments: SQL the server runs.
    if (Next(2) == '!' || (Next(2) == 'M' && Next(3) == '!')) MarkSignificant();
    const std::size_t opened_at = line_;
    Take(2);
    while (true) {
      if (pos_ >= script_.size()) return Invalid(opened_at, "unterminated /* comment");
      if (script_[pos_] == '*' && Next(1) == '/') {
        Take(2);
        return domain::Ok();
      }
      if (script_[pos_] == '\n') ++line_;
      Take(1);
    }
  }

  domain::Status ReadDelimiterCommand() {
    std::size_t i = pos_ + std::string_view("DELIMITER").size();
    while (i < script_.size() && IsBlank(script_[i])) ++i;
    const std::size_t begin = i;
    while (i < script_.size() && !IsBlank(script_[i]) && script_[i] != '\n') ++i;
    const std::string_view token = script_.substr(begin, i - begin);
    while (i < script_.size() && IsBlank(script_[i])) ++i;
    if (token.empty()) return Invalid(line_, "DELIMITER needs a delimiter");
    if (i < script_.size() && script_[i] != '\n') {
      return Invalid(line_, "unexpected text after DELIMITER " + std::string(token));
    }
    if (token.find_first_of("'\"`\\") != std::string_view::npos) {
      return Invalid(line_, "a delimiter may not contain quotes or backslashes");
    }
    delimiter_ = std::string(token);
    current_.clear();  // only whitespace and comments preceded the command
    pos_ = i;
    return domain::Ok();
  }

  std::string_view script_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  bool at_line_start_ = true;
  std::string delimiter_ = ";";
  std::string current_;
  bool significant_ = false;
  std::size_t statement_line_ = 0;
  std::vector<SqlStatement> statements_;
};

}  // namespace

domain::Result<std::vector<SqlStatement>> SplitSqlScript(std::string_view script) {
  return Splitter(script).Run();
}

}  // namespace paypipe::cli::migrate
