#include "paypipe/infra/http_server/handler.hpp"

#include <utility>

#include "event_loop.hpp"
#include "exchange.hpp"
#include "response_writer.hpp"

namespace paypipe::infra::http_server {

namespace internal {

bool CompleteExchange(const std::shared_ptr<Exchange>& exchange, http::Response response) {
  if (exchange->completed.exchange(true, std::memory_order_acq_rel)) return false;
  if (exchange->on_complete) {
    exchange->on_complete(std::move(response));
    return true;
  }
  exchange->response = std::move(response);
  if (exchange->mailbox) exchange->mailbox->Deliver(exchange);
  return true;
}

void Mailbox::BindToCurrentThread() {
  const std::lock_guard lock(mutex_);
  loop_thread_ = std::this_thread::get_id();
}

void Mailbox::Deliver(std::shared_ptr<Exchange> exchange) {
  std::unique_lock lock(mutex_);
  if (closed_) return;  // the server has stopped; the response has nowhere to go
  if (std::this_thread::get_id() == loop_thread_) {
    // Already on the loop (a handler answering inline): no hop, no wake-up. The loop cannot
    // shut down while its own thread is here.
    lock.unlock();
    loop_.CompleteOnLoop(exchange);
    return;
  }
  const bool wake = queue_.empty();  // one wake-up per batch; the loop takes the whole queue
  queue_.push_back(std::move(exchange));
  if (wake) uv_async_send(&wakeup_);
}

void Mailbox::Wake() {
  const std::lock_guard lock(mutex_);
  if (!closed_) uv_async_send(&wakeup_);
}

std::vector<std::shared_ptr<Exchange>> Mailbox::Take() {
  std::vector<std::shared_ptr<Exchange>> taken;
  const std::lock_guard lock(mutex_);
  taken.swap(queue_);
  return taken;
}

void Mailbox::Close() {
  std::vector<std::shared_ptr<Exchange>> dropped;
  {
    const std::lock_guard lock(mutex_);
    closed_ = true;
    dropped.swap(queue_);
  }
  // `dropped` is released here, outside the lock.
}

}  // namespace internal

Responder Responder::WithCallback(std::function<void(http::Response)> on_complete) {
  auto exchange = std::make_shared<internal::Exchange>();
  exchange->on_complete = std::move(on_complete);
  return Responder(std::move(exchange));
}

Responder::Responder(std::shared_ptr<internal::Exchange> exchange) noexcept
    : exchange_(std::move(exchange)) {
  if (exchange_) exchange_->responder_handles.fetch_add(1, std::memory_order_relaxed);
}

Responder::Responder(const Responder& other) noexcept : exchange_(other.exchange_) {
  if (exchange_) exchange_->responder_handles.fetch_add(1, std::memory_order_relaxed);
}

Responder::Responder(Responder&& other) noexcept : exchange_(std::move(other.exchange_)) {}

Responder& Responder::operator=(const Responder& other) noexcept {
  if (this != &other) {
    Release();
    exchange_ = other.exchange_;
    if (exchange_) exchange_->responder_handles.fetch_add(1, std::memory_order_relaxed);
  }
  return *this;
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    Release();
    exchange_ = std::move(other.exchange_);
  }
  return *this;
}

Responder::~Responder() { Release(); }

void Responder::Release() noexcept {
  if (!exchange_) return;
  std::shared_ptr<internal::Exchange> exchange = std::move(exchange_);
  exchange_.reset();
  if (exchange->responder_handles.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (exchange->completed.load(std::memory_order_acquire)) return;
  try {
    internal::CompleteExchange(
        exchange, internal::ErrorResponse(500, "INTERNAL", "the request was not answered"));
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; nothing to save
  }
}

bool Responder::Respond(http::Response response) const {
  if (!exchange_) return false;
  return internal::CompleteExchange(exchange_, std::move(response));
}

bool Responder::completed() const {
  return exchange_ && exchange_->completed.load(std::memory_order_acquire);
}

}  // namespace paypipe::infra::http_server
