import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { cents, formatClock, formatMoney } from '../lib/format.js';

const AXIS = '#94a3b8';
const GRID = '#334155';
const LINE = '#3b82f6';
const TOOLTIP_STYLE = { backgroundColor: '#1e293b', borderColor: '#334155', color: '#fff' };

// One <circle> per data point, each marked with the figures it draws (bucket start or order id,
// revenue in cents) so a browser test can check what is on the chart, not only how much.
function pointDot(testId) {
  return function PointDot({ cx, cy, payload }) {
    if (!Number.isFinite(cx) || !Number.isFinite(cy)) return null;
    return (
      <circle
        data-testid={testId}
        data-start={payload?.start}
        data-id={payload?.id}
        data-revenue={cents(payload?.revenue)}
        cx={cx}
        cy={cy}
        r={4}
        fill={LINE}
        stroke={LINE}
      />
    );
  };
}

const seriesDot = pointDot('revenue-point');
const recentDot = pointDot('recent-revenue-point');

/**
 * Revenue per interval over the window, and the article's line of the last 12 order revenues.
 * Animation is off: with updates every few hundred milliseconds it would never settle.
 */
export default function RevenueChart({ series, recent, intervalMs }) {
  return (
    <section className="card chart-card">
      <h3>Revenue per {Math.round(intervalMs / 1000)} s</h3>
      <div className="chart" data-testid="revenue-chart" data-points={series.length}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={series}>
            <CartesianGrid strokeDasharray="3 3" stroke={GRID} />
            <XAxis
              dataKey="start"
              type="number"
              scale="time"
              domain={['dataMin', 'dataMax']}
              stroke={AXIS}
              tickFormatter={formatClock}
            />
            <YAxis stroke={AXIS} />
            <Tooltip contentStyle={TOOLTIP_STYLE} labelFormatter={formatClock} formatter={formatMoney} />
            <Line
              type="monotone"
              dataKey="revenue"
              stroke={LINE}
              strokeWidth={3}
              dot={seriesDot}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>

      <h3>Last {recent.length} orders</h3>
      <div className="chart chart-small" data-testid="recent-revenue-chart" data-points={recent.length}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={recent}>
            <CartesianGrid strokeDasharray="3 3" stroke={GRID} />
            <XAxis dataKey="time" stroke={AXIS} tickFormatter={formatClock} />
            <YAxis stroke={AXIS} />
            <Tooltip contentStyle={TOOLTIP_STYLE} labelFormatter={formatClock} formatter={formatMoney} />
            <Line
              type="monotone"
              dataKey="revenue"
              stroke={LINE}
              strokeWidth={3}
              dot={recentDot}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}
