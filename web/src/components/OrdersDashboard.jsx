import { useEffect } from 'react';
import { useLiveMetrics } from '../hooks/useLiveMetrics.js';
import { useNow } from '../hooks/useNow.js';
import { OFFLINE } from '../lib/connectionState.js';
import { delayedForMs } from '../lib/delivery.js';
import { silentForMs } from '../lib/freshness.js';
import { AUTH_REFUSED } from '../lib/token.js';
import CategoryBreakdown from './CategoryBreakdown.jsx';
import DashboardHeader from './DashboardHeader.jsx';
import KpiTiles from './KpiTiles.jsx';
import RecentOrders from './RecentOrders.jsx';
import RevenueChart from './RevenueChart.jsx';

/** The article's dashboard: status in the header, KPIs, charts and the recent orders. */
export default function OrdersDashboard({ token, onChangeToken, onAuthRefused, connect, stream, selector }) {
  const { state, connection, latencyMs, lastDataAt, delivery } = useLiveMetrics(token, {
    connect,
    stream,
  });
  const now = useNow();
  const silentMs = silentForMs(lastDataAt, now);
  const delayedMs = delayedForMs(delivery, now);
  const refusedToken = connection.status === OFFLINE && connection.lastError === AUTH_REFUSED;
  useEffect(() => {
    if (refusedToken) onAuthRefused?.();
  }, [refusedToken, onAuthRefused]);
  return (
    <div className="page">
      <DashboardHeader
        title="Live System Metrics"
        selector={selector}
        connection={connection}
        silentMs={silentMs}
        delayedMs={delayedMs}
        onChangeToken={onChangeToken}
      />
      <main className="main">
        <KpiTiles totals={state.totals} latency={latencyMs} />
        <div className="grid">
          <RevenueChart series={state.series} recent={state.recent} intervalMs={state.intervalMs} />
          <CategoryBreakdown categories={state.categories} />
        </div>
        <RecentOrders recent={state.recent} />
      </main>
    </div>
  );
}
