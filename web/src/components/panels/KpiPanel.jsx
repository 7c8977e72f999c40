import { formatValue } from '../../lib/panelFormat.js';

/** One measure of the snapshot's totals, formatted as the stream file says. */
export default function KpiPanel({ panel, totals }) {
  const value = totals?.[panel.measure];
  return (
    <section className="card kpi" data-testid={`panel-kpi-${panel.measure}`}>
      <h3 className="kpi-label">{panel.title || panel.measure}</h3>
      <div className="kpi-value" data-testid="kpi-value" data-value={Number.isFinite(value) ? value : ''}>
        {formatValue(value, panel.format, panel.unit)}
      </div>
    </section>
  );
}
