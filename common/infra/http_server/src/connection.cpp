#include "connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <climits>
#include <string>
#include <utility>

#include "event_loop.hpp"
#include "response_writer.hpp"

namespace paypipe::infra::http_server::internal {
namespace {

// Reading stops while this much output waits for the socket: a client that pipelines requests
// without reading the answers must not make the server buffer without bound.
constexpr std::size_t kMaxBufferedOutput = std::size_t{1} << 20;
// Output buffer capacity kept between responses; a larger one is released so that an idle
// connection costs little after a big response.
constexpr std::size_t kKeptOutputCapacity = 4096;
// ": " and CRLF around each header line, which the parser callbacks do not report, so that the
// head limit is about bytes on the wire.
constexpr std::size_t kHeaderLineOverhead = 4;
// Body capacity reserved from Content-Length up front. Larger bodies grow as they arrive, so a
// client announcing a big body it never sends does not pin memory.
constexpr std::size_t kInitialBodyReserve = std::size_t{64} << 10;

Connection& Self(http_parser* parser) { return *static_cast<Connection*>(parser->data); }

uv_stream_t* AsStream(uv_tcp_t* tcp) { return reinterpret_cast<uv_stream_t*>(tcp); }
uv_handle_t* AsHandle(void* handle) { return static_cast<uv_handle_t*>(handle); }

}  // namespace

const http_parser_settings Connection::kParserSettings = [] {
  http_parser_settings settings{};
  settings.on_message_begin = &Connection::OnMessageBegin;
  settings.on_url = &Connection::OnUrl;
  settings.on_header_field = &Connection::OnHeaderField;
  settings.on_header_value = &Connection::OnHeaderValue;
  settings.on_headers_complete = &Connection::OnHeadersComplete;
  settings.on_body = &Connection::OnBody;
  settings.on_message_complete = &Connection::OnMessageComplete;
  return settings;
}();

Connection::Connection(EventLoop& loop) : loop_(loop) {
  // Neither init can fail for a valid loop (no flags, no socket yet).
  uv_tcp_init(loop_.uv(), &tcp_);
  tcp_.data = this;
  ++open_handles_;
  uv_timer_init(loop_.uv(), &timer_);
  timer_.data = this;
  ++open_handles_;
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  phase_started_ = loop_.Now();
}

bool Connection::Accept(uv_stream_t* listener) { return uv_accept(listener, AsStream(&tcp_)) == 0; }

void Connection::StartServing() {
  // Responses go out in one write each; Nagle would only hold back the tail of a pipeline.
  uv_tcp_nodelay(&tcp_, 1);
  Pump();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  for (auto& exchange : pipeline_) exchange->connection = nullptr;
  pipeline_.clear();
  loop_.OnConnectionClosed(*this, counted_);
  // Pending writes and the shutdown request are cancelled by uv_close; their callbacks run
  // before the close callbacks, while this object is still alive.
  uv_close(AsHandle(&tcp_), &Connection::OnHandleClosed);
  uv_close(AsHandle(&timer_), &Connection::OnHandleClosed);
}

void Connection::OnHandleClosed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  if (--self->open_handles_ == 0) delete self;
}

// ---------------------------------------------------------------------------------------------
// Reading and parsing

void Connection::OnAlloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buffer) {
  *buffer = static_cast<Connection*>(handle->data)->loop_.ReadBuffer();
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread == UV_EOF) {
    self->HandleEof();
    return;
  }
  if (nread < 0) {  // reset or error: nothing in flight can be delivered any more
    self->Close();
    return;
  }
  if (nread == 0) return;
  self->HandleRead(buffer->base, static_cast<std::size_t>(nread));
}

// A client may half-close after its last request and still read the answers; requests received
// in full are answered, then the connection closes. A request cut short by the end of input is
// abandoned.
void Connection::HandleEof() {
  if (lingering_ ||
      (pipeline_.empty() && pending_input_.empty() && out_.empty() && !write_in_flight_)) {
    Close();
    return;
  }
  peer_closed_ = true;
  Pump();
}

