// The whole public library in one include: every layer's headers, lowest first.
// The tool side (sockit/tools/: bench engine, histogram, rate, port lists) is not part of it.
#pragma once

#include "sockit/core/buffer.hpp"
#include "sockit/core/cause_category.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/core/unique_fd.hpp"

#include "sockit/net/address.hpp"
#include "sockit/net/cidr.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/net/interfaces.hpp"
#include "sockit/net/resolver.hpp"

#include "sockit/sys/accept.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/io.hpp"
#include "sockit/sys/socket.hpp"

#include "sockit/codec/decoded.hpp"
#include "sockit/codec/framing.hpp"
#include "sockit/codec/http.hpp"
#include "sockit/codec/http_error.hpp"
#include "sockit/codec/http_writer.hpp"
#include "sockit/codec/length_prefix.hpp"
#include "sockit/codec/line.hpp"
#include "sockit/codec/proxy_protocol.hpp"

#include "sockit/stream/io.hpp"
#include "sockit/stream/rfcomm.hpp"
#include "sockit/stream/stream.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/stream/udp.hpp"
#include "sockit/stream/unix.hpp"

#include "sockit/tls/async_stream.hpp"
#include "sockit/tls/causes.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tls/digest.hpp"
#include "sockit/tls/error.hpp"
#include "sockit/tls/session.hpp"
#include "sockit/tls/stream.hpp"

#include "sockit/async/async.hpp"
#include "sockit/async/async_io.hpp"
#include "sockit/async/connection.hpp"
#include "sockit/async/loop.hpp"
#include "sockit/async/poller.hpp"
#include "sockit/async/task.hpp"

#include "sockit/redis/redis.hpp"
#include "sockit/server/async_server.hpp"
#include "sockit/server/server.hpp"
#include "sockit/server/service.hpp"
#include "sockit/server/udp_server.hpp"

#include "sockit/services/services.hpp"
// The SMTP client (codec and the mail layer).
#include "sockit/codec/smtp_message.hpp"
#include "sockit/codec/smtp_reply.hpp"
#include "sockit/mail/client.hpp"

// The HTTP client (the http layer).
#include "sockit/http/async_client.hpp"
#include "sockit/http/client.hpp"
#include "sockit/http/inflate.hpp"
#include "sockit/http/url.hpp"
