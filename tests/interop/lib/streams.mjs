// What the streams-adapter tests share: the gateway options of streams mode and how to read the
// offsets it gives (Redis Stream entry ids).
export const STREAM = 'socket.io'; // the Node adapter's default stream, and the gateways'
export const OFFSET = /^\d+-\d+$/; // a Redis Stream entry id

export const streamsGatewayOptions = (redisUrl) => ({
  args: ['--redis-url', redisUrl, '--threads', '2'],
  env: { SOCKETIO_ADAPTER: 'streams' },
});

// Stream entry ids in stream order (milliseconds, then sequence).
export function compareIds(x, y) {
  const [xm, xs] = x.split('-').map(BigInt);
  const [ym, ys] = y.split('-').map(BigInt);
  return xm === ym ? Number(xs - ys) : Number(xm - ym);
}
