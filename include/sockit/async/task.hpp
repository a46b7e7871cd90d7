// Task<T>: a lazy C++20 coroutine that produces a T, and TaskSet: the owner of detached tasks.
//
// A Task does nothing until it is awaited (`T v = co_await make_task();`) or handed to a
// TaskSet. Awaiting runs the child at once. A child that finishes without suspending hands its
// value back by simply returning (the parent never suspends), so a loop of a million such awaits
// runs in constant stack even at -O0, where g++ does not turn symmetric transfer into a tail
// call. A child that finishes later (resumed by the loop) transfers control straight to its
// parent by symmetric transfer (await_suspend returning the parent's handle).
//
// Errors are values: sockit never throws, and a Task's T is normally Result<U> or Status.
// An exception escaping a task body is a programming error and terminates the process
// (there is no caller to hand it to once a task has been resumed by an event loop).
//
// Ownership: a Task owns its coroutine frame; destroying a Task destroys a frame that has not
// finished, and with it, in reverse order, every local, every child Task it is awaiting and the
// awaiter it is suspended on (whose destructor withdraws any registration with the loop).
// That is how cancellation works: destroy the task.
//
// Allocation: one frame per coroutine call (operator new), never per co_await.
// Thread-safety: a Task and a TaskSet are used by one thread at a time; tasks that await
// sockit's async operations belong to that loop's thread ("loop thread only").
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace sockit {

template <class T = void>
class Task;

namespace detail {

struct TaskPromiseBase {
  // Where to go when this task finishes: the awaiting parent, or nowhere.
  std::coroutine_handle<> continuation_ = std::noop_coroutine();
  // True while the parent's await_suspend is still on the stack, inside our resume(): finishing
  // then must just return to it rather than resume the parent a second, nested time.
  bool started_inline_ = false;

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) const noexcept {
      TaskPromiseBase& p = self.promise();
      if (p.started_inline_) return std::noop_coroutine();  // back into the parent's await
      return p.continuation_;                               // symmetric transfer back to the parent
    }
    void await_resume() const noexcept {}
  };

  std::suspend_always initial_suspend() const noexcept { return {}; }  // lazy
  FinalAwaiter final_suspend() const noexcept { return {}; }
  [[noreturn]] void unhandled_exception() const noexcept { std::terminate(); }
};

template <class T>
struct TaskPromise : TaskPromiseBase {
  std::optional<T> value_;
  Task<T> get_return_object() noexcept;
  template <class U = T>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    value_.emplace(std::forward<U>(v));
  }
};

template <>
struct TaskPromise<void> : TaskPromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() noexcept = default;
  explicit Task(Handle h) noexcept : h_(h) {}
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  /// True when this Task holds a coroutine (not default-constructed or moved from).
  bool valid() const noexcept { return static_cast<bool>(h_); }
  /// True once the body has run to its end.
  bool done() const noexcept { return h_ && h_.done(); }

  /// Destroys the frame (finished or suspended); the Task becomes empty.
  void reset() noexcept {
    if (h_) std::exchange(h_, {}).destroy();
  }

  struct Awaiter {
    Handle h;
    bool await_ready() const noexcept { return !h || h.done(); }
    // Runs the child now. Returns false (do not suspend) when it already finished.
    bool await_suspend(std::coroutine_handle<> parent) noexcept {
      auto& p = h.promise();
      p.continuation_ = parent;
      p.started_inline_ = true;
      h.resume();
      p.started_inline_ = false;
      return !h.done();
    }
    T await_resume() noexcept {
      assert(h && h.done() && "awaited an empty Task");
      if constexpr (!std::is_void_v<T>) return std::move(*h.promise().value_);
    }
  };
  /// `co_await std::move(task)`: runs the task to completion and yields its value. The Task
  /// keeps the frame until it is destroyed, so the value is moved out of a live frame.
  Awaiter operator co_await() && noexcept { return Awaiter{h_}; }

  /// Gives up ownership of the frame (for TaskSet and other owners).
  Handle release() noexcept { return std::exchange(h_, {}); }

 private:
  Handle h_;
};

namespace detail {
template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(Task<T>::Handle::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(Task<void>::Handle::from_promise(*this));
}
}  // namespace detail

/// Owns detached tasks ("fire and forget" with an owner). spawn() starts a task at once and it
/// runs until its first suspension; a finished task frees itself and leaves the set. Destroying
/// the set (or calling cancel_all()) destroys every task still suspended, which cancels their
/// pending operations cleanly. This is what makes "stop the loop, then tear down" leak-free.
///
/// No allocation beyond each task's frame and one small wrapper frame per spawn: the set links
/// its tasks through an intrusive list that lives in the wrapper frames.
/// Thread-safety: one thread (the loop thread of the tasks it holds).
class TaskSet {
 public:
  TaskSet() noexcept = default;
  TaskSet(const TaskSet&) = delete;
  TaskSet& operator=(const TaskSet&) = delete;
  ~TaskSet() { cancel_all(); }

  /// Starts `task` now (on the calling thread) and keeps it until it finishes.
  void spawn(Task<void> task);

  /// Destroys every task that has not finished yet. Tasks spawned by the destructors that this
  /// runs are destroyed too.
  void cancel_all() noexcept;

  /// Tasks started and not yet finished.
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

 private:
  struct Node {
    Node* prev = nullptr;
    Node* next = nullptr;
    std::coroutine_handle<> frame;
  };
  struct Detached;
  static Detached run_detached(TaskSet& set, Task<void> task);
  void link(Node* n) noexcept;
  void unlink(Node* n) noexcept;

  Node* head_ = nullptr;
  std::size_t size_ = 0;
};

// The wrapper coroutine that a TaskSet owns: it starts eagerly, awaits the user's task and
// frees its own frame at the end (final_suspend never suspends). Its promise is the list node,
// so membership costs no allocation, and unlinking happens in the promise's destructor, which
// runs however the frame dies: by finishing, or by cancel_all().
struct TaskSet::Detached {
  struct promise_type {
    Node node;
    TaskSet* set;
    promise_type(TaskSet& s, const Task<void>&) noexcept : set(&s) {}
    ~promise_type() { set->unlink(&node); }
    Detached get_return_object() noexcept {
      node.frame = std::coroutine_handle<promise_type>::from_promise(*this);
      set->link(&node);
      return {};
    }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    [[noreturn]] void unhandled_exception() const noexcept { std::terminate(); }
  };
};

inline TaskSet::Detached TaskSet::run_detached(TaskSet& /*set*/, Task<void> task) {
  co_await std::move(task);
}

inline void TaskSet::spawn(Task<void> task) {
  if (task.valid()) run_detached(*this, std::move(task));
}

inline void TaskSet::link(Node* n) noexcept {
  n->next = head_;
  if (head_ != nullptr) head_->prev = n;
  head_ = n;
  ++size_;
}

inline void TaskSet::unlink(Node* n) noexcept {
  if (n->prev != nullptr) n->prev->next = n->next;
  if (n->next != nullptr) n->next->prev = n->prev;
  if (head_ == n) head_ = n->next;
  n->prev = n->next = nullptr;
  --size_;
}

inline void TaskSet::cancel_all() noexcept {
  // destroy() runs the promise destructor, which unlinks the node; take the head each time
  // because destroying one task may finish or spawn others.
  while (head_ != nullptr)
    head_->frame.destroy();
}

}  // namespace sockit
