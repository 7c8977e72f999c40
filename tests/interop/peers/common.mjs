// What both Node peer servers (peers/server.mjs on one Redis, peers/sharded_server.mjs on a Redis
// Cluster) do alike, as the article's server.js does it: verify the HS256 token of every
// handshake, put every socket in `live-metrics`, answer `echo`, listen on loopback.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';

// The claims of an HS256 JWT signed with `secret` and not expired, or null. Hand-written on
// node:crypto so that the tests need no JWT package (package.json has none).
export function verifyHs256(token, secret) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) return null;
  const [head, body, sig] = parts;
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const header = JSON.parse(Buffer.from(head, 'base64url'));
    const claims = JSON.parse(Buffer.from(body, 'base64url'));
    if (header.alg !== 'HS256') return null;
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return null;
    return claims;
  } catch {
    return null;
  }
}

// The article's connection handling on `io`: refuse a handshake without a valid token (keeping
// its `sub` in socket.data), join `live-metrics`, and ack `echo` with the arguments it got.
export function serveDashboardSockets(io, secret) {
  io.use((socket, next) => {
    const claims = verifyHs256(socket.handshake.auth?.token, secret);
    if (!claims) return next(new Error('Authentication error'));
    socket.data.sub = claims.sub;
    next();
  });
  io.on('connection', (socket) => {
    socket.join('live-metrics');
    socket.on('echo', (...args) => {
      const ack = typeof args.at(-1) === 'function' ? args.pop() : null;
      ack?.(...args);
    });
  });
}

// Listens on 127.0.0.1:`port` (0: any free port) and resolves with the port taken.
export async function listenOnLoopback(httpServer, port = 0) {
  httpServer.listen(port, '127.0.0.1');
  await once(httpServer, 'listening');
  return httpServer.address().port;
}
