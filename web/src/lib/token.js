// Where the dashboard's auth token comes from, in order: `?token=` in the page address, the
// token saved in localStorage, then the demo server's dev token. Null means: ask the user.

export const TOKEN_STORAGE_KEY = 'pulseboard.token';
export const DEV_TOKEN_PATH = '/api/v1/dev-token';
/** The message of the gateway's CONNECT_ERROR when it refuses the token. */
export const AUTH_REFUSED = 'Authentication error';

function readStored(storage) {
  try {
    return storage?.getItem(TOKEN_STORAGE_KEY) || null;
  } catch {
    return null; // storage can be disabled (private mode, sandboxed frame)
  }
}

export function saveToken(storage, token) {
  try {
    if (token) storage?.setItem(TOKEN_STORAGE_KEY, token);
    else storage?.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // Not saving only means asking again on the next visit.
  }
}

/** The dev token from a demo server; null when not in demo mode or unreachable. */
export async function fetchDevToken(fetchImpl) {
  try {
    const response = await fetchImpl(DEV_TOKEN_PATH, { headers: { Accept: 'application/json' } });
    if (!response.ok) return null;
    const body = await response.json();
    return typeof body?.token === 'string' && body.token !== '' ? body.token : null;
  } catch {
    return null;
  }
}

/**
 * Resolves `{ token, source }` with source 'query', 'storage', 'dev' or 'none'. A token from
 * the address is saved so a reload keeps it; a dev token is not, since a demo restart may
 * sign with a new secret.
 */
export async function resolveToken({ search, storage, fetchImpl }) {
  const fromQuery = new URLSearchParams(search).get('token');
  if (fromQuery) {
    saveToken(storage, fromQuery);
    return { token: fromQuery, source: 'query' };
  }
  const stored = readStored(storage);
  if (stored) return { token: stored, source: 'storage' };
  const dev = await fetchDevToken(fetchImpl);
  if (dev) return { token: dev, source: 'dev' };
  return { token: null, source: 'none' };
}

/**
 * After the gateway refused `token` ('Authentication error'): the demo's dev token to retry with,
 * or null. Only for tokens the page picked by itself (saved, or a dev token from an earlier
 * demo run): a token the user gave in this visit stays refused so they see why. The stale saved
 * token is forgotten once a dev token replaces it. A dev token equal to the refused one gives
 * null, so a refused dev token is retried at most once.
 */
export async function devTokenAfterRefusal({ token, source, storage, fetchImpl }) {
  if (source !== 'storage' && source !== 'dev') return null;
  const dev = await fetchDevToken(fetchImpl);
  if (!dev || dev === token) return null;
  if (source === 'storage' && readStored(storage) === token) saveToken(storage, null);
  return dev;
}
