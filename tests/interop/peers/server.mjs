// The article's backend/server.js (socket.io 4 + @socket.io/redis-adapter), kept as close to it as
// a test allows: no express/cors/dotenv (plain http), the JWT is actually verified (HS256 with
// JWT_SECRET) instead of only checked for presence, and it can run in-process so a test can call
// io.fetchSockets() and friends. Run it standalone with `node peers/server.mjs` (PORT, REDIS_URL,
// JWT_SECRET, BRIDGE_LOCAL=1).
//
// `bridgeLocal`: the article emits each bridge message with io.to(room), i.e. through the adapter
// to every node, while every node is subscribed to the bridge: N nodes deliver N copies.
// io.local.to(room) is the fix, and is what a Node server beside Pulseboard gateways must use.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { listenOnLoopback, serveDashboardSockets } from './common.mjs';

export async function startArticleServer({
  port = 0,
  redisUrl = 'redis://localhost:6379',
  secret,
  bridgeLocal = false,
  transports = ['websocket'], // the article forces WebSockets
} = {}) {
  const httpServer = createServer();
  const pubClient = createClient({ url: redisUrl });
  const subClient = pubClient.duplicate();
  const nodeSubClient = pubClient.duplicate();
  for (const c of [pubClient, subClient, nodeSubClient]) c.on('error', () => {});
  await Promise.all([pubClient.connect(), subClient.connect()]);

  const io = new Server(httpServer, { transports });
  io.adapter(createAdapter(pubClient, subClient));
  serveDashboardSockets(io, secret);

  const state = { bridgeLocal };
  await nodeSubClient.connect();
  await nodeSubClient.subscribe('socket-io-bridge', (message) => {
    const payload = JSON.parse(message);
    (state.bridgeLocal ? io.local : io).to(payload.room).emit(payload.event, payload.data);
  });

  const boundPort = await listenOnLoopback(httpServer, port);
  return {
    io,
    port: boundPort,
    url: `http://127.0.0.1:${boundPort}`,
    setBridgeLocal(on) {
      state.bridgeLocal = on;
    },
    async close() {
      io.close();
      await Promise.allSettled([pubClient.quit(), subClient.quit(), nodeSubClient.quit()]);
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await startArticleServer({
    port: Number(process.env.PORT || 4000),
    redisUrl: process.env.REDIS_URL,
    secret: process.env.JWT_SECRET,
    bridgeLocal: process.env.BRIDGE_LOCAL === '1',
  });
  console.log(`WebSocket Engine active on port ${s.port}`);
}
