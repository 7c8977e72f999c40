// The kernel's cost of one WebSocket frame (a header and a payload) written to a loopback TCP
// socket as sendmsg() of the two pieces, against send() of the two copied into one buffer; the
// third column repeats the first, to show the drift between passes. 4,000 socket pairs, nothing
// read while a pass sends (no wakeups), thread CPU time per call.
// Build: gcc -O2 -o send_vs_sendmsg send_vs_sendmsg.c   Run: ./send_vs_sendmsg BYTES ROUNDS REPEATS
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#define N 4000
int srv[N], cli[N];
double tcpu() {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}
void drain() {
  char b[65536];
  for (int i = 0; i < N; i++)
    while (recv(cli[i], b, sizeof b, MSG_DONTWAIT) > 0)
      ;
}
int main(int argc, char** argv) {
  int size = atoi(argv[1]);
  int rounds = atoi(argv[2]);
  int reps = atoi(argv[3]);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(0x7f000001);
  int one = 1;
  bind(l, (void*)&a, sizeof a);
  listen(l, 4096);
  socklen_t al = sizeof a;
  getsockname(l, (void*)&a, &al);
  for (int i = 0; i < N; i++) {
    cli[i] = socket(AF_INET, SOCK_STREAM, 0);
    connect(cli[i], (void*)&a, sizeof a);
    srv[i] = accept(l, 0, 0);
    setsockopt(srv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  char hdr[4] = {(char)0x81, 126, 0, 0};
  int hl = size < 126 ? 2 : 4;
  if (size < 126) hdr[1] = size;
  char* pay = malloc(size);
  memset(pay, 'x', size);
  char buf[70000];
  double tot[3] = {0};
  for (int rep = 0; rep < reps; rep++)
    for (int m = 0; m < 3; m++) {
      double t0 = tcpu();
      for (int r = 0; r < rounds; r++)
        for (int i = 0; i < N; i++) {
          if (m == 0) {
            struct iovec v[2] = {{hdr, hl}, {pay, size}};
            struct msghdr mh = {0};
            mh.msg_iov = v;
            mh.msg_iovlen = 2;
            sendmsg(srv[i], &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
          } else if (m == 1) {
            memcpy(buf, hdr, hl);
            memcpy(buf + hl, pay, size);
            send(srv[i], buf, hl + size, MSG_NOSIGNAL | MSG_DONTWAIT);
          } else {
            struct iovec v[2] = {{hdr, hl}, {pay, size}};
            struct msghdr mh = {0};
            mh.msg_iov = v;
            mh.msg_iovlen = 2;
            sendmsg(srv[i], &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
          }
        }
      tot[m] += tcpu() - t0;
      drain();
    }
  long n = (long)rounds * N * reps;
  printf("size %d: sendmsg2 %.3f  copy+send %.3f  sendmsg2(again) %.3f us/call\n", size,
         tot[0] * 1e6 / n, tot[1] * 1e6 / n, tot[2] * 1e6 / n);
  return 0;
}
