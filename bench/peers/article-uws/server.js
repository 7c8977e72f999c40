// The article's server.js (bench/peers/node-baseline) on uWebSockets.js: the same Socket.IO 4.8
// server, Redis adapter, token-presence check, 'live-metrics' room and 'socket-io-bridge'
// listener, attached to a uWebSockets.js app with Socket.IO's own `io.attachApp(app)` instead of
// Node's http server. Socket.IO then broadcasts through uWebSockets.js topics (app.publish), so
// this is the article's code with the fastest transport Socket.IO offers.
'use strict';
const uws = require('./native_uws');
const { Server } = require('socket.io');
const { createClient } = require('redis');
const { createAdapter } = require('@socket.io/redis-adapter');

const app = uws.App();
const pubClient = createClient({ url: process.env.REDIS_URL || 'redis://localhost:6379' });
const subClient = pubClient.duplicate();

Promise.all([pubClient.connect(), subClient.connect()])
  .then(() => {
    const io = new Server({
      cors: { origin: process.env.CLIENT_URL || 'http://localhost:5173', methods: ['GET', 'POST'] },
      transports: ['websocket'],
    });
    io.attachApp(app);
    io.adapter(createAdapter(pubClient, subClient));

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

    const PORT = Number(process.env.PORT || 4000);
    app.listen('127.0.0.1', PORT, (token) => {
      if (!token) {
        console.error(`cannot listen on ${PORT}`);
        process.exit(1);
      }
      console.log(`listening on ${PORT}`);
    });
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
