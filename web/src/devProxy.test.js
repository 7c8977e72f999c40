// `npm run dev` serves the page from Vite and must forward Socket.IO (WebSocket included) and the
// API to the gateway, so the page keeps one origin as in production (docs/dashboard.md).
import { afterEach, describe, expect, it, vi } from 'vitest';

async function loadConfig() {
  vi.resetModules(); // vite.config.js reads PULSEBOARD_URL when it is imported
  const { default: config } = await import('../vite.config.js');
  return typeof config === 'function' ? config({ command: 'serve', mode: 'development' }) : config;
}

afterEach(() => vi.unstubAllEnvs());

describe('vite dev server proxy', () => {
  it('forwards /socket.io with WebSocket upgrades and /api to localhost:4000 by default', async () => {
    vi.stubEnv('PULSEBOARD_URL', '');
    const { proxy } = (await loadConfig()).server;
    expect(Object.keys(proxy).sort()).toEqual(['/api', '/socket.io']);
    expect(proxy['/socket.io']).toMatchObject({ target: 'http://localhost:4000', ws: true });
    expect(proxy['/api']).toMatchObject({ target: 'http://localhost:4000' });
  });

  it('follows PULSEBOARD_URL', async () => {
    vi.stubEnv('PULSEBOARD_URL', 'http://127.0.0.1:4100');
    const { proxy } = (await loadConfig()).server;
    expect(proxy['/socket.io']).toMatchObject({ target: 'http://127.0.0.1:4100', ws: true });
    expect(proxy['/api'].target).toBe('http://127.0.0.1:4100');
  });
});
