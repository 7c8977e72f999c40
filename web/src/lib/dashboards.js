// The dashboards a gateway describes at GET /api/v1/dashboards (docs/streams.md, "Dashboard
// description"), and which one the page shows.

export const DASHBOARDS_PATH = '/api/v1/dashboards';
const HASH_KEY = 'dashboard';

/**
 * The descriptions the token may see, or null when the gateway has none to give (an older
 * gateway without the endpoint, or any failure): the page then draws today's orders dashboard.
 */
export async function fetchDashboards(token, fetchImpl = (...args) => window.fetch(...args)) {
  try {
    const response = await fetchImpl(DASHBOARDS_PATH, {
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
    });
    if (!response.ok) return null;
    const body = await response.json();
    return Array.isArray(body?.dashboards) ? body.dashboards : null;
  } catch {
    return null;
  }
}

/**
 * The built-in orders dashboard is drawn by the page's own orders layout (the metrics it keeps
 * up to date between snapshots, commit-to-screen latency, the last orders' line): any stream
 * publishing the orders events with the categories list is that dashboard.
 */
export function isOrdersLayout(description) {
  return (
    description.event === 'metrics-update' &&
    description.snapshotEvent === 'metrics-snapshot' &&
    description.group?.list === 'categories'
  );
}

/** What to listen to for a description: its events, and its rooms to join. */
export function streamEvents(description) {
  return {
    event: description.event,
    snapshotEvent: description.snapshotEvent,
    rooms: description.rooms ?? [],
  };
}

/** The description named `name`, else the first. */
export function chooseDashboard(list, name) {
  return list.find((d) => d.name === name) ?? list[0] ?? null;
}

/** The dashboard chosen earlier, kept in the address (`#dashboard=signups`) so a link keeps it. */
export function readChoice(hash) {
  return new URLSearchParams(hash.replace(/^#/, '')).get(HASH_KEY);
}

export function hashWithChoice(hash, name) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  params.set(HASH_KEY, name);
  return `#${params}`;
}
