// Starts `pulseboard demo` on a free loopback port with its own SQLite file, and stops it.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpsRequest } from './tls.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const binary = process.env.PULSEBOARD_BIN || path.join(repoRoot, 'build/release/pulseboard');
export const webDir = path.join(repoRoot, 'web');

export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Polls `check` until it returns a truthy value, which it returns; throws after the deadline. */
export async function waitFor(check, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// Newest modification time under `dir` (ms), tests included: a cheap "is dist stale" check.
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds web/dist when it is missing or older than the dashboard's sources. */
export function ensureDashboardBuilt() {
  const built = path.join(webDir, 'dist', 'index.html');
  const sources = [path.join(webDir, 'index.html'), path.join(webDir, 'package-lock.json')];
  const newestSource = Math.max(newestMtime(path.join(webDir, 'src')), ...sources.map((f) => statSync(f).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource) return;
  const run = (args) => {
    const r = spawnSync('npm', args, { cwd: webDir, stdio: 'inherit', timeout: 240000 });
    if (r.status !== 0) throw new Error(`npm ${args.join(' ')} in web/ failed (${r.status ?? r.signal})`);
  };
  if (!existsSync(path.join(webDir, 'node_modules'))) run(['ci', '--no-audit', '--no-fund']);
  run(['run', 'build']);
}

// The token of the `curl` line the demo prints: the one that may write orders (scope
// orders:write), unlike the viewer token of /api/v1/dev-token.
const PRINTED_TOKEN = /Authorization: Bearer ([\w-]+\.[\w-]+\.[\w-]+)/;

/**
 * Runs `pulseboard demo --port <free> --rate 0 --database sqlite:///<dbPath>` and resolves once
 * /healthz answers and the demo has printed its write token (`demo.writeToken`). Its output is
 * passed on to this process's stdout and stderr so a failure shows the demo's logs. With `tls`
 * ({ cert, key, ca }: files and the CA's PEM) it serves HTTPS and WSS (--tls-cert/--tls-key),
 * `demo.url` is https:// and /healthz is polled over https trusting that CA.
 */
export async function startDemo({ dbPath, rate = 0, args = [], tls }) {
  if (!existsSync(binary)) throw new Error(`no pulseboard binary at ${binary} (set PULSEBOARD_BIN)`);
  const port = await freePort();
  const child = spawn(
    binary,
    [
      'demo', '--port', String(port), '--rate', String(rate), '--database', `sqlite://${dbPath}`,
      ...(tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key] : []),
      ...args,
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: process.env.PULSEBOARD_LOG_LEVEL || 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  let printed = '';
  let writeToken = null;
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (writeToken) return;
    printed += chunk.toString();
    writeToken = PRINTED_TOKEN.exec(printed)?.[1] ?? null;
  });
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const healthy = async () =>
    tls ? (await httpsRequest(`${url}/healthz`, { ca: tls.ca })).status === 200 : (await fetch(`${url}/healthz`)).ok;
  const demo = {
    url,
    port,
    writeToken: null,
    exited: () => exited,
    /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with how it ended. */
    async stop(graceMs = 5000) {
      if (exited) return exited;
      const ended = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await ended;
      clearTimeout(timer);
      return exited;
    },
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`pulseboard demo exited early: ${JSON.stringify(exited)}`);
        return healthy();
      },
      { timeoutMs: 15000, what: `pulseboard demo on port ${port}` },
    );
    demo.writeToken = await waitFor(() => writeToken, { timeoutMs: 5000, what: 'the write token the demo prints' });
  } catch (e) {
    await demo.stop(1000);
    throw e;
  }
  return demo;
}
