// Engine.IO spoken by hand, for tests that must send what no well-behaved client sends: long-
// polling handshakes and POST bodies over node:http (with a chosen source address and
// keep-alive agent), and WebSocket sessions over `ws`.
import http from 'node:http';
import { once } from 'node:events';
import WebSocket from 'ws';

// The Engine.IO payload separator (docs/protocol-reference.md, Engine.IO long-polling).
export const RS = '\x1e';

export function request(url, { method = 'GET', body, headers = {}, agent, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent, localAddress }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

// Opens a polling session; resolves with its sid (or the refusal's status and body).
export async function pollingHandshake(base, options = {}) {
  const r = await request(`${base}/socket.io/?EIO=4&transport=polling`, options);
  if (r.status !== 200) return { status: r.status, body: r.body, headers: r.headers };
  const open = JSON.parse(r.body.slice(1));
  return { status: 200, sid: open.sid };
}

export function pollingPost(base, sid, packets, options = {}) {
  return request(`${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: 'POST',
    body: packets.join(RS),
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
    ...options,
  });
}

export function pollingGet(base, sid, options = {}) {
  return request(`${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`, options);
}

// A WebSocket Engine.IO session; resolves once the OPEN packet arrived.
export async function websocketSession(base) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  ws.on('error', () => {});
  const [open] = await once(ws, 'message');
  if (open.toString()[0] !== '0') throw new Error(`expected OPEN, got ${open}`);
  return ws;
}