void Connection::HandleRead(const char* data, std::size_t length) {
  if (closed_ || lingering_ || input_done_) return;  // nothing more will be parsed: discard
  if (!pending_input_.empty() || !CanParse()) {
    pending_input_.append(data, length);
    Pump();
    return;
  }
  // Handlers answering inline run inside Parse; their Pump calls are folded into the one below.
  in_pump_ = true;
  const std::size_t used = Parse(data, length);
  if (used < length && !input_done_) pending_input_.append(data + used, length - used);
  in_pump_ = false;
  Pump();
}

bool Connection::CanParse() const {
  return !closed_ && !input_done_ && pipeline_.size() < loop_.options().max_pipelined_requests &&
         out_.size() + writing_bytes_ < kMaxBufferedOutput;
}

std::size_t Connection::Parse(const char* data, std::size_t length) {
  const std::size_t parsed = http_parser_execute(&parser_, &kParserSettings, data, length);
  if (reject_status_ != 0) {
    QueueRejection(std::exchange(reject_status_, 0));
    return length;
  }
  const auto error = HTTP_PARSER_ERRNO(&parser_);
  if (error == HPE_PAUSED) {
    http_parser_pause(&parser_, 0);
    return parsed;
  }
  if (error == HPE_HEADER_OVERFLOW) {  // the parser's own head limit, if ours is set higher
    Reject(431);
    QueueRejection(std::exchange(reject_status_, 0));
    return length;
  }
  if (error != HPE_OK) {
    LoopStats::Bump(loop_.stats().parse_errors);
    QueueError(400, "BAD_REQUEST", "malformed HTTP request");
    return length;
  }
  return parsed;
}

int Connection::Reject(int status) {
  reject_status_ = status;
  LoopStats& stats = loop_.stats();
  LoopStats::Bump(status == 413   ? stats.oversize_bodies
                  : status == 431 ? stats.oversize_heads
                                  : stats.parse_errors);
  return -1;
}

void Connection::QueueRejection(int status) {
  switch (status) {
    case 413:
      QueueError(413, "PAYLOAD_TOO_LARGE", "request body exceeds the size limit");
      return;
    case 431:
      QueueError(431, "REQUEST_HEADER_FIELDS_TOO_LARGE",
                 "request line or headers exceed the size limit");
      return;
    default:
      QueueError(400, "BAD_REQUEST", "an HTTP/1.1 request needs a Host header");
      return;
  }
}

void Connection::QueueError(int status, std::string_view code, std::string_view message) {
  input_done_ = true;
  pending_input_.clear();
  phase_ = Phase::kIdle;
  auto exchange = std::make_shared<Exchange>();
  exchange->completed.store(true, std::memory_order_relaxed);
  exchange->ready = true;
  exchange->keep_alive = false;
  exchange->http_1_0 = http_1_0_;
  exchange->response = ErrorResponse(status, code, message);
  exchange->connection = this;
  pipeline_.push_back(std::move(exchange));
}

int Connection::OnMessageBegin(http_parser* parser) {
  Connection& self = Self(parser);
  // A new connection's head deadline runs from accept, so that connecting and then trickling
  // bytes gains nothing.
  if (self.phase_ != Phase::kFresh) self.phase_started_ = self.loop_.Now();
  self.phase_ = Phase::kHead;
  self.head_bytes_ = 0;
  self.header_count_ = 0;
  self.body_bytes_ = 0;
  self.last_was_value_ = false;
  self.header_field_.clear();
  self.header_value_.clear();
  self.current_ = http::Request{};
  return 0;
}

int Connection::OnUrl(http_parser* parser, const char* data, std::size_t length) {
  Connection& self = Self(parser);
  self.head_bytes_ += length;
  if (self.head_bytes_ > self.loop_.options().max_head_bytes) return self.Reject(431);
  self.current_.target.append(data, length);
  return 0;
}

