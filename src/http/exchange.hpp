// One request/response exchange on an open Transport: the halves of Client::send that touch
// the wire once a connection is there.
#pragma once

#include "http/transport.hpp"
#include "sockit/http/client.hpp"

namespace sockit::http {

struct Exchange {
  Clock::time_point start;
  Deadline deadline;
  HttpLimits limits;
  std::size_t read_chunk = 0;
  Response response{};
  bool received_any = false;  ///< a byte of the response arrived (no silent retry after that)
};

/// Serializes and sends the head and the body (Request::body or the file's content).
[[nodiscard]] Status send_request(Transport& t, const Request& request, const Events& events,
                                  Exchange& x);

/// Reads heads (skipping 1xx) and the body into the events. Leaves bytes read past the body
/// in t.in. `phase` becomes receive, or handler when an event refused.
[[nodiscard]] Result<Response> receive_response(Transport& t, const Request& request,
                                                const Events& events, Exchange& x, Phase& phase);

}  // namespace sockit::http
