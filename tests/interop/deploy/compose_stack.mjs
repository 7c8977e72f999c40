// deploy/compose.yaml as operators run it (scripts/deploy-test starts it; slow, so not named
// *.test.mjs and not part of scripts/test): orders posted through NGINX reach socket.io-client
// dashboards; the gateway container holding them is killed and they recover on the other one
// with nothing missed; the leading worker's container is killed and the standby leads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { mintToken, mintWriteToken, waitFor } from '../lib/gateway.mjs';

const project = process.env.COMPOSE_PROJECT ?? 'pulseboard';
const base = `http://127.0.0.1:${process.env.PULSEBOARD_PORT ?? 8080}`;
const secret = process.env.JWT_SECRET;
const podman = (...args) => execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function container(service) {
  const name = podman('ps', '--filter', `label=io.podman.compose.project=${project}`,
    '--filter', `label=com.docker.compose.service=${service}`, '--format', '{{.Names}}').trim();
  assert.ok(name, `a running container for ${service}`);
  return name;
}

// GET inside a container (its ports are not published): bash's /dev/tcp, as the healthcheck.
function getInside(service, port, path) {
  const script = `exec 3<>/dev/tcp/127.0.0.1/${port}; printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`;
  const text = podman('exec', container(service), 'bash', '-c', script);
  return { status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

const socketsOn = (gw) => Number(/^pulseboard_sockets_connected (\d+)/m.exec(getInside(gw, 4000, '/metrics').body)?.[1] ?? 0);
const leaderOf = () => ['worker-1', 'worker-2'].find((w) => {
  try { return getInside(w, 8081, '/readyz').body.includes('"leader"'); } catch { return false; }
});

async function postOrder(n) {
  const res = await fetch(`${base}/api/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${mintWriteToken({}, { secret })}`, 'content-type': 'application/json' },
    body: JSON.stringify({ amount: 10 + n, category: 'deploy-test', status: 'completed' }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).id;
}

describe(`compose stack ${project} through NGINX at ${base}`, () => {
  const dashboards = [];
  const posted = [];
  before(async () => {
    await waitFor(async () => (await fetch(`${base}/`)).status === 200, { timeoutMs: 180000, intervalMs: 500, what: 'the dashboard through NGINX' });
    await waitFor(() => ['gateway-1', 'gateway-2'].every((g) => getInside(g, 4000, '/readyz').status === 200), { timeoutMs: 180000, intervalMs: 500, what: 'both gateways ready' });
    await waitFor(() => leaderOf(), { timeoutMs: 180000, intervalMs: 500, what: 'a leading worker' });
  });
  after(() => dashboards.forEach((d) => d.socket.disconnect()));

  it('serves the dashboard page at / through NGINX', async () => {
    const res = await fetch(`${base}/`);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(await res.text(), /<div id="root">/);
  });

  it('orders posted through NGINX reach every dashboard', async () => {
    for (let i = 0; i < 4; i++) {
      const d = { orders: new Map(), recovered: 0 };
      d.socket = io(base, { auth: { token: mintToken({}, { secret }) }, transports: i % 2 ? ['polling'] : ['polling', 'websocket'] });
      d.socket.on('metrics-update', (data) => d.orders.set(data.id, (d.orders.get(data.id) ?? 0) + 1));
      d.socket.on('connect', () => { if (d.socket.recovered) d.recovered++; });
      dashboards.push(d);
    }
    await waitFor(() => dashboards.every((d) => d.socket.connected), { timeoutMs: 30000, what: 'dashboards connected' });
    for (let n = 0; n < 5; n++) posted.push(await postOrder(n));
    await waitFor(() => dashboards.every((d) => posted.every((id) => d.orders.has(id))), { timeoutMs: 30000, what: 'every order on every dashboard' });
  });

  it('a gateway container is killed: its dashboards recover on the other with nothing missed', async () => {
    const victim = socketsOn('gateway-1') >= socketsOn('gateway-2') ? 'gateway-1' : 'gateway-2';
    const moved = socketsOn(victim);
    const started = Date.now();
    podman('kill', '--signal', 'KILL', container(victim));
    // Orders committed while the dashboards are away must reach them on recovery.
    for (let n = 5; n < 10; n++) posted.push(await postOrder(n));
    await waitFor(() => dashboards.every((d) => d.socket.connected && posted.every((id) => d.orders.has(id))),
      { timeoutMs: 90000, intervalMs: 200, what: 'every dashboard back with every order' });
    const recovered = dashboards.filter((d) => d.recovered > 0).length;
    console.log(`# killed ${victim} holding ${moved} of ${dashboards.length} dashboards: all back with all ${posted.length} orders in ${Date.now() - started} ms; ${recovered} recovered their socket`);
    assert.equal(recovered, moved, 'each dashboard of the killed gateway got its socket back');
    for (const d of dashboards) for (const id of posted) assert.equal(d.orders.get(id), 1, `order ${id} delivered once`);
  });

  it('the leading worker container is killed: the standby leads and orders keep flowing', async () => {
    const leader = leaderOf();
    const started = Date.now();
    podman('kill', '--signal', 'KILL', container(leader));
    await waitFor(() => { const l = leaderOf(); return l && l !== leader; }, { timeoutMs: 60000, intervalMs: 250, what: 'the standby leads' });
    const tookOver = Date.now() - started;
    const id = await postOrder(100);
    await waitFor(() => dashboards.every((d) => d.orders.has(id)), { timeoutMs: 30000, what: 'the order after the takeover' });
    console.log(`# killed ${leader}: ${leaderOf()} leads after ${tookOver} ms; the next order reached all ${dashboards.length} dashboards`);
  });
});