int Connection::OnHeaderField(http_parser* parser, const char* data, std::size_t length) {
  Connection& self = Self(parser);
  if (self.phase_ == Phase::kBody) return self.CountTrailer(length);
  if (self.last_was_value_) {
    if (const int rc = self.CommitHeader(); rc != 0) return rc;
  }
  self.head_bytes_ += length;
  if (self.head_bytes_ > self.loop_.options().max_head_bytes) return self.Reject(431);
  self.header_field_.append(data, length);
  return 0;
}

int Connection::OnHeaderValue(http_parser* parser, const char* data, std::size_t length) {
  Connection& self = Self(parser);
  if (self.phase_ == Phase::kBody) return self.CountTrailer(length);
  self.last_was_value_ = true;
  self.head_bytes_ += length;
  if (self.head_bytes_ > self.loop_.options().max_head_bytes) return self.Reject(431);
  self.header_value_.append(data, length);
  return 0;
}

int Connection::CommitHeader() {
  head_bytes_ += kHeaderLineOverhead;
  if (++header_count_ > loop_.options().max_header_count ||
      head_bytes_ > loop_.options().max_head_bytes) {
    return Reject(431);
  }
  current_.headers.Add(std::move(header_field_), std::move(header_value_));
  header_field_.clear();
  header_value_.clear();
  last_was_value_ = false;
  return 0;
}

// Trailers of a chunked body are not passed on (a header arriving after the body could override
// what the handler saw first, signatures included), but they count against the head limit.
int Connection::CountTrailer(std::size_t length) {
  head_bytes_ += length;
  return head_bytes_ > loop_.options().max_head_bytes ? Reject(431) : 0;
}

int Connection::OnHeadersComplete(http_parser* parser) {
  Connection& self = Self(parser);
  if (self.last_was_value_) {
    if (const int rc = self.CommitHeader(); rc != 0) return rc;
  }
  self.current_.method = http_method_str(static_cast<http_method>(parser->method));
  self.http_1_0_ = parser->http_major == 1 && parser->http_minor == 0;
  if (!self.http_1_0_ && !self.current_.headers.Get("Host")) return self.Reject(400);
  self.phase_ = Phase::kBody;
  self.phase_started_ = self.loop_.Now();

  const bool chunked = (parser->flags & F_CHUNKED) != 0;
  const bool has_length = !chunked && parser->content_length != ULLONG_MAX;
  if (has_length) {
    if (parser->content_length > self.loop_.options().max_body_bytes) return self.Reject(413);
    self.current_.body.reserve(static_cast<std::size_t>(
        std::min<std::uint64_t>(parser->content_length, kInitialBodyReserve)));
  }
  // A client waiting for 100 Continue gets it only when nothing is queued ahead of this request:
  // an interim response must not overtake earlier final ones. Otherwise it sends the body after
  // its own wait.
  const bool has_body = chunked || (has_length && parser->content_length > 0);
  if (has_body && !self.http_1_0_ && self.pipeline_.empty() && self.out_.empty() &&
      !self.write_in_flight_) {
    const auto expect = self.current_.headers.Get("Expect");
    if (expect && http::EqualsIgnoreCase(*expect, "100-continue")) {
      self.out_.append("HTTP/1.1 100 Continue\r\n\r\n");
      LoopStats::Bump(self.loop_.stats().responses_by_class[0]);
    }
  }
  return 0;
}

int Connection::OnBody(http_parser* parser, const char* data, std::size_t length) {
  Connection& self = Self(parser);
  self.body_bytes_ += length;
  if (self.body_bytes_ > self.loop_.options().max_body_bytes) return self.Reject(413);
  self.current_.body.append(data, length);
  return 0;
}

