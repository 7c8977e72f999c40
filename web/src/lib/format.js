// Display formats for the KPI tiles and tables; raw numbers go in data-* attributes.

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatMoney(value) {
  return Number.isFinite(value) ? money.format(value) : '—';
}

export function formatCount(value) {
  return Number.isFinite(value) ? count.format(value) : '—';
}

export function formatMs(value) {
  return Number.isFinite(value) ? `${Math.round(value)} ms` : '—';
}

/** Money rounded to cents, so float sums do not leak 0.30000000000000004 into the page. */
export function cents(value) {
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : 0;
}

export function formatClock(time) {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleTimeString();
}
