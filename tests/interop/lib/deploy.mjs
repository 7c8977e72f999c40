// Helpers for the tests of deploy/: render the Kubernetes manifests with `kubectl kustomize`,
// read what a role of the real binary accepts (its --help), and start a role the way a
// container would (configuration from the environment only).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { binary, repoRoot, SECRET, waitFor } from './gateway.mjs';
import { httpsRequest } from './tls.mjs';

export const deployDir = path.join(repoRoot, 'deploy');

export function kustomize(dir) {
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseYamlDocuments(text);
}

export function parseYamlDocuments(text) {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    return doc.toJS();
  }).filter(Boolean);
}

// `pulseboard <role> --help`: every option, and every environment variable the role reads
// (CLI11 prints them as "(Env:NAME)", the others are named in the option's description).
export function roleHelp(role) {
  return execFileSync(binary, [role, '--help'], { encoding: 'utf8' });
}

export function envNamesIn(help) {
  return new Set(help.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*\b/g).filter((w) => w.length > 2));
}

export function flagsIn(help) {
  return new Set(help.match(/--[a-z][a-z0-9-]*/g));
}

// Starts `pulseboard <role>` with only `env` (plus a token key) and resolves once /healthz
// answers on `port`; with `ca` (the env gives TLS_CERT/TLS_KEY) over https trusting that CA.
// `get(path)` resolves the status of a GET on the role, over the same scheme.
export async function startRole({ role, env, port, ca }) {
  const child = spawn(binary, [role], {
    env: { PATH: process.env.PATH, ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? '', JWT_SECRET: SECRET, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `${ca ? 'https' : 'http'}://127.0.0.1:${port}`;
  const get = async (p) => (ca ? (await httpsRequest(`${url}${p}`, { ca })).status : (await fetch(`${url}${p}`)).status);
  await waitFor(async () => exited || (await get('/healthz')) === 200,
    { timeoutMs: 60000, what: `pulseboard ${role} on ${port}` }).catch((e) => {
    child.kill('SIGKILL');
    throw e;
  });
  if (exited) throw new Error(`pulseboard ${role} exited: ${JSON.stringify(exited)}`);
  return {
    url,
    get,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
