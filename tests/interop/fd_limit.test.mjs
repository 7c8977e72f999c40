// A gateway near its open-file limit must neither spin nor flood its log nor spend its last
// descriptors: a connection that lands in the reserve below the limit is closed at once (one
// warning per episode), and once descriptors are free again it serves new clients as before.
// (--max-connections-per-address is lifted so that one address can reach the reserve.)
// Under the sanitizer build note that UBSan's vptr check needs a free descriptor of its own the
// first time it meets a type (it probes memory through a pipe): the retry path therefore uses a
// timer made at start-up, not one made while the process is out of descriptors.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { SECRET, binary, freePort, inheritedEnv, mintToken, nextEvent, waitFor } from './lib/gateway.mjs';

const FD_LIMIT = 128;
const HELD = 200; // more connections than the gateway has descriptors for

// utime + stime of a process, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second).
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('a gateway at its open-file limit', { timeout: 60000 }, () => {
  let child;
  let url;
  let output = '';
  const held = [];

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The limit is set by the shell that execs the gateway, so only the gateway is limited.
    child = spawn('sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`, binary, 'gateway', '--port', String(port), '--max-connections-per-address', '0'], {
      env: { ...inheritedEnv(), JWT_SECRET: SECRET, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    await waitFor(async () => (await fetch(`${url}/healthz`)).ok, { what: 'gateway up' });
  });

  after(async () => {
    for (const s of held) s.destroy();
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('refuses connections in the reserve without spinning, logs once, and recovers', async () => {
    let closedByGateway = 0;
    for (let i = 0; i < HELD; i++) {
      const s = net.connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
      s.on('error', () => {});
      s.on('close', () => (closedByGateway += 1));
      s.resume(); // flowing, so the gateway's close is seen
      held.push(s);
    }
    await waitFor(() => /refusing connections/.test(output), { what: 'the gateway to reach its reserve' });

    const cpuBefore = cpuSeconds(child.pid);
    await new Promise((r) => setTimeout(r, 2000));
    const cpuAtLimit = cpuSeconds(child.pid) - cpuBefore;
    // Spinning on accept() costs a whole core (about 2 s here); refusing costs almost nothing.
    assert.ok(cpuAtLimit < 0.5, `gateway used ${cpuAtLimit}s of CPU in 2 s at its limit`);
    const warnings = output.split('\n').filter((l) => l.includes('refusing connections'));
    assert.equal(warnings.length, 1, `one warning per episode, got ${warnings.length}`);
    // The descriptors in the reserve stay free: the process never reaches its limit.
    assert.ok(!/accept failed/.test(output), 'the listener never ran out of descriptors');
    assert.ok(closedByGateway > 0, 'connections in the reserve were closed at once');

    for (const s of held.splice(0)) s.destroy();
    const client = io(url, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
    try {
      await nextEvent(client, 'connect', 10000);
      assert.ok(client.connected);
    } finally {
      client.close();
    }
    await waitFor(() => /accepting connections again/.test(output), { what: 'recovery log line' });
  });
});
