// The real socket.io-client as a dashboard uses it (WebSocket only, a valid token), and what the
// cluster tests ask of a set of such clients: were they all connected, how often did an event
// reach each, did one stay quiet.
import { io } from 'socket.io-client';
import { mintToken, nextEvent } from './gateway.mjs';

// A new socket.io-client on `url` with a fresh token; no reconnection, so a drop is seen as one.
export function connectClient(url, opts = {}) {
  return io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: mintToken() }, ...opts });
}

// Resolves once every socket has fired 'connect' (at once for those already connected).
export function connected(...sockets) {
  return Promise.all(sockets.map((s) => (s.connected ? null : nextEvent(s, 'connect'))));
}

// The clients a test opened, so that one `disconnectAll()` in `after` closes every one of them.
export function clientSet() {
  const sockets = [];
  return {
    connect(url, opts) {
      const socket = connectClient(url, opts);
      sockets.push(socket);
      return socket;
    },
    disconnectAll() {
      sockets.forEach((s) => s.disconnect());
    },
  };
}

// Resolves with how many times `event` arrived at each socket, after a 'barrier' event sent by
// `sendBarrier` arrived everywhere and a quiet period passed (so late duplicates count too).
export async function countsAfter(sockets, event, send, sendBarrier) {
  const counts = sockets.map(() => 0);
  const handlers = sockets.map((s, i) => {
    const h = () => counts[i]++;
    s.on(event, h);
    return h;
  });
  await send();
  const barriers = sockets.map((s) => nextEvent(s, 'barrier', 5000));
  await sendBarrier();
  await Promise.all(barriers);
  await new Promise((r) => setTimeout(r, 300));
  sockets.forEach((s, i) => s.off(event, handlers[i]));
  return counts;
}

// Resolves true when `event` did not arrive at `socket` within `ms` (for exclusions).
export async function silent(socket, event, ms = 400) {
  let got = false;
  const h = () => (got = true);
  socket.on(event, h);
  await new Promise((r) => setTimeout(r, ms));
  socket.off(event, h);
  return !got;
}
