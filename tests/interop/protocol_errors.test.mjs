// Bad input never hurts the gateway: each malformed request or packet gets its documented error
// or close, is counted on /metrics, and a well-behaved client connected meanwhile keeps working.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { mintToken, nextEvent, publish, startPulseboard } from './lib/gateway.mjs';

describe('protocol errors', () => {
  let gw;
  let bystander;
  before(async () => {
    gw = await startPulseboard({ args: ['--max-payload', '10000'] });
    bystander = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
    await nextEvent(bystander, 'connect');
  });
  after(async () => {
    // The bystander saw every bad request go by and is still served.
    const got = nextEvent(bystander, 'still-here');
    await publish(gw.url, { room: 'live-metrics', event: 'still-here', data: 1 });
    assert.deepEqual(await got, [1]);
    bystander.disconnect();
    await gw.stop();
  });

  const get = (q, init) => fetch(`${gw.url}/socket.io/?${q}`, init);

  it('answers the documented HTTP errors', async () => {
    let r = await get('EIO=3&transport=polling');
    assert.equal(r.status, 400);
    assert.deepEqual(await r.json(), { code: 5, message: 'Unsupported protocol version' });
    r = await get('EIO=4&transport=carrier-pigeon');
    assert.deepEqual([r.status, await r.json()], [400, { code: 0, message: 'Transport unknown' }]);
    r = await get('EIO=4&transport=polling&sid=nope');
    assert.deepEqual([r.status, await r.json()], [400, { code: 1, message: 'Session ID unknown' }]);
    r = await get('EIO=4&transport=polling', { method: 'POST', body: '40' });
    assert.deepEqual([r.status, await r.json()], [400, { code: 2, message: 'Bad handshake method' }]);
    r = await get('EIO=4&transport=websocket');
    assert.deepEqual([r.status, await r.json()], [400, { code: 3, message: 'Bad request' }]);
  });

  const handshake = async () => JSON.parse((await (await get('EIO=4&transport=polling')).text()).slice(1)).sid;

  it('checks the transport first, then the sid or method, and EIO only at the handshake', async () => {
    let r = await get('transport=polling');
    assert.deepEqual([r.status, await r.json()], [400, { code: 5, message: 'Unsupported protocol version' }]);
    // Transport before version, as engine.io's verify() runs before its handshake().
    r = await get('EIO=3&transport=carrier-pigeon');
    assert.deepEqual([r.status, await r.json()], [400, { code: 0, message: 'Transport unknown' }]);
    r = await get('transport=polling&sid=nope');
    assert.deepEqual([r.status, await r.json()], [400, { code: 1, message: 'Session ID unknown' }]);
    r = await get('EIO=3&transport=polling', { method: 'POST', body: '40' });
    assert.deepEqual([r.status, await r.json()], [400, { code: 2, message: 'Bad handshake method' }]);
    // A known session with another (or no) EIO: engine.io's protocol mismatch, code 3, not 5.
    const sid = await handshake();
    for (const eio of ['', 'EIO=3&']) {
      r = await get(`${eio}transport=polling&sid=${sid}`);
      assert.deepEqual([r.status, await r.json()], [400, { code: 3, message: 'Bad request' }], eio);
    }
    // A method polling does not know, on a known session: engine.io answers an empty 500.
    r = await get(`EIO=4&transport=polling&sid=${sid}`, { method: 'PUT', body: 'x' });
    assert.equal(r.status, 500);
  });

  it('refuses polling on a session upgraded to WebSocket (code 3, transport mismatch)', async () => {
    const sid = await handshake();
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
    await once(ws, 'open');
    ws.send('2probe');
    assert.equal((await once(ws, 'message'))[0].toString(), '3probe');
    ws.send('5');
    // Packets on the WebSocket are handled only once the upgrade is done.
    ws.send(`40${JSON.stringify({ token: mintToken() })}`);
    assert.match((await once(ws, 'message'))[0].toString(), /^40\{"sid"/);
    let r = await get(`EIO=4&transport=polling&sid=${sid}`);
    assert.deepEqual([r.status, await r.json()], [400, { code: 3, message: 'Bad request' }]);
    r = await get(`EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '40' });
    assert.deepEqual([r.status, await r.json()], [400, { code: 3, message: 'Bad request' }]);
    // A second WebSocket for the upgraded sid is accepted and closed at once
    // (docs/protocol-reference.md, Engine.IO upgrade); the session's own WebSocket carries on.
    const second = new WebSocket(`${gw.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
    const secondMessages = [];
    second.on('message', (m) => secondMessages.push(m.toString()));
    await once(second, 'open');
    await once(second, 'close');
    assert.deepEqual(secondMessages, []);
    ws.send('421["echo","still here"]');
    assert.equal((await once(ws, 'message'))[0].toString(), '431["still here"]');
    ws.close();
  });

  it('refuses transport=websocket without an Upgrade on a polling session (code 3)', async () => {
    const sid = await handshake();
    const r = await get(`EIO=4&transport=websocket&sid=${sid}`);
    assert.deepEqual([r.status, await r.json()], [400, { code: 3, message: 'Bad request' }]);
  });

  // A refused WebSocket upgrade: engine.io writes a raw 400 with the message as text/html.
  async function refusedUpgrade(query) {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/socket.io/?${query}`);
    ws.on('error', () => {});
    const [, res] = await once(ws, 'unexpected-response');
    let body = '';
    for await (const chunk of res) body += chunk;
    return { status: res.statusCode, type: res.headers['content-type'], connection: res.headers.connection, body };
  }

  it('refuses bad WebSocket upgrades before the 101 with a raw text 400', async () => {
    const raw = (body) => ({ status: 400, type: 'text/html', connection: 'close', body });
    assert.deepEqual(await refusedUpgrade('EIO=4&transport=websocket&sid=nope'), raw('Session ID unknown'));
    assert.deepEqual(await refusedUpgrade('EIO=4&transport=smoke-signals'), raw('Transport unknown'));
    assert.deepEqual(await refusedUpgrade('EIO=3&transport=websocket'), raw('Unsupported protocol version'));
    const sid = await handshake();
    assert.deepEqual(await refusedUpgrade(`EIO=3&transport=websocket&sid=${sid}`), raw('Bad request'));
  });

  it('refuses overlapping polling GETs: the second gets 400, the first a close packet', async () => {
    const sid = await handshake();
    // Neither GET has anything to receive, so whichever arrives first is held and the other
    // overlaps it.
    const [a, b] = await Promise.all([
      get(`EIO=4&transport=polling&sid=${sid}`),
      get(`EIO=4&transport=polling&sid=${sid}`),
    ]);
    const answers = [[a.status, await a.text()], [b.status, await b.text()]].sort();
    assert.deepEqual(answers, [[200, '1'], [400, '']]);
    const r = await get(`EIO=4&transport=polling&sid=${sid}`);
    assert.deepEqual([r.status, await r.json()], [400, { code: 1, message: 'Session ID unknown' }]);
  });

  it('refuses a chunked polling body over maxPayload with 413', async () => {
    const sid = await handshake();
    const status = await new Promise((resolve, reject) => {
      const req = http.request(`${gw.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write((i === 0 ? '4' : '') + 'z'.repeat(4000));
      req.end();
    });
    assert.equal(status, 413);
  });

  // Sends raw bytes on a fresh TCP connection and resolves with the status line of the answer.
  async function rawHttp(bytes) {
    const sock = net.connect(gw.port, '127.0.0.1');
    await once(sock, 'connect');
    sock.on('error', () => {});
    sock.write(bytes);
    let text = '';
    for await (const chunk of sock) {
      text += chunk;
      if (text.includes('\r\n')) break;
    }
    sock.destroy();
    return text.split('\r\n')[0];
  }

  it('answers malformed request headers with 400 and oversized ones with 431', async () => {
    assert.equal(await rawHttp('GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n'), 'HTTP/1.1 400 Bad Request');
    const big = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: ${'f'.repeat(20 * 1024)}\r\n\r\n`;
    assert.equal(await rawHttp(big), 'HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('refuses an unknown namespace and a bad token', async () => {
    const nope = io(`${gw.url}/nope`, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
    assert.equal((await nextEvent(nope, 'connect_error'))[0].message, 'Invalid namespace');
    nope.disconnect();
    const bad = io(gw.url, { transports: ['websocket'], auth: { token: 'not.a.jwt' }, reconnection: false, forceNew: true });
    assert.equal((await nextEvent(bad, 'connect_error'))[0].message, 'Authentication error');
    bad.disconnect();
  });

  it('refuses a polling body over maxPayload with 413', async () => {
    const open = await (await get('EIO=4&transport=polling')).text();
    const { sid } = JSON.parse(open.slice(1));
    const r = await get(`EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '4' + 'x'.repeat(20000) });
    assert.equal(r.status, 413);
    // The same shape as the orders API's own limit: the rule and the limit, machine-readable.
    const { error } = await r.json();
    assert.deepEqual([error.code, error.rule, error.limit], ['body_too_large', 'max_bytes', 10000]);
  });

  it('closes a polling session on an undecodable payload', async () => {
    const { sid } = JSON.parse((await (await get('EIO=4&transport=polling')).text()).slice(1));
    let r = await get(`EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '9garbage' });
    assert.equal(r.status, 400);
    r = await get(`EIO=4&transport=polling&sid=${sid}`);
    assert.equal(r.status, 400);
  });

  async function rawSocket() {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const [first] = await once(ws, 'message');
    assert.equal(first.toString()[0], '0');
    return ws;
  }

  async function expectClosed(ws) {
    if (ws.readyState === WebSocket.CLOSED) return;
    const [code] = await once(ws, 'close');
    return code;
  }

  it('closes on a malformed Socket.IO packet', async () => {
    const ws = await rawSocket();
    ws.send('40');
    await once(ws, 'message'); // CONNECT refused or accepted does not matter here
    ws.send('42{"not":"an array"}');
    await expectClosed(ws);
  });

  it('closes on an unknown Engine.IO packet type', async () => {
    const ws = await rawSocket();
    ws.send('9hello');
    await expectClosed(ws);
  });

  it('closes on a frame larger than maxPayload with 1009', async () => {
    const ws = await rawSocket();
    ws.send('4' + 'y'.repeat(20000));
    assert.equal(await expectClosed(ws), 1009);
  });

  it('closes on invalid UTF-8 in a text frame', async () => {
    const ws = await rawSocket();
    // ws validates outgoing text only when asked; send raw bytes flagged as text.
    ws.send(Buffer.from([0x34, 0x32, 0xff, 0xfe]), { binary: false });
    const code = await expectClosed(ws);
    assert.equal(code, 1007);
  });

  it('closes a v4 session whose client sends a ping', async () => {
    const ws = await rawSocket();
    ws.send('2');
    await expectClosed(ws);
  });

  it('counts every refusal on /metrics', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const count = (reason) => Number(text.match(new RegExp(`reason="${reason}"} (\\d+)`))?.[1] ?? 0);
    assert.ok(count('unsupported_protocol_version') >= 1);
    assert.ok(count('unknown_transport') >= 1);
    assert.ok(count('unknown_sid') >= 1);
    assert.ok(count('bad_handshake_method') >= 1);
    assert.ok(count('socketio_parse_error') >= 1);
    assert.ok(count('engineio_parse_error') >= 1);
    assert.ok(count('invalid_utf8') >= 1);
    assert.ok(count('unknown_namespace') >= 1);
    assert.ok(count('auth_failed') >= 1);
    assert.ok(count('transport_mismatch') >= 3); // two polling requests after the upgrade, one WS GET
    assert.ok(count('bad_request') >= 4);
    assert.ok(count('malformed_http_request') >= 1);
    assert.ok(count('oversized_http_header') >= 1);
    assert.ok(count('oversized_message') >= 3); // chunked and sized polling bodies, a WS frame
  });
});
