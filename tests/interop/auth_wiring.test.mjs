// The JWT settings as an operator gives them (JWT_PUBLIC_KEY_FILE, JWT_ISSUER, JWT_AUDIENCE,
// JWT_ALGORITHMS) reach the CONNECT check, and a token printed by `pulseboard token` is accepted
// with its rooms claim limiting the rooms the socket joins; a JWT_SECRET under 32 bytes stops
// the roles at start-up. RS256 tokens are signed here with Node's crypto, independently of the
// gateway's code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { SECRET, binary, freePort, inheritedEnv, mintToken, nextEvent, publish, repoRoot, startPulseboard } from './lib/gateway.mjs';

const keys = path.join(repoRoot, 'tests/data/jwt');
const PRIVATE_KEY = readFileSync(path.join(keys, 'rs256_private.pem'), 'utf8');
const ISSUER = 'https://issuer.pulseboard.test';
const AUDIENCE = 'pulseboard-dashboards';

const b64url = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
function mintRs256(claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url({ alg: 'RS256', typ: 'JWT' });
  const body = b64url({ sub: 'rs-user', iat: now, exp: now + 600, iss: ISSUER, aud: AUDIENCE, ...claims });
  const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(PRIVATE_KEY).toString('base64url');
  return `${head}.${body}.${sig}`;
}

const sockets = [];
function connect(url, token) {
  const s = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
  sockets.push(s);
  return s;
}

describe('JWT settings wired into the gateway', () => {
  let gw;
  before(async () => {
    gw = await startPulseboard({
      args: ['--default-room', 'live-metrics', '--default-room', 'ops'],
      env: {
        // An HS256 secret is configured too, so refusing HS256 below is the allow-list's doing.
        JWT_SECRET: SECRET,
        JWT_PUBLIC_KEY_FILE: path.join(keys, 'rs256_public.pem'),
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        JWT_ALGORITHMS: 'RS256',
      },
    });
  });
  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await gw.stop();
  });

  it('admits an RS256 token with the configured issuer and audience', async () => {
    const s = connect(gw.url, mintRs256());
    await nextEvent(s, 'connect');
    const reply = await s.timeout(3000).emitWithAck('echo', 'rs256');
    assert.equal(reply, 'rs256');
  });

  it('admits an audience array that contains the configured audience', async () => {
    const s = connect(gw.url, mintRs256({ aud: ['other-app', AUDIENCE] }));
    await nextEvent(s, 'connect');
  });

  for (const [name, token, reason] of [
    ['another issuer', () => mintRs256({ iss: 'https://evil.test' }), 'wrong_issuer'],
    ['another audience', () => mintRs256({ aud: 'someone-else' }), 'wrong_audience'],
    ['no issuer', () => mintRs256({ iss: undefined }), 'missing_claim'],
    ['HS256 (valid secret) when only RS256 is allowed', () => mintToken({ iss: ISSUER, aud: AUDIENCE }), 'algorithm_not_allowed'],
  ]) {
    it(`refuses a token with ${name}: connect_error "Authentication error"`, async () => {
      const s = connect(gw.url, token());
      const [err] = await nextEvent(s, 'connect_error');
      assert.equal(err.message, 'Authentication error');
      assert.deepEqual(err.data, { reason });
      assert.equal(s.connected, false);
    });
  }

  it('accepts the output of `pulseboard token`, whose rooms claim limits the rooms joined', async () => {
    const { stdout } = await promisify(execFile)(binary, [
      'token',
      '--private-key-file', path.join(keys, 'rs256_private.pem'),
      '--sub', 'cli-user',
      '--rooms', 'live-metrics',
      '--iss', ISSUER,
      '--aud', AUDIENCE,
      '--ttl', '120',
    ]);
    const token = stdout.trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.deepEqual(claims.rooms, ['live-metrics']);
    assert.equal(claims.exp - claims.iat, 120);

    const s = connect(gw.url, token);
    await nextEvent(s, 'connect');
    // Both rooms are default rooms; the token allows only live-metrics, so `ops` news must
    // not arrive, and subscribing to it is denied.
    const opsNews = [];
    s.on('ops-news', (d) => opsNews.push(d));
    const metrics = nextEvent(s, 'metrics-news');
    assert.equal((await publish(gw.url, { room: 'ops', event: 'ops-news', data: 1 })).status, 202);
    assert.equal((await publish(gw.url, { room: 'live-metrics', event: 'metrics-news', data: 2 })).status, 202);
    assert.deepEqual(await metrics, [2]);
    assert.deepEqual(opsNews, [], 'published to ops before metrics-news, so it would be here');
    assert.deepEqual(await s.timeout(3000).emitWithAck('subscribe', 'ops'), { joined: [], denied: ['ops'] });

    // A socket whose token allows both rooms gets both (the control for the case above).
    const both = connect(gw.url, mintRs256({ rooms: ['live-metrics', 'ops'] }));
    await nextEvent(both, 'connect');
    const got = nextEvent(both, 'ops-news');
    await publish(gw.url, { room: 'ops', event: 'ops-news', data: 3 });
    assert.deepEqual(await got, [3]);
  });
});

// RFC 7518 section 3.2: an HS256 key of at least 256 bits. A shorter JWT_SECRET stops every role
// that verifies tokens before it listens, and `pulseboard token` will not sign with one.
describe('a JWT_SECRET shorter than 32 bytes', () => {
  const short = 'x'.repeat(31);
  const refused = async (args, env) => {
    const r = await promisify(execFile)(binary, args, { env: { ...inheritedEnv(), ...env }, timeout: 30000 }).then(
      () => null,
      (e) => e,
    );
    assert.ok(r, `pulseboard ${args.join(' ')} ran with a 31-byte secret`);
    return r;
  };

  for (const role of ['gateway', 'api', 'demo']) {
    it(`stops ${role} at start-up with a message naming JWT_SECRET`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-short-secret-'));
      try {
        const args = [role, '--port', String(await freePort())];
        if (role !== 'gateway') args.push('--database', `sqlite://${path.join(dir, 'orders.db')}`);
        const r = await refused(args, { JWT_SECRET: short, LOG_LEVEL: 'warn' });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /JWT_SECRET .*is 31 bytes long; an HS256 secret needs 32 bytes or more \(RFC 7518/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('is refused by `pulseboard token` (exit 2), from --secret or JWT_SECRET', async () => {
    const flag = await refused(['token', '--secret', short], {});
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /JWT_SECRET \(--secret\) is 31 bytes long/);
    assert.equal(flag.stdout, '');
    const fromEnv = await refused(['token'], { JWT_SECRET: short });
    assert.equal(fromEnv.code, 2);
    // 32 bytes is enough.
    const { stdout } = await promisify(execFile)(binary, ['token', '--secret', 'y'.repeat(32)], { env: inheritedEnv() });
    assert.equal(stdout.trim().split('.').length, 3);
  });
});
