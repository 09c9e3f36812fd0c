#pragma once

#include <string>
#include <string_view>

#include "paypipe/infra/http/message.hpp"

namespace paypipe::infra::http_server::internal {

struct ResponseFraming {
  bool head_request = false;  // send the headers of the response only
  bool http_1_0 = false;      // a kept-alive HTTP/1.0 connection needs Connection: keep-alive
  bool close = false;         // the connection closes after this response
  std::string_view date;      // Date header value unless the response has one
};

struct AppendResult {
  int status = 0;      // the status written
  bool close = false;  // the connection must close after it (framing.close, or the handler asked)
};

// Appends the response to `out`. Framing headers (Content-Length, Transfer-Encoding,
// Connection) come from the server, not from the handler; a response with an invalid status or a
// header that would break framing (CR, LF, NUL, a bad name) is replaced by a 500.
[[nodiscard]] AppendResult AppendResponse(const http::Response& response,
                                          const ResponseFraming& framing, std::string& out);

// {"code": code, "message": message} with the given status. Both strings are plain ASCII
// written by the server, so no escaping is needed beyond quotes and backslashes.
[[nodiscard]] http::Response ErrorResponse(int status, std::string_view code,
                                           std::string_view message);

}  // namespace paypipe::infra::http_server::internal
