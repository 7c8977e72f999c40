// @vitest-environment jsdom
// A token saved by an earlier visit, refused after the demo restarted with a new secret: the page
// retries once with the demo's dev token instead of showing "Offline".
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeLayout } from './test/fakeLayout.js';
import { createFakeSocket } from './test/fakeSocket.js';
import { AUTH_REFUSED, DEV_TOKEN_PATH, TOKEN_STORAGE_KEY } from './lib/token.js';

const sockets = [];
vi.mock('socket.io-client', () => ({
  io: (url, options) => {
    const socket = createFakeSocket();
    socket.options = options;
    sockets.push(socket);
    return socket;
  },
}));
const { default: App } = await import('./App.jsx');

beforeAll(fakeLayout);

let devToken;
let fetchCalls;
beforeEach(() => {
  sockets.length = 0;
  fetchCalls = [];
  window.localStorage.clear();
  window.fetch = async (path) => {
    fetchCalls.push(path);
    if (path === DEV_TOKEN_PATH && devToken) {
      return { ok: true, status: 200, json: async () => ({ token: devToken }) };
    }
    return { ok: false, status: 404, json: async () => ({}) };
  };
});
afterEach(cleanup);

// What socket.io-client does when the server answers CONNECT with CONNECT_ERROR: the socket
// gives up (inactive) and emits connect_error with the server's message.
function refuse(socket) {
  act(() => {
    socket.active = false;
    socket.emit('connect_error', new Error(AUTH_REFUSED));
  });
}

const badge = () => screen.getByTestId('connection-state');

describe('App with a stale saved token', () => {
  it('retries once with the demo dev token and forgets the saved one', async () => {
    window.localStorage.setItem(TOKEN_STORAGE_KEY, 'stale');
    devToken = 'fresh';
    render(<App />);
    await waitFor(() => expect(sockets).toHaveLength(1));
    expect(sockets[0].options.auth).toEqual({ token: 'stale' });
    expect(fetchCalls).toEqual([]); // the saved token comes first

    refuse(sockets[0]);
    await waitFor(() => expect(sockets).toHaveLength(2));
    expect(sockets[1].options.auth).toEqual({ token: 'fresh' });
    expect(sockets[0].disconnectCalls).toBe(1);
    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();

    act(() => sockets[1].emit('connect'));
    expect(badge().dataset.state).toBe('connected');
    expect(badge().textContent).toContain('Syncing Live');
  });

  it('shows Offline when the dev token is refused too, without retrying again', async () => {
    window.localStorage.setItem(TOKEN_STORAGE_KEY, 'stale');
    devToken = 'fresh';
    render(<App />);
    await waitFor(() => expect(sockets).toHaveLength(1));
    refuse(sockets[0]);
    await waitFor(() => expect(sockets).toHaveLength(2));

    refuse(sockets[1]);
    await waitFor(() => expect(fetchCalls).toEqual([DEV_TOKEN_PATH, DEV_TOKEN_PATH]));
    await act(async () => {}); // let the second look-up settle
    expect(sockets).toHaveLength(2);
    expect(badge().dataset.state).toBe('offline');
    expect(badge().textContent).toContain(AUTH_REFUSED);
    expect(screen.getByRole('button', { name: 'Change token' })).toBeTruthy();
  });

  it('keeps the saved token and shows Offline outside the demo', async () => {
    window.localStorage.setItem(TOKEN_STORAGE_KEY, 'stale');
    devToken = null;
    render(<App />);
    await waitFor(() => expect(sockets).toHaveLength(1));
    refuse(sockets[0]);
    await waitFor(() => expect(fetchCalls).toEqual([DEV_TOKEN_PATH]));
    await act(async () => {});
    expect(sockets).toHaveLength(1);
    expect(badge().dataset.state).toBe('offline');
    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBe('stale');
  });
});
