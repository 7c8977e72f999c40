import { cents, formatCount, formatMoney, formatMs } from '../lib/format.js';

function Tile({ label, testId, value, text, children }) {
  return (
    <section className="card kpi">
      <h3 className="kpi-label">{label}</h3>
      <div className="kpi-value" data-testid={testId} data-value={value ?? ''}>
        {text}
      </div>
      {children}
    </section>
  );
}

/** Revenue, orders, average order value and commit-to-screen latency. */
export default function KpiTiles({ totals, latency }) {
  const hasLatency = Number.isFinite(latency.last);
  return (
    <div className="kpi-row">
      <Tile label="Revenue" testId="kpi-revenue" value={cents(totals.revenue)} text={formatMoney(totals.revenue)} />
      <Tile label="Orders" testId="kpi-orders" value={totals.orders} text={formatCount(totals.orders)} />
      <Tile
        label="Avg order value"
        testId="kpi-aov"
        value={cents(totals.avgOrderValue)}
        text={formatMoney(totals.avgOrderValue)}
      />
      <Tile
        label="Commit → screen"
        testId="kpi-latency"
        value={hasLatency ? Math.round(latency.last) : null}
        text={formatMs(latency.last)}
      >
        <div className="kpi-note" data-testid="kpi-latency-p50" data-value={hasLatency ? Math.round(latency.p50) : ''}>
          p50 {formatMs(latency.p50)} over {latency.samples.length} orders
        </div>
      </Tile>
    </div>
  );
}
