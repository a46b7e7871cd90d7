// Connection's on_close report: a closed connection links itself into its loop's list of pending
// reports, and the first one of a batch posts the one task that reports them all, oldest first.
// Nothing is allocated per close (a posted task that captured a shared_ptr liveness token cost two
// allocations and two atomic reference counts per connection, several hundred user-space
// instructions, about a tenth of a short connection's cost), and a connection that its owner
// destroys before the report unlinks itself, so it is never reported (server teardown).
//
// All of it runs on the loop thread: finish(), the destructor and the posted task are loop-thread
// only, so the lists are per thread, one per loop that thread runs.
#include <deque>
#include <utility>

#include "sockit/async/connection.hpp"

namespace sockit {
namespace {

struct PendingReports {
  EventLoop* loop;
  Connection* newest;  // the list, newest first; null when empty
};
// A deque: its elements never move, so the links that point at `newest` stay valid. An entry
// whose list is empty may be taken over by another loop (loops come and go on a thread).
thread_local std::deque<PendingReports> t_pending;

PendingReports* find_pending(const EventLoop& loop) noexcept {
  for (auto& p : t_pending) {
    if (p.loop == &loop) return &p;
  }
  return nullptr;
}

PendingReports& pending_for(EventLoop& loop) {
  if (auto* p = find_pending(loop)) return *p;
  for (auto& p : t_pending) {
    if (p.newest == nullptr) {
      p.loop = &loop;
      return p;
    }
  }
  return t_pending.emplace_back(PendingReports{&loop, nullptr});
}

}  // namespace

void Connection::link_report(Connection*& head) noexcept {
  report_next_ = head;
  if (head != nullptr) head->report_prev_ = &report_next_;
  report_prev_ = &head;
  head = this;
}

void Connection::unlink_report() noexcept {
  if (report_prev_ == nullptr) return;
  *report_prev_ = report_next_;
  if (report_next_ != nullptr) report_next_->report_prev_ = report_prev_;
  report_next_ = nullptr;
  report_prev_ = nullptr;
}

void Connection::queue_close_report() {
  PendingReports& pending = pending_for(loop_);
  const bool first = pending.newest == nullptr;
  link_report(pending.newest);
  // One task per batch: closes queued while it is pending join it. The task holds only the loop
  // pointer, which std::move_only_function keeps inline.
  if (first) loop_.post([loop = &loop_] { report_closes(*loop); });
}

// Reports the closes pending when the task runs, in the order they closed. Closes that happen
// meanwhile (an owner's on_close closing another connection) post a task of their own, as they
// did when every close posted one. An on_close may destroy its connection or others of the batch:
// a destroyed one unlinks itself, so only live connections are ever reached.
void Connection::report_closes(EventLoop& loop) {
  PendingReports* pending = find_pending(loop);
  if (pending == nullptr) return;
  Connection* batch = nullptr;  // oldest first
  while (Connection* c = pending->newest) {
    c->unlink_report();
    c->link_report(batch);
  }
  while (Connection* c = batch) {
    c->unlink_report();
    c->events_.on_close(*c, c->close_reason_);  // may destroy *c: nothing of it is used after
  }
}

}  // namespace sockit
