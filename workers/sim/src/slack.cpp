#include "paypipe/sim/slack.hpp"

#include <algorithm>
#include <array>

#include "paypipe/domain/ascii.hpp"
#include "paypipe/sim/errors.hpp"
#include "util.hpp"

namespace paypipe::sim {
namespace {

using infra::http::Request;
using infra::http::Response;
using nlohmann::json;

constexpr std::string_view kInvalid = "invalid_payload";

constexpr std::array<std::string_view, 11> kBlockTypes = {
    "actions", "context",  "divider",   "file",    "header", "image",
    "input",   "markdown", "rich_text", "section", "video"};

// A composition text object: {"type": "plain_text"|"mrkdwn", "text": "..."} within `max` chars.
bool IsTextObject(const json& j, std::size_t max, bool plain_only) {
  if (!j.is_object()) return false;
  const auto type = j.find("type");
  const auto text = j.find("text");
  if (type == j.end() || !type->is_string() || text == j.end() || !text->is_string()) return false;
  const auto& kind = type->get_ref<const std::string&>();
  if (kind != "plain_text" && (plain_only || kind != "mrkdwn")) return false;
  return util::Utf8Length(text->get_ref<const std::string&>()) <= max;
}

bool IsValidBlock(const json& block) {
  if (!block.is_object()) return false;
  const auto type_it = block.find("type");
  if (type_it == block.end() || !type_it->is_string()) return false;
  const auto& type = type_it->get_ref<const std::string&>();
  if (std::find(kBlockTypes.begin(), kBlockTypes.end(), type) == kBlockTypes.end()) return false;
  if (type == "header") {
    return block.contains("text") &&
           IsTextObject(block.at("text"), SlackLimits::kHeaderText, /*plain_only=*/true);
  }
  if (type == "section") {
    const bool has_text = block.contains("text");
    const bool has_fields = block.contains("fields");
    if (!has_text && !has_fields) return false;
    if (has_text && !IsTextObject(block.at("text"), SlackLimits::kSectionText, false)) {
      return false;
    }
    if (has_fields) {
      const json& fields = block.at("fields");
      if (!fields.is_array() || fields.empty() || fields.size() > SlackLimits::kSectionFields) {
        return false;
      }
      for (const json& field : fields) {
        if (!IsTextObject(field, SlackLimits::kFieldText, false)) return false;
      }
    }
    return true;
  }
  if (type == "context") {
    const auto elements = block.find("elements");
    if (elements == block.end() || !elements->is_array() || elements->empty() ||
        elements->size() > SlackLimits::kContextElements) {
      return false;
    }
    return std::all_of(elements->begin(), elements->end(), [](const json& element) {
      return element.is_object() && element.contains("type") && element.at("type").is_string();
    });
  }
  return true;
}

}  // namespace

std::optional<std::string> SlackReceiver::Validate(const json& payload) {
  if (!payload.is_object()) return std::string(kInvalid);
  const auto text = payload.find("text");
  if (text != payload.end() && !text->is_string() && !text->is_null()) return std::string(kInvalid);
  const auto blocks = payload.find("blocks");
  bool has_blocks = false;
  if (blocks != payload.end() && !blocks->is_null()) {
    if (!blocks->is_array() || blocks->size() > SlackLimits::kBlocks) return std::string(kInvalid);
    for (const json& block : *blocks) {
      if (!IsValidBlock(block)) return std::string(kInvalid);
    }
    has_blocks = !blocks->empty();
  }
  const bool has_text =
      text != payload.end() && text->is_string() && !text->get_ref<const std::string&>().empty();
  const bool has_attachments = payload.contains("attachments") &&
                               payload.at("attachments").is_array() &&
                               !payload.at("attachments").empty();
  if (!has_text && !has_blocks && !has_attachments) return std::string("no_text");
  return std::nullopt;
}

Call SlackReceiver::Route(const Request& request, std::string_view path) {
  if (request.method != "POST") {
    return Call::Answer("slack.post", Provider::kSlack,
                        ErrorResponse(Provider::kSlack, "no_service"));
  }
  Call call;
  call.endpoint = "slack.post";
  call.provider = Provider::kSlack;
  call.apply = [this, path = std::string(path), request] { return Accept(path, request); };
  return call;
}

Response SlackReceiver::Accept(const std::string& path, const Request& request) {
  std::string_view raw = request.body;
  std::string form_payload;
  const auto type = request.headers.Get("Content-Type");
  if (type && domain::StartsWithIgnoringCase(*type, "application/x-www-form-urlencoded")) {
    auto form = util::ParseForm(request.body);
    form_payload = form["payload"];
    raw = form_payload;
  }
  json payload = json::parse(raw, nullptr, /*allow_exceptions=*/false);
  std::optional<std::string> error = payload.is_discarded()
                                         ? std::optional<std::string>(std::string(kInvalid))
                                         : Validate(payload);
  if (error) {
    ledger_.RecordSlackRejected(path, *error);
    return ErrorResponse(Provider::kSlack, *error);
  }
  bool truncated = false;
  if (payload.contains("text") && payload.at("text").is_string()) {
    const auto& text = payload.at("text").get_ref<const std::string&>();
    if (util::Utf8Length(text) > SlackLimits::kTextTruncatedAfter) {
      payload["text"] = util::Utf8Prefix(text, SlackLimits::kTextTruncatedAfter);
      truncated = true;
    }
  }
  ledger_.RecordSlackAccepted(path, payload, truncated);
  return Response::Text(200, "ok");
}

}  // namespace paypipe::sim
