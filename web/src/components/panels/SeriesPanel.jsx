import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatClock } from '../../lib/format.js';
import { formatValue } from '../../lib/panelFormat.js';

const TOOLTIP_STYLE = { backgroundColor: '#1e293b', borderColor: '#334155', color: '#fff' };

/** One measure per interval over the window, oldest first (the snapshot's series). */
export default function SeriesPanel({ panel, series }) {
  const points = Array.isArray(series) ? series : [];
  const format = (value) => formatValue(value, panel.format, panel.unit);
  return (
    <section className="card chart-card" data-testid={`panel-series-${panel.measure}`}>
      <h3>{panel.title || panel.measure}</h3>
      <div className="chart" data-testid="series-chart" data-points={points.length}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points}>
            <CartesianGrid strokeDasharray="3 3" stroke="#334155" />
            <XAxis
              dataKey="start"
              type="number"
              scale="time"
              domain={['dataMin', 'dataMax']}
              stroke="#94a3b8"
              tickFormatter={formatClock}
            />
            <YAxis stroke="#94a3b8" />
            <Tooltip contentStyle={TOOLTIP_STYLE} labelFormatter={formatClock} formatter={format} />
            <Line
              type="monotone"
              dataKey={panel.measure}
              stroke="#3b82f6"
              strokeWidth={3}
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}
