// A gateway at its open-file limit must neither spin nor flood its log: the connection it
// cannot accept waits in the listen backlog, and the gateway tries again a little later. Once
// descriptors are free again it serves new clients as before.
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
    child = spawn('sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`, binary, 'gateway', '--port', String(port)], {
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

  it('backs off instead of spinning, logs once, and recovers when descriptors free up', async () => {
    for (let i = 0; i < HELD; i++) {
      const s = net.connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
      s.on('error', () => {});
      held.push(s);
    }
    await waitFor(() => /accept failed/.test(output), { what: 'the gateway to reach its limit' });

    const cpuBefore = cpuSeconds(child.pid);
    await new Promise((r) => setTimeout(r, 2000));
    const cpuAtLimit = cpuSeconds(child.pid) - cpuBefore;
    // Spinning on accept() costs a whole core (about 2 s here); backing off costs almost nothing.
    assert.ok(cpuAtLimit < 0.5, `gateway used ${cpuAtLimit}s of CPU in 2 s at its limit`);
    const warnings = output.split('\n').filter((l) => l.includes('accept failed'));
    assert.equal(warnings.length, 1, `one warning per episode, got ${warnings.length}`);

    for (const s of held.splice(0)) s.destroy();
    await waitFor(() => /accepting connections again/.test(output), { what: 'recovery log line' });
    const client = io(url, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
    try {
      await nextEvent(client, 'connect', 10000);
      assert.ok(client.connected);
    } finally {
      client.close();
    }
  });
});
