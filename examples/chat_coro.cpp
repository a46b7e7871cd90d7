// chat_coro: a line chat server on sockit's coroutine API. A client's line reaches the others as
// "NAME: line"; "/nick NAME" renames, "/quit" leaves; joins, renames and departures start "* ".
//
// Usage: chat_coro [PORT]   (listens on 127.0.0.1; default 12345; 0 lets the kernel choose)
// Prints "chat_coro listening on 127.0.0.1:PORT" once ready; SIGINT/SIGTERM stop it (exit 0).
#include <csignal>
#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include "sockit/async/async.hpp"
#include "sockit/server/async_server.hpp"

using namespace sockit;
using namespace std::chrono_literals;

struct Client {
  AsyncStream stream;
  std::string name;
};
struct Room {
  explicit Room(EventLoop& l) : loop(l) {}
  EventLoop& loop;
  std::set<std::shared_ptr<Client>> clients;
  int next_id = 1;
};

// One line to one peer (the task keeps the peer alive); missed if not taken within 5 s.
Task<void> send_line(std::shared_ptr<Client> to, std::string msg) {
  (void)co_await to->stream.send_all(msg, Deadline::after(5s));
}

// To everyone but `from`, without waiting: a slow peer delays nobody; lines stay in order.
void broadcast(Room& room, const std::string& msg, const Client* from) {
  for (const auto& peer : room.clients)
    if (peer.get() != from) co_spawn(room.loop, send_line(peer, msg));
}

Task<void> chat(Room& room, AsyncStream stream) {
  auto me = std::make_shared<Client>(std::move(stream), "user" + std::to_string(room.next_id++));
  if (!co_await me->stream.send_all("* you are " + me->name + "\n")) co_return;
  room.clients.insert(me);
  broadcast(room, "* " + me->name + " joined\n", me.get());
  for (;;) {
    auto line = co_await me->stream.recv_until("\n", 1024, Deadline::after(30min));
    if (!line) break;  // the client left (end_of_stream), error, too long or idle
    std::string text(line->substr(0, line->find('\r')));
    if (text == "/quit") break;
    if (text.starts_with("/nick ") && text.size() > 6) {
      std::string old = std::exchange(me->name, text.substr(6));
      broadcast(room, "* " + old + " is now " + me->name + "\n", me.get());
    } else {
      broadcast(room, me->name + ": " + text + "\n", me.get());
    }
  }
  room.clients.erase(me);
  broadcast(room, "* " + me->name + " left\n", me.get());
  me->stream.close();  // now, even if lines to this client are still pending (they are dropped)
}

int main(int argc, char** argv) {
  auto at = Endpoint::parse(std::string("127.0.0.1:") + (argc > 1 ? argv[1] : "12345"));
  auto loop = EventLoop::create();
  if (!at || !loop) {
    std::fprintf(stderr, "usage: chat_coro [PORT]\n");
    return 2;
  }
  Room room(**loop);  // declared before the server: the handlers use it until the server is gone
  auto server =
      start_server(**loop, *at, [&room](AsyncStream s) { return chat(room, std::move(s)); });
  if (!server) {
    std::fprintf(stderr, "%s\n", explain(server.error(), "cannot listen").c_str());
    return 1;
  }
  for (int signo : {SIGINT, SIGTERM})
    (void)(*loop)->on_signal(signo, [&](int) { (*loop)->stop(); });
  std::printf("chat_coro listening on %s\n", server->local_endpoint().to_string().c_str());
  std::fflush(stdout);
  return (*loop)->run() ? 0 : 1;
}
