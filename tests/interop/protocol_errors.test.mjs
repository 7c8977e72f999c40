// Bad input never hurts the gateway: each malformed request or packet gets its documented error
// or close, is counted on /metrics, and a well-behaved client connected meanwhile keeps working.
import assert from 'node:assert/strict';
import { once } from 'node:events';
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

  it('refuses a polling body over maxPayload with 413', async () => {
    const open = await (await get('EIO=4&transport=polling')).text();
    const { sid } = JSON.parse(open.slice(1));
    const r = await get(`EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '4' + 'x'.repeat(20000) });
    assert.equal(r.status, 413);
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
    assert.ok(count('oversized_message') >= 2);
    assert.ok(count('socketio_parse_error') >= 1);
    assert.ok(count('engineio_parse_error') >= 1);
    assert.ok(count('invalid_utf8') >= 1);
  });
});
