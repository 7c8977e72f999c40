// The article's server.js, kept as close to the original as a benchmark allows: Socket.IO 4.8
// over WebSocket only, the Redis adapter, the token-presence check at the handshake, every socket
// in 'live-metrics', and the 'socket-io-bridge' listener that re-emits to a room.
// Left out on purpose: express/cors/dotenv (no HTTP routes are exercised) and the per-connection
// console.log lines, which at 19k connections would measure the terminal, not the server.
'use strict';
const { createServer } = require('http');
const { Server } = require('socket.io');
const { createClient } = require('redis');
const { createAdapter } = require('@socket.io/redis-adapter');

const httpServer = createServer();
const pubClient = createClient({ url: process.env.REDIS_URL || 'redis://localhost:6379' });
const subClient = pubClient.duplicate();

Promise.all([pubClient.connect(), subClient.connect()])
  .then(() => {
    const io = new Server(httpServer, {
      cors: { origin: process.env.CLIENT_URL || 'http://localhost:5173', methods: ['GET', 'POST'] },
      transports: ['websocket'],
    });
    io.adapter(createAdapter(pubClient, subClient));

    // The article's guardrail: only checks that a token is present.
    io.use((socket, next) => {
      const token = socket.handshake.auth.token;
      if (!token) return next(new Error('Authentication error'));
      next();
    });

    io.on('connection', (socket) => {
      socket.join('live-metrics');
    });

    const nodeSubClient = pubClient.duplicate();
    nodeSubClient.connect().then(() => {
      nodeSubClient.subscribe('socket-io-bridge', (message) => {
        const payload = JSON.parse(message);
        io.to(payload.room).emit(payload.event, payload.data);
      });
    });

    const PORT = process.env.PORT || 4000;
    httpServer.listen(PORT, '127.0.0.1', () => console.log(`listening on ${PORT}`));
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
