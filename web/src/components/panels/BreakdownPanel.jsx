import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatValue } from '../../lib/panelFormat.js';

/** One measure per group, as bars and a table, largest first (the snapshot's group list). */
export default function BreakdownPanel({ panel, group, groups }) {
  const label = group?.label ?? 'group';
  const value = (row) => row[panel.measure] ?? 0;
  const rows = (Array.isArray(groups) ? [...groups] : []).sort(
    (a, b) => value(b) - value(a) || String(a[label]).localeCompare(String(b[label])),
  );
  const format = (value) => formatValue(value, panel.format, panel.unit);
  return (
    <section className="card chart-card" data-testid={`panel-breakdown-${panel.measure}`}>
      <h3>{panel.title || panel.measure}</h3>
      <div className="chart" data-testid="breakdown-chart" data-bars={rows.length}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows}>
            <CartesianGrid strokeDasharray="3 3" stroke="#334155" />
            <XAxis dataKey={label} stroke="#94a3b8" />
            <YAxis stroke="#94a3b8" />
            <Tooltip
              contentStyle={{ backgroundColor: '#1e293b', borderColor: '#334155', color: '#fff' }}
              formatter={format}
            />
            <Bar dataKey={panel.measure} fill="#3b82f6" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <table className="table">
        <tbody>
          {rows.map((row) => (
            <tr
              key={row[label]}
              data-testid="breakdown-row"
              data-group={row[label]}
              data-value={row[panel.measure] ?? ''}
            >
              <td>{row[label]}</td>
              <td className="num">{format(row[panel.measure])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
