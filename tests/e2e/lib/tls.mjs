// TLS for the browser tests: a throw-away CA and a server certificate for 127.0.0.1 and
// localhost made with openssl, the SPKI pin Chromium is told to accept for that one certificate,
// and https requests from Node that trust the CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';

function openssl(args, { cwd, input } = {}) {
  return execFileSync('openssl', args, { cwd, input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * A CA (ca.crt) and tls.crt/tls.key signed by it for 127.0.0.1 and localhost, in a new
 * temporary directory. `spki` is the base64 SHA-256 of the server certificate's public key, as
 * Chromium's --ignore-certificate-errors-spki-list takes it.
 */
export function makeServerCert() {
  const dir = mkdtempSync(path.join(tmpdir(), 'pulseboard-e2e-tls-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=pulseboard e2e test CA',
    '-keyout', 'ca.key', '-out', 'ca.crt'], { cwd: dir });
  writeFileSync(path.join(dir, 'tls.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'tls.key', '-out', 'tls.csr'],
    { cwd: dir });
  openssl(['x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '0x2e2e',
    '-days', '2', '-extfile', 'tls.ext', '-out', 'tls.crt'], { cwd: dir });
  const publicKey = openssl(['x509', '-in', 'tls.crt', '-noout', '-pubkey'], { cwd: dir });
  const der = openssl(['pkey', '-pubin', '-outform', 'DER'], { input: publicKey });
  const spki = openssl(['dgst', '-sha256', '-binary'], { input: der }).toString('base64');
  return {
    dir,
    cert: path.join(dir, 'tls.crt'),
    key: path.join(dir, 'tls.key'),
    ca: readFileSync(path.join(dir, 'ca.crt')),
    spki,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One request over https trusting `ca` (and nothing else); resolves { status, text }. */
export function httpsRequest(url, { ca, method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
