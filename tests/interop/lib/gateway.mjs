// Starts and stops the pulseboard binary for a test, on a free loopback port, and mints tokens
// with Node's own crypto (an independent HS256 implementation from the gateway's).
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const binary = process.env.PULSEBOARD_BIN || path.join(repoRoot, 'build/release/pulseboard');
// HS256 needs a secret of 32 bytes or more (RFC 7518 section 3.2); the roles refuse shorter ones.
export const SECRET = 'interop-test-secret-of-at-least-32-bytes';
// The scope the orders API wants for POST and PATCH (docs/api.md); reads need none.
export const WRITE_SCOPE = 'orders:write';
export const PUBLISH_KEY = 'interop-publish-key';

export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export function mintToken(claims = {}, { secret = SECRET, alg = 'HS256', header = {} } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const body = { sub: 'interop', iat: now, exp: now + 600, ...claims };
  const head = b64url({ alg, typ: 'JWT', ...header });
  const payload = b64url(body);
  if (alg === 'none') return `${head}.${payload}.`;
  const sig = createHmac('sha256', secret).update(`${head}.${payload}`).digest('base64url');
  return `${head}.${payload}.${sig}`;
}

// A token the orders API lets write: mintToken with scope orders:write.
export function mintWriteToken(claims = {}, options = {}) {
  return mintToken({ scope: WRITE_SCOPE, ...claims }, options);
}

// `abort`, when given, is asked before each try: a message it returns ends the wait at once with
// that error (a process that already exited will not become ready, however long we wait).
export async function waitFor(check, { timeoutMs = 10000, intervalMs = 25, what = 'condition', abort } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = abort?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// Settings a test must give explicitly: inherited from the shell, they would join a gateway to
// whatever Redis or database that shell points at (and carry retained messages between tests).
const NOT_INHERITED = [
  'REDIS_URL',
  'REDIS_MODE',
  'SOCKETIO_ADAPTER',
  'DATABASE_URL',
  'MONGO_URI',
  'REDIS_TLS_CA',
  'REDIS_TLS_CERT',
  'REDIS_TLS_KEY',
  'TLS_CERT',
  'TLS_KEY',
  'PULSEBOARD_CONFIG',
];
export function inheritedEnv() {
  const env = { ...process.env };
  for (const name of NOT_INHERITED) delete env[name];
  return env;
}

// Runs `pulseboard <role> ...args` and resolves once /healthz answers.
export async function startPulseboard({ role = 'gateway', args = [], env = {}, port } = {}) {
  port = port ?? (await freePort());
  const child = spawn(binary, [role, '--port', String(port), ...args], {
    env: {
      ...inheritedEnv(),
      JWT_SECRET: SECRET,
      PUBLISH_API_KEY: PUBLISH_KEY,
      LOG_LEVEL: process.env.PULSEBOARD_LOG_LEVEL || 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => (await fetch(`${url}/healthz`)).ok,
    // ASan start-up beside a compile can take several seconds: a generous deadline, polled.
    {
      timeoutMs: 60000,
      what: `pulseboard ${role} on ${port}`,
      abort: () => exited && `exited early: ${JSON.stringify(exited)}`,
    },
  ).catch((e) => {
    child.kill('SIGKILL');
    throw e;
  });
  return {
    url,
    port,
    child,
    exited: () => exited,
    async stop(signal = 'SIGTERM') {
      if (exited) return exited;
      child.kill(signal);
      const [code, sig] = await once(child, 'exit');
      return { code, signal: sig };
    },
  };
}

// Starts `count` gateways with the same options (see startPulseboard) and resolves once every
// one answers /readyz, i.e. has its broker connection; stops the started ones if any fails.
export async function startGateways(count, options = {}) {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startPulseboard(options)));
  const gateways = started.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  try {
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    await waitFor(async () => {
      for (const gw of gateways) if ((await fetch(`${gw.url}/readyz`)).status !== 200) return false;
      return true;
    }, { timeoutMs: 60000, what: `${count} gateways ready` });
  } catch (e) {
    await Promise.all(gateways.map((gw) => gw.stop()));
    throw e;
  }
  return gateways;
}

export async function publish(url, body, key = PUBLISH_KEY) {
  return fetch(`${url}/api/v1/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
}

// Resolves with the args of the next `event` on an emitter, or rejects after timeoutMs.
export function nextEvent(emitter, event, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    function handler(...args) {
      clearTimeout(timer);
      emitter.off(event, handler);
      resolve(args);
    }
    emitter.on(event, handler);
  });
}
