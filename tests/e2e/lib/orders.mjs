// The orders API as a client uses it. The demo's dev token (what the dashboard gets) is a viewer
// token: it reads but cannot write, so POST and PATCH take the write token the demo prints
// (`demo.writeToken`).

export async function devToken(baseUrl) {
  const res = await fetch(`${baseUrl}/api/v1/dev-token`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /api/v1/dev-token: ${res.status} ${await res.text()}`);
  const { token } = await res.json();
  if (typeof token !== 'string' || token === '') throw new Error('dev-token answered without a token');
  return token;
}

async function send(method, url, token, body, expected) {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

export function postOrder(baseUrl, token, order) {
  return send('POST', `${baseUrl}/api/v1/orders`, token, order, 201);
}

export function patchOrder(baseUrl, token, id, change) {
  return send('PATCH', `${baseUrl}/api/v1/orders/${encodeURIComponent(id)}`, token, change, 200);
}