int Connection::OnMessageComplete(http_parser* parser) {
  Connection& self = Self(parser);
  EventLoop& loop = self.loop_;
  self.phase_ = Phase::kIdle;
  // An upgrade is not supported: the request is answered like any other and the connection
  // closes after it, since what follows on the wire is not HTTP/1.1.
  const bool keep_alive =
      http_should_keep_alive(parser) != 0 && parser->upgrade == 0 && !loop.stopping();

  auto exchange = std::make_shared<Exchange>();
  exchange->mailbox = loop.mailbox();
  exchange->connection = &self;
  exchange->head_request = parser->method == HTTP_HEAD;
  exchange->keep_alive = keep_alive;
  exchange->http_1_0 = self.http_1_0_;
  exchange->dispatched_at = loop.Now();
  self.pipeline_.push_back(exchange);
  if (!keep_alive) self.input_done_ = true;

  http::Request request = std::move(self.current_);
  self.current_ = http::Request{};
  request.remote_address = self.RemoteAddress();
  LoopStats::Bump(loop.stats().requests);
  loop.Dispatch(std::move(request), ExchangeAccess::MakeResponder(std::move(exchange)));

  // Stop at this message when the pipeline is full or nothing more will be read; the rest of the
  // input waits in pending_input_ (or is discarded once input is done).
  if (!self.CanParse()) http_parser_pause(parser, 1);
  return 0;
}

const std::string& Connection::RemoteAddress() {
  if (!remote_address_.empty()) return remote_address_;
  sockaddr_storage storage{};
  int length = sizeof(storage);
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return remote_address_;
  }
  std::array<char, INET6_ADDRSTRLEN> ip{};
  std::uint16_t port = 0;
  if (storage.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    uv_ip4_name(v4, ip.data(), ip.size());
    port = ntohs(v4->sin_port);
    remote_address_.append(ip.data());
  } else if (storage.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    uv_ip6_name(v6, ip.data(), ip.size());
    port = ntohs(v6->sin6_port);
    remote_address_.push_back('[');
    remote_address_.append(ip.data());
    remote_address_.push_back(']');
  } else {
    return remote_address_;
  }
  remote_address_.push_back(':');
  remote_address_.append(std::to_string(port));
  return remote_address_;
}

// ---------------------------------------------------------------------------------------------
// The state machine

void Connection::Pump() {
  if (closed_) return;
  if (in_pump_) {
    pump_again_ = true;
    return;
  }
  in_pump_ = true;
  do {
    pump_again_ = false;
    CollectReadyResponses();
    if (!pending_input_.empty() && CanParse()) {
      std::string input = std::move(pending_input_);
      pending_input_.clear();
      const std::size_t used = Parse(input.data(), input.size());
      if (used < input.size() && !input_done_) pending_input_.assign(input, used);
      pump_again_ = true;
    }
  } while (pump_again_ && !closed_);
  in_pump_ = false;

  if (closed_) return;
  StartWrite();
  if (closed_) return;
  MaybeFinish();
  if (closed_) return;
  UpdateReading();
  if (closed_) return;
  ArmTimer();
}

void Connection::CollectReadyResponses() {
  while (!pipeline_.empty() && pipeline_.front()->ready) {
    std::shared_ptr<Exchange> exchange = std::move(pipeline_.front());
    pipeline_.erase(pipeline_.begin());
    exchange->connection = nullptr;

    // While stopping, the last answer of a connection that is between requests says goodbye.
    const bool last_before_stop = loop_.stopping() && pipeline_.empty() && pending_input_.empty() &&
                                  (phase_ == Phase::kIdle || phase_ == Phase::kFresh);
    const ResponseFraming framing{
        .head_request = exchange->head_request,
        .http_1_0 = exchange->http_1_0,
        .close = !exchange->keep_alive || last_before_stop,
        .date = loop_.HttpDate(),
    };
    const AppendResult result = AppendResponse(exchange->response, framing, out_);
    LoopStats::Bump(loop_.stats().responses_by_class[static_cast<std::size_t>(
        std::clamp(result.status / 100, 1, 5) - 1)]);
    // The body may be large and Responder copies may live on; it is not needed any more.
    exchange->response = http::Response{};

    if (result.close) {
      close_after_write_ = true;
      input_done_ = true;
      pending_input_.clear();
      for (auto& rest : pipeline_) rest->connection = nullptr;
      pipeline_.clear();
      break;
    }
  }
}

