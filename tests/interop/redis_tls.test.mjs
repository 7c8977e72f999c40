// A gateway on a TLS-only Redis (rediss://, scripts/lib/redis.sh redis_tls_start, exported by
// scripts/test as PULSEBOARD_REDIS_TLS_*): a bridge publish reaches a socket.io-client, and a CA
// file that does not load stops the gateway at start-up instead of leaving it unready.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { connectClient, connected } from './lib/clients.mjs';
import { binary, freePort, inheritedEnv, nextEvent, SECRET, startGateways } from './lib/gateway.mjs';

const tlsUrl = process.env.PULSEBOARD_REDIS_TLS_URL;
const files = {
  REDIS_TLS_CA: process.env.PULSEBOARD_REDIS_TLS_CA,
  REDIS_TLS_CERT: process.env.PULSEBOARD_REDIS_TLS_CLIENT_CERT,
  REDIS_TLS_KEY: process.env.PULSEBOARD_REDIS_TLS_CLIENT_KEY,
};
const skip = tlsUrl ? false : 'PULSEBOARD_REDIS_TLS_URL is not set (redis_tls_start)';

describe('a gateway on rediss://', { skip }, () => {
  let gateway, pub, client;
  before(async () => {
    [gateway] = await startGateways(1, { args: ['--redis-url', tlsUrl], env: files });
    pub = createClient({
      url: tlsUrl,
      socket: {
        tls: true,
        ca: readFileSync(files.REDIS_TLS_CA),
        cert: readFileSync(files.REDIS_TLS_CERT),
        key: readFileSync(files.REDIS_TLS_KEY),
      },
    });
    pub.on('error', () => {});
    await pub.connect();
    client = connectClient(gateway.url);
    await connected(client);
  });
  after(async () => {
    client?.disconnect();
    await pub?.quit().catch(() => {});
    const exit = await gateway?.stop();
    assert.equal(exit?.code, 0, 'the gateway exits cleanly');
  });

  it('delivers a socket-io-bridge publish to a socket.io-client', async () => {
    const got = nextEvent(client, 'order', 10000);
    await pub.publish('socket-io-bridge', JSON.stringify({ room: 'live-metrics', event: 'order', data: { seq: 7 } }));
    assert.deepEqual(await got, [{ seq: 7 }]);
  });
});

describe('a gateway given a CA file that does not load', { skip }, () => {
  it('exits at start-up naming the file', async () => {
    const port = await freePort();
    const child = spawn(binary, ['gateway', '--port', String(port), '--redis-url', tlsUrl], {
      env: { ...inheritedEnv(), JWT_SECRET: SECRET, ...files, REDIS_TLS_CA: '/nonexistent/ca.pem' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const [code] = await once(child, 'exit');
    assert.notEqual(code, 0);
    assert.match(output, /\/nonexistent\/ca\.pem/);
  });
});
