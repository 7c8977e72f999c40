// The least a server can do for the bench's dashboards: a plain uWebSockets.js topic fan-out.
// It speaks only the part of Engine.IO v4 / Socket.IO v5 that a WebSocket-only dashboard uses
// (docs/protocol-reference.md): the OPEN packet on upgrade, CONNECT to the main namespace with a
// token present (no verification, like the article's check), server pings and client pongs, and
// EVENT frames. Each bridge message {room, event, data} from Redis 'socket-io-bridge' is encoded
// once and published to the uWebSockets.js topic of its room. No adapter, no acks, no rooms
// beyond 'live-metrics', no long-polling, no connection state recovery: a floor for what a
// Socket.IO-compatible fan-out costs in JavaScript, not a Socket.IO server.
'use strict';
const crypto = require('crypto');
const uws = require('./native_uws');
const { createClient } = require('redis');

const PING_INTERVAL_MS = 25000;
const PING_TIMEOUT_MS = 20000;
const MAX_PAYLOAD = 1000000;
const ROOM = 'live-metrics';
const PING_TOPIC = 'engine.io-ping';

function sessionId() {
  return crypto.randomBytes(15).toString('base64url');
}

// A CONNECT to "/" with a token: `40{"token":"..."}`. Anything else is refused.
function hasToken(packet) {
  if (!packet.startsWith('40{')) return false;
  try {
    const auth = JSON.parse(packet.slice(2));
    return typeof auth.token === 'string' && auth.token.length > 0;
  } catch {
    return false;
  }
}

const sockets = new Set();
const app = uws.App();
app.ws('/socket.io/', {
  compression: uws.DISABLED,
  maxPayloadLength: MAX_PAYLOAD,
  maxBackpressure: 4 * 1024 * 1024,
  idleTimeout: 0, // the Engine.IO heartbeat below decides when a client is gone
  sendPingsAutomatically: false,
  upgrade: (res, req, context) => {
    const query = new URLSearchParams(req.getQuery());
    if (query.get('EIO') !== '4' || query.get('transport') !== 'websocket') {
      res.writeStatus('400 Bad Request').end();
      return;
    }
    res.upgrade(
      { sid: sessionId(), connected: false, pongDue: 0 },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open: (ws) => {
    const data = ws.getUserData();
    ws.send(
      '0' +
        JSON.stringify({
          sid: data.sid,
          upgrades: [],
          pingInterval: PING_INTERVAL_MS,
          pingTimeout: PING_TIMEOUT_MS,
          maxPayload: MAX_PAYLOAD,
        }),
    );
    ws.subscribe(PING_TOPIC);
    sockets.add(ws);
  },
  close: (ws) => {
    sockets.delete(ws);
  },
  message: (ws, message) => {
    const text = Buffer.from(message).toString();
    const data = ws.getUserData();
    if (text === '3') {
      data.pongDue = 0;
    } else if (!data.connected && hasToken(text)) {
      data.connected = true;
      ws.send('40' + JSON.stringify({ sid: sessionId() }));
      ws.subscribe(ROOM);
    } else if (!data.connected) {
      ws.send('44{"message":"Authentication error"}');
      ws.end();
    }
  },
});

// One ping frame published to every socket; a socket that has not answered the previous one
// (pingTimeout is shorter than the interval) is closed.
setInterval(() => {
  const now = Date.now();
  for (const ws of sockets) {
    const data = ws.getUserData();
    if (data.pongDue && now > data.pongDue) ws.end();
    else data.pongDue = now + PING_TIMEOUT_MS;
  }
  app.publish(PING_TOPIC, '2');
}, PING_INTERVAL_MS);

const redis = createClient({ url: process.env.REDIS_URL || 'redis://localhost:6379' });
redis
  .connect()
  .then(() =>
    redis.subscribe('socket-io-bridge', (message) => {
      const payload = JSON.parse(message);
      app.publish(payload.room, `42[${JSON.stringify(payload.event)},${JSON.stringify(payload.data)}]`);
    }),
  )
  .then(() => {
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
