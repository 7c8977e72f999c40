// How many event loops a gateway runs by default (docs/gateway.md, "Performance shape and
// bounds"): one per usable CPU but one, at least one, where usable CPUs are those its affinity
// mask allows (what `taskset` and a container's cpuset narrow), capped by a cgroup CPU quota. The
// gateway says what it chose in its first log lines (on standard output).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { binary, freePort, inheritedEnv, SECRET, waitFor } from './lib/gateway.mjs';

// Starts `command` (a gateway, maybe under taskset) with `args`; returns its "event loop" log
// line, matched.
async function loopLine(command, args = []) {
  const port = await freePort();
  const child = spawn(command[0], [...command.slice(1), 'gateway', '--port', String(port), ...args], {
    env: { ...inheritedEnv(), JWT_SECRET: SECRET, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  try {
    await waitFor(() => /gateway: \d+ event loops? /.test(log), { timeoutMs: 60000, what: 'the event loop line' });
    return /gateway: (\d+) event loops? \(([^;]+); (\d+) usable CPUs?\)/.exec(log);
  } finally {
    child.kill('SIGKILL');
  }
}

describe('gateway event loops', { timeout: 120000 }, () => {
  it('runs one loop per usable CPU but one by default', async () => {
    const m = await loopLine([binary]);
    assert.ok(m, 'the line names the loops and the usable CPUs');
    const [loops, usable] = [Number(m[1]), Number(m[3])];
    assert.equal(m[2], 'one per usable CPU but one');
    assert.ok(usable >= 1);
    assert.equal(loops, Math.max(1, usable - 1));
  });

  it('counts only the CPUs its affinity allows', async () => {
    const m = await loopLine(['taskset', '-c', '0', binary]);
    assert.ok(m);
    assert.equal(Number(m[3]), 1, 'one CPU allowed: one usable');
    assert.equal(Number(m[1]), 1);
  });

  it('runs the loops --threads asks for', async () => {
    const m = await loopLine([binary], ['--threads', '3']);
    assert.ok(m);
    assert.equal(Number(m[1]), 3);
    assert.equal(m[2], '--threads');
  });
});
