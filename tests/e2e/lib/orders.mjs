// The orders API as a client uses it. The demo's dev token (what the dashboard gets) is a viewer
// token: it reads but cannot write, so POST and PATCH take the write token the demo prints
// (`demo.writeToken`). With `{ ca }` the request goes over https trusting that CA only.
import { httpsRequest } from './tls.mjs';

export async function devToken(baseUrl) {
  const res = await fetch(`${baseUrl}/api/v1/dev-token`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /api/v1/dev-token: ${res.status} ${await res.text()}`);
  const { token } = await res.json();
  if (typeof token !== 'string' || token === '') throw new Error('dev-token answered without a token');
  return token;
}

async function send(method, url, token, body, expected, { ca } = {}) {
  const request = {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
  const { status, text } = ca
    ? await httpsRequest(url, { ...request, ca })
    : await fetch(url, request).then(async (res) => ({ status: res.status, text: await res.text() }));
  if (status !== expected) throw new Error(`${method} ${url}: ${status} ${text}`);
  return JSON.parse(text);
}

export function postOrder(baseUrl, token, order, options) {
  return send('POST', `${baseUrl}/api/v1/orders`, token, order, 201, options);
}

export function patchOrder(baseUrl, token, id, change, options) {
  return send('PATCH', `${baseUrl}/api/v1/orders/${encodeURIComponent(id)}`, token, change, 200, options);
}
