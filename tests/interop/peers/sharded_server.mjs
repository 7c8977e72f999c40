// A Node socket.io 4 server on a Redis Cluster with @socket.io/redis-adapter's sharded adapter
// (createShardedAdapter, SSUBSCRIBE/SPUBLISH, Redis >= 7) and the redis package's cluster
// client: the Node side of a sharded cluster shared with Pulseboard gateways. Like
// peers/server.mjs it verifies the HS256 token, joins `live-metrics` and answers `echo`; it
// takes bridge messages by SSUBSCRIBE and emits them with io.local, so each client gets each
// message once (every gateway delivers the bridge to its own sockets).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { createCluster } from 'redis';
import { Server } from 'socket.io';

function verifyHs256(token, secret) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) return null;
  const [head, body, sig] = parts;
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claims = JSON.parse(Buffer.from(body, 'base64url'));
    if (JSON.parse(Buffer.from(head, 'base64url')).alg !== 'HS256') return null;
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return null;
    return claims;
  } catch {
    return null;
  }
}

export async function startShardedServer({ redisUrl, secret, subscriptionMode = 'dynamic', bridge = 'socket-io-bridge' }) {
  const httpServer = createServer();
  const pubClient = createCluster({ rootNodes: [{ url: redisUrl }] });
  const subClient = pubClient.duplicate();
  const bridgeClient = pubClient.duplicate();
  for (const c of [pubClient, subClient, bridgeClient]) c.on('error', () => {});
  await Promise.all([pubClient.connect(), subClient.connect(), bridgeClient.connect()]);

  const io = new Server(httpServer, {
    transports: ['websocket'],
    adapter: createShardedAdapter(pubClient, subClient, { subscriptionMode }),
  });
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
  await bridgeClient.sSubscribe(bridge, (message) => {
    const payload = JSON.parse(message);
    io.local.to(payload.room).emit(payload.event, payload.data);
  });

  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  return {
    io,
    pubClient,
    url: `http://127.0.0.1:${httpServer.address().port}`,
    async close() {
      io.close();
      await Promise.allSettled([pubClient.quit(), subClient.quit(), bridgeClient.quit()]);
    },
  };
}
