import { useCallback, useEffect, useRef, useState } from 'react';
import { devTokenAfterRefusal, resolveToken, saveToken } from '../lib/token.js';

function browserStorage() {
  try {
    return window.localStorage;
  } catch {
    return null; // some sandboxed frames throw on access
  }
}

// A token in the address bar would end up in history and shared links; keep it out once read.
function dropTokenFromAddress() {
  const url = new URL(window.location.href);
  if (!url.searchParams.has('token')) return;
  url.searchParams.delete('token');
  window.history.replaceState(window.history.state, '', url);
}

/**
 * The auth token for the socket: `{ status: 'resolving' | 'ready' | 'needed', token, source }`,
 * plus `provide(token)` for a token typed by the user, `forget()` to ask again, and `refused()`
 * when the gateway refused the token: a saved token outlives a demo restart that signs with a new
 * secret, so the demo's current dev token is tried once in its place.
 */
export function useAuthToken() {
  const [auth, setAuth] = useState({ status: 'resolving', token: null, source: 'none' });
  const current = useRef(auth);
  current.current = auth;

  useEffect(() => {
    let cancelled = false;
    resolveToken({
      search: window.location.search,
      storage: browserStorage(),
      fetchImpl: (...args) => window.fetch(...args),
    }).then(({ token, source }) => {
      if (cancelled) return;
      if (source === 'query') dropTokenFromAddress();
      setAuth(token ? { status: 'ready', token, source } : { status: 'needed', token: null, source });
    });
    return () => {
      cancelled = true;
    };
  }, []);

  const provide = useCallback((token) => {
    saveToken(browserStorage(), token);
    setAuth({ status: 'ready', token, source: 'user' });
  }, []);

  const forget = useCallback(() => {
    saveToken(browserStorage(), null);
    setAuth({ status: 'needed', token: null, source: 'none' });
  }, []);

  const refused = useCallback(async () => {
    const { token, source } = current.current;
    const dev = await devTokenAfterRefusal({
      token,
      source,
      storage: browserStorage(),
      fetchImpl: (...args) => window.fetch(...args),
    });
    // Unless the token changed meanwhile (the user typed one), switch to the dev token.
    if (dev && current.current.token === token) setAuth({ status: 'ready', token: dev, source: 'dev' });
  }, []);

  return { ...auth, provide, forget, refused };
}
