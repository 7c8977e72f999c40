// TLS for the interop tests: a throw-away CA and server certificates made with openssl in a
// temporary directory, a role started with --tls-cert/--tls-key and polled over https until it
// answers, and what a client sees of the server's certificate.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { binary, freePort, inheritedEnv, PUBLISH_KEY, SECRET, waitFor } from './gateway.mjs';

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

// A directory with ca.crt/ca.key (and other-ca.crt, a CA that signs nothing here).
export function makeCa() {
  const dir = mkdtempSync(path.join(tmpdir(), 'pulseboard-tls-'));
  for (const ca of ['ca', 'other-ca'])
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=pulseboard test ${ca}`,
      '-keyout', `${ca}.key`, '-out', `${ca}.crt`], dir);
  return { dir, ca: readFileSync(path.join(dir, 'ca.crt')), file: (name) => path.join(dir, name) };
}

// <name>.crt and <name>.key for localhost and 127.0.0.1, signed by the CA, with `serial` (hex).
export function issueCert(ca, name, serial) {
  writeFileSync(ca.file(`${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', `${name}.key`, '-out', `${name}.csr`], ca.dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${serial}`,
    '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`], ca.dir);
  return { cert: ca.file(`${name}.crt`), key: ca.file(`${name}.key`), serial: serial.toUpperCase() };
}

// GET over https trusting `ca`; resolves { status, body }.
export function httpsRequest(url, { ca, method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca, agent: false }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// The serial number of the certificate a new TLS connection to 127.0.0.1:port is shown.
export function peerSerial(port, ca) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

// `pulseboard <role>` serving TLS with `cert`; resolves once /healthz answers over https.
export async function startTlsRole({ role = 'gateway', cert, ca, args = [], env = {}, portFlag = '--port' }) {
  const port = await freePort();
  const child = spawn(binary, [role, portFlag, String(port), '--tls-cert', cert.cert, '--tls-key', cert.key, ...args], {
    env: { ...inheritedEnv(), JWT_SECRET: SECRET, PUBLISH_API_KEY: PUBLISH_KEY,
      LOG_LEVEL: process.env.PULSEBOARD_LOG_LEVEL || 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = ''; // the log, on either stream
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (d) => {
      stderr += d;
      process.stderr.write(d);
    });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `https://127.0.0.1:${port}`;
  // An exit ends the wait at once (waitFor would take a throw from the check for "not yet").
  await waitFor(async () => exited || (await httpsRequest(`${url}/healthz`, { ca })).status === 200,
    { timeoutMs: 60000, what: `pulseboard ${role} over https on ${port}` }).catch((e) => {
    child.kill('SIGKILL');
    throw e;
  });
  if (exited) throw new Error(`pulseboard exited early: ${JSON.stringify(exited)}: ${stderr}`);
  return {
    url, port, child, stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (exited) return exited;
      child.kill(signal);
      const [code, sig] = await once(child, 'exit');
      return { code, signal: sig };
    },
  };
}

// Runs `pulseboard <args>` to its exit; resolves { code, output }.
export async function runToExit(args, env = {}) {
  const child = spawn(binary, args, { env: { ...inheritedEnv(), JWT_SECRET: SECRET, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const [code] = await once(child, 'exit');
  return { code, output };
}
