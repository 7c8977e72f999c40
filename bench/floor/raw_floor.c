// The raw floor: what the kernel alone charges to write small frames to many loopback TCP
// sockets, one send() per frame (and, for comparison, 4 frames per send()). A Socket.IO gateway
// cannot beat this per delivered frame; its cost is judged as a ratio to it.
//
// Real TCP over 127.0.0.1 (listen/accept), not socketpair(): the AF_UNIX path is much cheaper and
// would flatter every server measured against it. The accepted ends live in a forked reader
// process that drains them with epoll, so the sender holds only N descriptors (N ≤ 10,000 pairs
// fits the 20,000-file limit split over two processes) and its getrusage() counts only sending.
//
// Usage: pulseboard_raw_floor [--connections N] [--rounds M] [--frame-bytes B]
// Prints one JSON object on stdout.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { kMaxConnections = 10000, kMaxFrameBytes = 4096, kMaxBatch = 4 };

static void die(const char* what) {
  fprintf(stderr, "raw_floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(const struct timeval* tv) {
  return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void raise_file_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// Reader: accept `count` connections, then drain until `expected_bytes` have arrived; report the
// byte count through `report_fd`.
static void run_reader(int listener, int count, long long expected_bytes, int report_fd) {
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  for (int i = 0; i < count; ++i) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
    if (fd < 0) die("accept");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
  }
  char ready = 'r';
  if (write(report_fd, &ready, 1) != 1) die("write ready");
  long long received = 0;
  static char buf[65536];
  struct epoll_event events[256];
  while (received < expected_bytes) {
    int n = epoll_wait(ep, events, 256, 10000);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // 10 s without data: report what arrived
    for (int i = 0; i < n; ++i) {
      for (;;) {
        ssize_t r = recv(events[i].data.fd, buf, sizeof buf, 0);
        if (r > 0) {
          received += r;
          continue;
        }
        break;
      }
    }
  }
  if (write(report_fd, &received, sizeof received) != (ssize_t)sizeof received) die("write");
  _exit(0);
}

struct Pass {
  int frames_per_send;
  double user_s, sys_s, wall_s;
  long long frames, sends, bytes_received;
};

static int open_listener(struct sockaddr_in* addr) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) die("socket");
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr*)addr, sizeof *addr) < 0) die("bind");
  socklen_t len = sizeof *addr;
  getsockname(listener, (struct sockaddr*)addr, &len);
  if (listen(listener, 4096) < 0) die("listen");
  return listener;
}

// Source addresses spread over 127.1.0.0/16 so that repeated runs never run out of ephemeral
// ports (each source address has its own port range).
static int connect_one(const struct sockaddr_in* server, int index) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in src = {.sin_family = AF_INET};
  src.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | (uint32_t)(index / 250 + 1) << 8 |
                              (uint32_t)(index % 250 + 1));
  if (bind(fd, (struct sockaddr*)&src, sizeof src) < 0) die("bind source");
  if (connect(fd, (const struct sockaddr*)server, sizeof *server) < 0) die("connect");
  return fd;
}

static struct Pass run_pass(int connections, int rounds, int frame_bytes, int frames_per_send) {
  struct sockaddr_in server;
  int listener = open_listener(&server);
  int report[2];
  if (pipe(report) < 0) die("pipe");
  long long sends = (long long)connections * rounds;
  long long expected = sends * frames_per_send * frame_bytes;
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    close(report[0]);
    run_reader(listener, connections, expected, report[1]);
  }
  close(report[1]);
  close(listener);

  int* fds = calloc((size_t)connections, sizeof *fds);
  if (!fds) die("calloc");
  for (int i = 0; i < connections; ++i) fds[i] = connect_one(&server, i);
  char ready;
  if (read(report[0], &ready, 1) != 1) die("reader did not start");

  static char frame[kMaxFrameBytes * kMaxBatch];
  memset(frame, 'x', sizeof frame);
  size_t chunk = (size_t)frame_bytes * (size_t)frames_per_send;

  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  double start = now_seconds();
  for (int r = 0; r < rounds; ++r) {
    for (int i = 0; i < connections; ++i) {
      size_t off = 0;
      while (off < chunk) {
        ssize_t w = send(fds[i], frame + off, chunk - off, MSG_NOSIGNAL);
        if (w < 0) {
          if (errno == EINTR) continue;
          die("send");
        }
        off += (size_t)w;
      }
    }
  }
  double wall = now_seconds() - start;
  getrusage(RUSAGE_SELF, &after);

  long long received = 0;
  if (read(report[0], &received, sizeof received) != (ssize_t)sizeof received) received = -1;
  close(report[0]);
  for (int i = 0; i < connections; ++i) close(fds[i]);
  free(fds);
  waitpid(child, NULL, 0);

  struct Pass p = {.frames_per_send = frames_per_send,
                   .user_s = cpu_seconds(&after.ru_utime) - cpu_seconds(&before.ru_utime),
                   .sys_s = cpu_seconds(&after.ru_stime) - cpu_seconds(&before.ru_stime),
                   .wall_s = wall,
                   .frames = sends * frames_per_send,
                   .sends = sends,
                   .bytes_received = received};
  return p;
}

