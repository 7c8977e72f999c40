// A Node socket.io 4 server on a Redis Cluster with @socket.io/redis-adapter's sharded adapter
// (createShardedAdapter, SSUBSCRIBE/SPUBLISH, Redis >= 7) and the redis package's cluster
// client: the Node side of a sharded cluster shared with Pulseboard gateways. Like
// peers/server.mjs it verifies the HS256 token, joins `live-metrics` and answers `echo`; it
// takes bridge messages by SSUBSCRIBE and emits them with io.local, so each client gets each
// message once (every gateway delivers the bridge to its own sockets).
import { createServer } from 'node:http';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { createCluster } from 'redis';
import { Server } from 'socket.io';
import { listenOnLoopback, serveDashboardSockets } from './common.mjs';

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
  serveDashboardSockets(io, secret);
  await bridgeClient.sSubscribe(bridge, (message) => {
    const payload = JSON.parse(message);
    io.local.to(payload.room).emit(payload.event, payload.data);
  });

  const port = await listenOnLoopback(httpServer);
  return {
    io,
    pubClient,
    url: `http://127.0.0.1:${port}`,
    async close() {
      io.close();
      await Promise.allSettled([pubClient.quit(), subClient.quit(), bridgeClient.quit()]);
    },
  };
}
