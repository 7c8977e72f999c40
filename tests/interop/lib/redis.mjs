// Throw-away redis-server processes on loopback for tests: one server, or a 3-master Redis
// Cluster. Nothing persists (--save '' --appendonly no); readiness is polled with a deadline.
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from './gateway.mjs';

const run = promisify(execFile);

async function ping(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => sock.write('PING\r\n'));
    sock.setTimeout(500, () => sock.destroy());
    sock.on('data', (d) => {
      resolve(d.toString().startsWith('+PONG'));
      sock.destroy();
    });
    sock.on('error', () => resolve(false));
    sock.on('close', () => resolve(false));
  });
}

function spawnServer(dir, port, extra = []) {
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--logfile', path.join(dir, 'redis.log'), ...extra],
    { stdio: 'ignore' },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  return { child, exited: () => exited };
}

async function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await once(child, 'exit');
}

// One server. `restart()` starts a new process on the same port (after kill()).
export async function startRedis({ port } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-redis-'));
  port = port ?? (await freePort());
  let proc;
  const start = async () => {
    proc = spawnServer(dir, port);
    await waitFor(async () => {
      if (proc.exited()) throw new Error(`redis-server on ${port} exited (see ${dir}/redis.log)`);
      return ping(port);
    }, { what: `redis-server on ${port}` });
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => stopChild(proc.child, 'SIGKILL'),
    restart: start,
    async stop() {
      await stopChild(proc.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Three masters, no replicas. The cluster bus uses port+10000, so ports stay below 55000.
export async function startRedisCluster() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-redis-cluster-'));
  const nodes = [];
  try {
    for (let i = 0; i < 3; i++) {
      let port;
      do port = await freePort();
      while (port > 55000);
      const nodeDir = path.join(dir, `node${i}`);
      const proc = spawnServer(nodeDir, port, ['--cluster-enabled', 'yes', '--cluster-config-file',
        path.join(nodeDir, 'nodes.conf'), '--cluster-node-timeout', '2000']);
      nodes.push({ port, proc });
      await waitFor(() => ping(port), { what: `cluster node on ${port}` });
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(async () => {
      for (const n of nodes) {
        const { stdout } = await run('redis-cli', ['-p', String(n.port), 'cluster', 'info']);
        if (!stdout.includes('cluster_state:ok')) return false;
      }
      return true;
    }, { what: 'cluster_state:ok' });
  } catch (e) {
    await Promise.all(nodes.map((n) => stopChild(n.proc.child)));
    throw e;
  }
  return {
    ports: nodes.map((n) => n.port),
    url: `redis://127.0.0.1:${nodes[0].port}`,
    async stop() {
      await Promise.all(nodes.map((n) => stopChild(n.proc.child)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