void Connection::StartWrite() {
  if (write_in_flight_ || out_.empty()) return;
  uv_buf_t buffer = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  int written = uv_try_write(AsStream(&tcp_), &buffer, 1);
  if (written == UV_EAGAIN) written = 0;
  if (written < 0) {
    Close();
    return;
  }
  if (static_cast<std::size_t>(written) == out_.size()) {
    out_.clear();
    if (out_.capacity() > kKeptOutputCapacity) std::string().swap(out_);
    return;
  }
  // The socket is full: hand the rest to libuv and let further output collect behind it.
  auto* write = new WriteRequest;
  write->connection = this;
  write->data = std::move(out_);
  out_ = std::string();
  write->data.erase(0, static_cast<std::size_t>(written));
  write->request.data = write;
  uv_buf_t rest = uv_buf_init(write->data.data(), static_cast<unsigned>(write->data.size()));
  if (uv_write(&write->request, AsStream(&tcp_), &rest, 1, &Connection::OnWriteDone) != 0) {
    delete write;
    Close();
    return;
  }
  write_in_flight_ = true;
  writing_bytes_ = write->data.size();
  write_started_ = loop_.Now();
}

void Connection::OnWriteDone(uv_write_t* request, int status) {
  auto* write = static_cast<WriteRequest*>(request->data);
  Connection* self = write->connection;
  delete write;
  self->write_in_flight_ = false;
  self->writing_bytes_ = 0;
  if (self->closed_) return;
  if (status < 0) {
    self->Close();
    return;
  }
  self->Pump();
}

void Connection::MaybeFinish() {
  if (write_in_flight_ || !out_.empty()) return;
  if (peer_closed_ && (close_after_write_ || (pipeline_.empty() && pending_input_.empty()))) {
    Close();  // nothing more can arrive, nothing is left to send
    return;
  }
  if (close_after_write_) {
    if (!lingering_) BeginLinger();
    return;
  }
  if (loop_.stopping() && pipeline_.empty() && pending_input_.empty() &&
      (phase_ == Phase::kIdle || phase_ == Phase::kFresh)) {
    Close();
  }
}

void Connection::BeginLinger() {
  lingering_ = true;
  const auto linger = loop_.options().linger_timeout;
  if (linger.count() <= 0) {
    Close();
    return;
  }
  // Half-close so the client sees the end of the response, then read and discard what it still
  // sends: closing with unread input would reset the connection and could destroy the response
  // before the client read it.
  auto* shutdown = new uv_shutdown_t;
  const int rc = uv_shutdown(shutdown, AsStream(&tcp_),
                             [](uv_shutdown_t* request, int /*status*/) { delete request; });
  if (rc != 0) {
    delete shutdown;
    Close();
    return;
  }
  linger_until_ = loop_.Now() + static_cast<std::uint64_t>(linger.count());
}

void Connection::UpdateReading() {
  // After the last request (or during the lingering close) input is still read, and discarded,
  // so that a client going away is noticed; otherwise reading stops while parsing is paused.
  const bool want =
      !peer_closed_ && (lingering_ || input_done_ || (pending_input_.empty() && CanParse()));
  if (want == reading_) return;
  if (want) {
    if (uv_read_start(AsStream(&tcp_), &Connection::OnAlloc, &Connection::OnRead) != 0) {
      Close();
      return;
    }
  } else {
    uv_read_stop(AsStream(&tcp_));
  }
  reading_ = want;
}

// ---------------------------------------------------------------------------------------------
// Deadlines: one timer per connection, re-armed lazily. Activity only moves a deadline later,
// which costs nothing until the timer fires early and re-arms itself; the timer is restarted only
// when a deadline moves earlier.

