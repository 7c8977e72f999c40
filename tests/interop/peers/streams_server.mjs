// A Node socket.io 4 server with @socket.io/redis-streams-adapter and connection state recovery:
// the Node side of a streams cluster shared with Pulseboard gateways (SOCKETIO_ADAPTER=streams).
// Like peers/server.mjs it verifies the HS256 token, joins `live-metrics` and answers `echo`.
// It does not subscribe to the bridge: in streams mode the gateways append each bridge message
// to the stream once, and this server delivers it from the stream like any other broadcast.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { waitFor } from '../lib/gateway.mjs';
import { listenOnLoopback, serveDashboardSockets } from './common.mjs';

export async function startStreamsServer({ redisUrl, secret, streamName = 'socket.io' }) {
  const httpServer = createServer();
  // The adapter duplicates this client for its XREAD loop and its subscriptions; the duplicates
  // keep the name, so CLIENT LIST tells when this server's XREAD is blocked on the stream.
  const name = `pb-streams-peer-${randomBytes(4).toString('hex')}`;
  const redisClient = createClient({ url: redisUrl, name });
  redisClient.on('error', () => {});
  await redisClient.connect();

  const io = new Server(httpServer, {
    transports: ['websocket'],
    connectionStateRecovery: {},
    adapter: createAdapter(redisClient, { streamName }),
  });
  serveDashboardSockets(io, secret);

  // The adapter starts reading at `$` once its reader is connected: entries appended before that
  // are never seen here. Wait for the reader, so that a test starting now misses nothing.
  const probe = redisClient.duplicate({ name: `${name}-probe` });
  probe.on('error', () => {});
  await probe.connect();
  try {
    await waitFor(async () => {
      const list = await probe.sendCommand(['CLIENT', 'LIST']);
      return list.split('\n').some((line) => line.includes(` name=${name} `) && / cmd=xread /.test(line));
    }, { what: 'the streams adapter reading the stream' });
  } finally {
    await probe.quit().catch(() => {});
  }

  const port = await listenOnLoopback(httpServer);
  return {
    io,
    redisClient,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      // io.close() closes the adapter, which aborts its reader and subscriber connections.
      await new Promise((resolve) => io.close(() => resolve()));
      await redisClient.quit().catch(() => {});
    },
  };
}