static void print_pass(const struct Pass* p, int connections, int frame_bytes, int last) {
  double per_frame_us = (p->user_s + p->sys_s) * 1e6 / (double)p->frames;
  printf(
      "    {\"frames_per_send\": %d, \"frames\": %lld, \"sends\": %lld, "
      "\"bytes_expected\": %lld, \"bytes_received\": %lld,\n"
      "     \"user_cpu_s\": %.6f, \"sys_cpu_s\": %.6f, \"wall_s\": %.6f,\n"
      "     \"user_us_per_frame\": %.4f, \"sys_us_per_frame\": %.4f, "
      "\"cpu_us_per_frame\": %.4f, \"cpu_us_per_send\": %.4f,\n"
      "     \"broadcast_floor_ms\": %.3f}%s\n",
      p->frames_per_send, p->frames, p->sends, p->frames * (long long)frame_bytes,
      p->bytes_received, p->user_s, p->sys_s, p->wall_s, p->user_s * 1e6 / (double)p->frames,
      p->sys_s * 1e6 / (double)p->frames, per_frame_us,
      (p->user_s + p->sys_s) * 1e6 / (double)p->sends,
      // One frame to every socket at this pass's CPU cost per frame.
      per_frame_us * connections / 1000.0, last ? "" : ",");
}

static int parse_int(const char* s, int lo, int hi, const char* name) {
  char* end = NULL;
  long v = strtol(s, &end, 10);
  if (!end || *end || v < lo || v > hi) {
    fprintf(stderr, "raw_floor: %s must be in [%d, %d]\n", name, lo, hi);
    exit(2);
  }
  return (int)v;
}

int main(int argc, char** argv) {
  int connections = 10000, rounds = 20, frame_bytes = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--connections"))
      connections = parse_int(argv[i + 1], 1, kMaxConnections, "--connections");
    else if (!strcmp(argv[i], "--rounds"))
      rounds = parse_int(argv[i + 1], 1, 1000000, "--rounds");
    else if (!strcmp(argv[i], "--frame-bytes"))
      frame_bytes = parse_int(argv[i + 1], 1, kMaxFrameBytes, "--frame-bytes");
    else {
      fprintf(stderr, "usage: %s [--connections N] [--rounds M] [--frame-bytes B]\n", argv[0]);
      return 2;
    }
  }
  raise_file_limit();
  signal(SIGPIPE, SIG_IGN);

  struct Pass single = run_pass(connections, rounds, frame_bytes, 1);
  struct Pass batched = run_pass(connections, rounds, frame_bytes, kMaxBatch);
  printf("{\n  \"connections\": %d, \"rounds\": %d, \"frame_bytes\": %d,\n  \"passes\": [\n",
         connections, rounds, frame_bytes);
  print_pass(&single, connections, frame_bytes, 0);
  print_pass(&batched, connections, frame_bytes, 1);
  printf("  ]\n}\n");
  return single.bytes_received == single.frames * (long long)frame_bytes &&
                 batched.bytes_received == batched.frames * (long long)frame_bytes
             ? 0
             : 1;
}