std::optional<Connection::Timeout> Connection::NextTimeout() const {
  const ServerOptions& options = loop_.options();
  const auto after = [](std::uint64_t start, std::chrono::milliseconds span) {
    return start + static_cast<std::uint64_t>(span.count());
  };
  if (lingering_) return Timeout{linger_until_, Deadline::kLinger};

  std::optional<Timeout> soonest;
  const auto consider = [&soonest](std::uint64_t at, Deadline kind) {
    if (!soonest || at < soonest->at) soonest = Timeout{at, kind};
  };
  if (write_in_flight_) consider(after(write_started_, options.write_timeout), Deadline::kWrite);
  if (!pipeline_.empty() && !pipeline_.front()->ready) {
    consider(after(pipeline_.front()->dispatched_at, options.handler_timeout), Deadline::kHandler);
  }
  if (!input_done_) {
    switch (phase_) {
      case Phase::kFresh:
      case Phase::kHead:
        consider(after(phase_started_, options.header_timeout), Deadline::kHeader);
        break;
      case Phase::kBody:
        consider(after(phase_started_, options.body_timeout), Deadline::kBody);
        break;
      case Phase::kIdle:
        if (pipeline_.empty() && out_.empty() && pending_input_.empty() && !write_in_flight_) {
          consider(after(idle_since_, options.idle_timeout), Deadline::kIdle);
        }
        break;
    }
  }
  return soonest;
}

void Connection::ArmTimer() {
  const std::uint64_t now = loop_.Now();
  const bool idle = phase_ == Phase::kIdle && pipeline_.empty() && out_.empty() &&
                    !write_in_flight_ && !input_done_ && !lingering_;
  if (idle && !was_idle_) idle_since_ = now;
  was_idle_ = idle;

  const auto timeout = NextTimeout();
  if (!timeout) return;  // an armed timer fires, finds nothing due and stays off
  if (timer_armed_ && timer_due_ <= timeout->at) return;
  uv_timer_start(&timer_, &Connection::OnTimer, timeout->at > now ? timeout->at - now : 0, 0);
  timer_armed_ = true;
  timer_due_ = timeout->at;
}

void Connection::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<Connection*>(timer->data);
  self->timer_armed_ = false;
  if (self->closed_) return;
  const auto timeout = self->NextTimeout();
  if (timeout && self->loop_.Now() >= timeout->at) {
    self->HandleTimeout(timeout->kind);
    return;
  }
  self->ArmTimer();
}

void Connection::HandleTimeout(Deadline kind) {
  LoopStats& stats = loop_.stats();
  switch (kind) {
    case Deadline::kHeader:
    case Deadline::kBody: {
      LoopStats::Bump(kind == Deadline::kHeader ? stats.header_timeouts : stats.body_timeouts);
      // A connection that never sent a byte gets no answer; a request cut short gets 408 when it
      // is next in line, else the connection just closes.
      if (phase_ == Phase::kFresh || !pipeline_.empty() || !out_.empty() || write_in_flight_) {
        Close();
        return;
      }
      QueueError(408, "REQUEST_TIMEOUT", "the request did not arrive in time");
      Pump();
      return;
    }
    case Deadline::kHandler:
      // The oldest request has waited too long for its handler; answering it lets the pipeline
      // move on. The handler's own answer, when it comes, finds the request completed.
      LoopStats::Bump(stats.handler_timeouts);
      CompleteExchange(pipeline_.front(), ErrorResponse(503, "HANDLER_TIMEOUT",
                                                        "the request was not answered in time"));
      return;
    case Deadline::kIdle:
      LoopStats::Bump(stats.idle_timeouts);
      Close();
      return;
    case Deadline::kWrite:
      LoopStats::Bump(stats.write_timeouts);
      Close();
      return;
    case Deadline::kLinger:
      Close();
      return;
  }
}

}  // namespace paypipe::infra::http_server::internal
