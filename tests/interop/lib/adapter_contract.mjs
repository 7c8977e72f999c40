// Checks that hold whichever Redis adapter format the cluster speaks (classic `createAdapter` or
// `createShardedAdapter`): run against the cluster startMixedCluster returns, where the Node
// server `node` drives, through its adapter, the clients pa1, pa2 (gateway a), pb1 (gateway b)
// and n1 (the Node server's own).
import assert from 'node:assert/strict';
import { silent } from './clients.mjs';
import { nextEvent } from './gateway.mjs';

// `except` by a socket id and by a room reaches everyone else and not the excluded.
export async function exceptIsHonoured({ node, pa1, pa2, pb1, n1 }) {
  await pa2.timeout(2000).emitWithAck('subscribe', 'vip');
  const pa1Quiet = silent(pa1, 'no-pa1');
  const others = Promise.all([pa2, pb1, n1].map((s) => nextEvent(s, 'no-pa1')));
  node.io.to('live-metrics').except(pa1.id).emit('no-pa1');
  await others;
  assert.equal(await pa1Quiet, true);
  const vipQuiet = silent(pa2, 'no-vip');
  const rest = Promise.all([pa1, pb1, n1].map((s) => nextEvent(s, 'no-vip')));
  node.io.except('vip').emit('no-vip');
  await rest;
  assert.equal(await vipQuiet, true);
}

// serverSideEmitWithAck resolves with one answer per gateway, well before the request timeout.
export async function everyGatewayAnswersServerSideEmit({ node }) {
  const t0 = Date.now();
  const replies = await node.io.serverSideEmitWithAck('ping', { a: 1 });
  assert.deepEqual(replies, [null, null]);
  assert.ok(Date.now() - t0 < 2000);
}

// timeout().emitWithAck collects the first ack argument of every client, gateways' included.
export async function broadcastAcksAreCollected({ node, pa1, pa2, pb1, n1 }) {
  for (const s of [pa1, pa2, pb1, n1]) s.on('question', (x, cb) => cb({ answer: x + 1, from: s.id }));
  const replies = await node.io.timeout(3000).emitWithAck('question', 41);
  assert.equal(replies.length, 4);
  assert.deepEqual(new Set(replies.map((r) => r.from)), new Set([pa1.id, pa2.id, pb1.id, n1.id]));
  for (const r of replies) assert.equal(r.answer, 42);
}

// disconnectSockets(false) is a server disconnect; (true) closes the connection. Leaves pa2 and
// pb1 disconnected, so it runs last.
export async function disconnectSocketsReachesGatewayClients({ node, pa1, pa2, pb1 }) {
  const reason = nextEvent(pa2, 'disconnect');
  node.io.in(pa2.id).disconnectSockets();
  assert.equal((await reason)[0], 'io server disconnect');
  const closed = nextEvent(pb1, 'disconnect');
  node.io.in(pb1.id).disconnectSockets(true);
  assert.equal((await closed)[0], 'transport close');
  assert.equal(pa1.connected, true);
}
