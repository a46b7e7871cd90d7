// The stateless services: echo, greet (the lecture's server) and discard.
#include <string>
#include <type_traits>

#include "sockit/services/services.hpp"

namespace sockit {
namespace {

class EchoSession final : public Session {
 public:
  void on_message(std::string_view message, Peer& peer) override { peer.send(message); }
};

class GreetSession final : public Session {
 public:
  void on_open(Peer& peer) override { peer.send("Welcome to the Server"); }
  void on_message(std::string_view message, Peer& peer) override {
    // Reused across messages: after the first few, building the reply allocates nothing.
    reply_.assign(kPrefix);
    reply_.append(message);
    peer.send(reply_);
  }

 private:
  static constexpr std::string_view kPrefix = "Hello I am server: ";
  std::string reply_;
};

class DiscardSession final : public Session {
 public:
  void on_message(std::string_view, Peer&) override {}
};

template <class S>
class SimpleService final : public Service {
 public:
  explicit SimpleService(std::string_view name) : name_(name) {}
  std::string_view name() const override { return name_; }
  std::unique_ptr<Session> open_session() override { return std::make_unique<S>(); }
  bool pure_echo() const override { return std::is_same_v<S, EchoSession>; }

 private:
  std::string_view name_;
};

}  // namespace

std::unique_ptr<Service> make_echo_service() {
  return std::make_unique<SimpleService<EchoSession>>("echo");
}
std::unique_ptr<Service> make_greet_service() {
  return std::make_unique<SimpleService<GreetSession>>("greet");
}
std::unique_ptr<Service> make_discard_service() {
  return std::make_unique<SimpleService<DiscardSession>>("discard");
}

Result<std::unique_ptr<Service>> make_service(std::string_view name) {
  if (name == "echo") return make_echo_service();
  if (name == "greet") return make_greet_service();
  if (name == "discard") return make_discard_service();
  if (name == "chat") return std::unique_ptr<Service>(make_chat_service());
  return fail(std::make_error_code(std::errc::invalid_argument));
}

}  // namespace sockit
