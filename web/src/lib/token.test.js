import { describe, expect, it } from 'vitest';
import {
  DEV_TOKEN_PATH,
  TOKEN_STORAGE_KEY,
  devTokenAfterRefusal,
  fetchDevToken,
  resolveToken,
} from './token.js';

function memoryStorage(initial = {}) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (key) => (data.has(key) ? data.get(key) : null),
    setItem: (key, value) => data.set(key, String(value)),
    removeItem: (key) => data.delete(key),
  };
}

function fetchReturning(status, body) {
  const calls = [];
  const fetchImpl = async (path) => {
    calls.push(path);
    return { ok: status >= 200 && status < 300, status, json: async () => body };
  };
  return { fetchImpl, calls };
}

describe('resolveToken', () => {
  it('takes ?token= first and saves it', async () => {
    const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'old' });
    const { fetchImpl, calls } = fetchReturning(200, { token: 'dev' });
    const result = await resolveToken({ search: '?token=abc', storage, fetchImpl });
    expect(result).toEqual({ token: 'abc', source: 'query' });
    expect(storage.data.get(TOKEN_STORAGE_KEY)).toBe('abc');
    expect(calls).toEqual([]);
  });

  it('uses the saved token when the address has none', async () => {
    const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'saved' });
    const { fetchImpl, calls } = fetchReturning(200, { token: 'dev' });
    expect(await resolveToken({ search: '', storage, fetchImpl })).toEqual({
      token: 'saved',
      source: 'storage',
    });
    expect(calls).toEqual([]);
  });

  it('asks the demo server for its dev token last, without saving it', async () => {
    const storage = memoryStorage();
    const { fetchImpl, calls } = fetchReturning(200, { token: 'dev-jwt' });
    expect(await resolveToken({ search: '', storage, fetchImpl })).toEqual({
      token: 'dev-jwt',
      source: 'dev',
    });
    expect(calls).toEqual([DEV_TOKEN_PATH]);
    expect(storage.data.size).toBe(0);
  });

  it('reports no token when the server is not in demo mode', async () => {
    const { fetchImpl } = fetchReturning(404, { error: 'not found' });
    expect(await resolveToken({ search: '', storage: memoryStorage(), fetchImpl })).toEqual({
      token: null,
      source: 'none',
    });
  });

  it('survives a storage that throws', async () => {
    const storage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    const { fetchImpl } = fetchReturning(404, {});
    expect(await resolveToken({ search: '?token=t', storage, fetchImpl })).toEqual({
      token: 't',
      source: 'query',
    });
    expect(await resolveToken({ search: '', storage, fetchImpl })).toEqual({
      token: null,
      source: 'none',
    });
  });
});

describe('fetchDevToken', () => {
  it('is null on a network error or a body without a token', async () => {
    expect(
      await fetchDevToken(async () => {
        throw new TypeError('Failed to fetch');
      }),
    ).toBeNull();
    expect(await fetchDevToken(fetchReturning(200, { nope: 1 }).fetchImpl)).toBeNull();
  });
});

describe('devTokenAfterRefusal', () => {
  it('replaces a refused saved token with the demo dev token and forgets the saved one', async () => {
    const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'stale' });
    const { fetchImpl, calls } = fetchReturning(200, { token: 'fresh' });
    expect(await devTokenAfterRefusal({ token: 'stale', source: 'storage', storage, fetchImpl })).toBe('fresh');
    expect(calls).toEqual([DEV_TOKEN_PATH]);
    expect(storage.data.has(TOKEN_STORAGE_KEY)).toBe(false);
  });

  it('keeps the saved token when there is no demo to ask', async () => {
    const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'stale' });
    const { fetchImpl } = fetchReturning(404, {});
    expect(await devTokenAfterRefusal({ token: 'stale', source: 'storage', storage, fetchImpl })).toBeNull();
    expect(storage.data.get(TOKEN_STORAGE_KEY)).toBe('stale');
  });

  it('retries a refused dev token only when the demo now hands out another one', async () => {
    const storage = memoryStorage();
    const same = fetchReturning(200, { token: 'dev-1' });
    expect(await devTokenAfterRefusal({ token: 'dev-1', source: 'dev', storage, fetchImpl: same.fetchImpl })).toBeNull();
    const restarted = fetchReturning(200, { token: 'dev-2' });
    expect(
      await devTokenAfterRefusal({ token: 'dev-1', source: 'dev', storage, fetchImpl: restarted.fetchImpl }),
    ).toBe('dev-2');
    expect(storage.data.size).toBe(0);
  });

  it('leaves a token the user gave in this visit refused', async () => {
    for (const source of ['user', 'query']) {
      const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'typed' });
      const { fetchImpl, calls } = fetchReturning(200, { token: 'fresh' });
      expect(await devTokenAfterRefusal({ token: 'typed', source, storage, fetchImpl })).toBeNull();
      expect(calls).toEqual([]);
      expect(storage.data.get(TOKEN_STORAGE_KEY)).toBe('typed');
    }
  });
});
