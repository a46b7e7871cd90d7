/* Peer server: echo with libuv (Debian libuv1-dev), written the way its docs teach: one loop,
 * uv_read_start with an allocation callback, uv_write of what was read, freed in the write
 * callback.
 * usage: uv_echo PORT   (0 = pick; the bound port is printed on stdout). 127.0.0.1 only. */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

struct write_req {
  uv_write_t req;
  uv_buf_t buf;
};

static uv_loop_t* loop;

static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

static void on_close(uv_handle_t* h) {
  free(h);
}

static void on_written(uv_write_t* req, int status) {
  struct write_req* w = (struct write_req*)req;
  free(w->buf.base);
  free(w);
  (void)status;
}

static void on_read(uv_stream_t* client, ssize_t n, const uv_buf_t* buf) {
  if (n > 0) {
    struct write_req* w = malloc(sizeof *w);
    w->buf = uv_buf_init(buf->base, (unsigned)n);
    if (uv_write(&w->req, client, &w->buf, 1, on_written) != 0) {
      free(buf->base);
      free(w);
      uv_close((uv_handle_t*)client, on_close);
    }
    return;
  }
  free(buf->base);
  if (n < 0) uv_close((uv_handle_t*)client, on_close);
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  uv_tcp_t* client = malloc(sizeof *client);
  uv_tcp_init(loop, client);
  if (uv_accept(server, (uv_stream_t*)client) == 0) {
    uv_tcp_nodelay(client, 1);
    uv_read_start((uv_stream_t*)client, on_alloc, on_read);
  } else {
    uv_close((uv_handle_t*)client, on_close);
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  loop = uv_default_loop();
  uv_tcp_t server;
  uv_tcp_init(loop, &server);
  struct sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", atoi(argv[1]), &addr);
  int r = uv_tcp_bind(&server, (const struct sockaddr*)&addr, 0);
  if (r == 0) r = uv_listen((uv_stream_t*)&server, 4096, on_connection);
  if (r != 0) {
    fprintf(stderr, "uv_echo: %s\n", uv_strerror(r));
    return 1;
  }
  struct sockaddr_in bound;
  int len = sizeof bound;
  uv_tcp_getsockname(&server, (struct sockaddr*)&bound, &len);
  printf("%d\n", ntohs(bound.sin_port));
  fflush(stdout);
  return uv_run(loop, UV_RUN_DEFAULT);
}
