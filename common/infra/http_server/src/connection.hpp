#pragma once

#include <http_parser.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exchange.hpp"
#include "paypipe/infra/http/message.hpp"

namespace paypipe::infra::http_server::internal {

class EventLoop;

// One accepted TCP connection and its HTTP/1.1 state: the request being parsed, the pipeline of
// requests awaiting their responses (answered strictly in order), buffered output and one timer
// for whichever deadline applies now.
//
// Loop thread only. Owns two handles (socket and timer); it deletes itself in the close callback
// of the last of them, never before.
class Connection {
 public:
  explicit Connection(EventLoop& loop);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Takes the pending connection from the listener and starts reading. `counted` connections
  // take a slot of max_connections; uncounted ones are only accepted to be closed.
  [[nodiscard]] bool Accept(uv_stream_t* listener);
  void StartServing();

  // Re-evaluates everything after an event: writes ready responses, parses buffered input,
  // closes when done, re-arms the timer. Safe to call re-entrantly (a handler that answers
  // inline); the outermost call does the work.
  void Pump();
  // Graceful stop: close once nothing is in flight.
  void Drain() { Pump(); }
  // Immediate close. Idempotent.
  void Close();

  [[nodiscard]] bool closed() const { return closed_; }
  void set_counted(bool counted) { counted_ = counted; }

 private:
  friend class EventLoop;  // links connections into its intrusive list
  enum class Phase : std::uint8_t {
    kFresh,  // accepted, no byte yet
    kHead,   // request line and headers
    kBody,   // body
    kIdle,   // between requests
  };
  enum class Deadline : std::uint8_t { kHeader, kBody, kIdle, kHandler, kWrite, kLinger };
  struct Timeout {
    std::uint64_t at = 0;
    Deadline kind = Deadline::kIdle;
  };
  struct WriteRequest {
    uv_write_t request{};
    Connection* connection = nullptr;
    std::string data;
  };

  ~Connection() = default;

  static void OnAlloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buffer);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer);
  static void OnWriteDone(uv_write_t* request, int status);
  static void OnTimer(uv_timer_t* timer);
  static void OnHandleClosed(uv_handle_t* handle);

  static int OnMessageBegin(http_parser* parser);
  static int OnUrl(http_parser* parser, const char* data, std::size_t length);
  static int OnHeaderField(http_parser* parser, const char* data, std::size_t length);
  static int OnHeaderValue(http_parser* parser, const char* data, std::size_t length);
  static int OnHeadersComplete(http_parser* parser);
  static int OnBody(http_parser* parser, const char* data, std::size_t length);
  static int OnMessageComplete(http_parser* parser);
  static const http_parser_settings kParserSettings;

  void HandleRead(const char* data, std::size_t length);
  void HandleEof();
  // Feeds the parser; returns how many bytes it consumed (less than length when paused).
  std::size_t Parse(const char* data, std::size_t length);
  [[nodiscard]] bool CanParse() const;
  int CommitHeader();
  int CountTrailer(std::size_t length);
  int Reject(int status);
  void QueueRejection(int status);
  void QueueError(int status, std::string_view code, std::string_view message);
  void CollectReadyResponses();
  void StartWrite();
  void MaybeFinish();
  void BeginLinger();
  void UpdateReading();
  [[nodiscard]] std::optional<Timeout> NextTimeout() const;
  void ArmTimer();
  void HandleTimeout(Deadline kind);
  [[nodiscard]] const std::string& RemoteAddress();

  EventLoop& loop_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  http_parser parser_{};
  int open_handles_ = 0;

  // The request being parsed.
  http::Request current_;
  std::string header_field_;
  std::string header_value_;
  std::size_t head_bytes_ = 0;
  std::size_t header_count_ = 0;
  std::size_t body_bytes_ = 0;
  int reject_status_ = 0;  // set by a parser callback that refused the request
  bool last_was_value_ = false;
  bool http_1_0_ = false;
  Phase phase_ = Phase::kFresh;
  std::uint64_t phase_started_ = 0;

  // Requests awaiting their response, oldest first.
  std::vector<std::shared_ptr<Exchange>> pipeline_;
  // Input received but not parsed yet (parsing paused behind a full pipeline).
  std::string pending_input_;
  // Serialized responses not handed to the socket yet.
  std::string out_;
  std::string remote_address_;

  std::size_t writing_bytes_ = 0;  // handed to libuv, not yet written
  std::uint64_t write_started_ = 0;
  std::uint64_t linger_until_ = 0;
  std::uint64_t idle_since_ = 0;
  std::uint64_t timer_due_ = 0;

  bool counted_ = false;
  bool closed_ = false;
  bool reading_ = false;
  bool in_pump_ = false;
  bool pump_again_ = false;
  bool input_done_ = false;   // no further request will be parsed on this connection
  bool peer_closed_ = false;  // the client half-closed: answer what was received, then close
  bool close_after_write_ = false;
  bool lingering_ = false;
  bool write_in_flight_ = false;
  bool was_idle_ = false;
  bool timer_armed_ = false;

  // The loop's intrusive list of live connections.
  Connection* list_prev_ = nullptr;
  Connection* list_next_ = nullptr;
};

}  // namespace paypipe::infra::http_server::internal
