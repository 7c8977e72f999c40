// Two Pulseboard gateways beside a Node socket.io server on one broker, each with the real
// socket.io-client: pa1 and pa2 on gateway a, pb1 on gateway b, n1 on the Node server. The
// setting of the tests in which the Node server's adapter drives the gateways' clients.
import { clientSet, connected } from './clients.mjs';
import { startGateways, waitFor } from './gateway.mjs';

// `gateway`: the options of both gateways (see startPulseboard); `startNodeServer`: starts the
// Node peer, which exposes `io`, `url` and `close()`. Resolves once the Node server's adapter
// counts both gateways as cluster members (serverCount() is 3); `stop()` closes the clients, the
// Node server and the gateways, not the broker.
export async function startMixedCluster({ gateway, startNodeServer }) {
  const [a, b] = await startGateways(2, gateway);
  const clients = clientSet();
  let node;
  const stop = async () => {
    clients.disconnectAll();
    await node?.close();
    await Promise.all([a.stop(), b.stop()]);
  };
  try {
    node = await startNodeServer();
    const [pa1, pa2, pb1, n1] = [a, a, b, node].map((server) => clients.connect(server.url));
    await connected(pa1, pa2, pb1, n1);
    await waitFor(async () => (await node.io.of('/').adapter.serverCount()) === 3, { what: 'serverCount 3' });
    return { a, b, node, pa1, pa2, pb1, n1, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
