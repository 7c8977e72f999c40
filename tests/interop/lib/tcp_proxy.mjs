// A TCP proxy on loopback standing in for a load balancer whose backend changes: each accepted
// connection is piped to the current target port; `setTarget` moves the connections that come
// next, `dropAll` cuts the live ones (the client sees its transport close). When either side of
// a pair ends, the other is destroyed too, so a killed backend looks to the client like a closed
// connection at once.
import { once } from 'node:events';
import net from 'node:net';

export async function startTcpProxy(targetPort) {
  let target = targetPort;
  const pairs = new Set();
  const server = net.createServer((downstream) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    const pair = { downstream, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    for (const s of [downstream, upstream]) {
      s.setNoDelay(true);
      s.on('error', end);
      s.on('close', end);
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => pairs.size,
    setTarget(p) {
      target = p;
    },
    dropAll() {
      for (const { downstream, upstream } of [...pairs]) {
        downstream.destroy();
        upstream.destroy();
      }
    },
    async close() {
      this.dropAll();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
