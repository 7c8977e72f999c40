import {
  Bar,
  BarChart,
  CartesianGrid,
  Rectangle,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { cents, formatCount, formatMoney } from '../lib/format.js';

// Recharts' own bar, wrapped so a test can tell which category and figure each drawn bar shows.
function CategoryBar(props) {
  const { payload } = props;
  return (
    <g
      data-testid="category-bar"
      data-category={payload?.category}
      data-revenue={cents(payload?.revenue)}
    >
      <Rectangle {...props} />
    </g>
  );
}

/** Revenue per category as bars, with the exact figures in a table underneath. */
export default function CategoryBreakdown({ categories }) {
  const rows = [...categories].sort(
    (a, b) => b.revenue - a.revenue || a.category.localeCompare(b.category),
  );
  return (
    <section className="card chart-card">
      <h3>Revenue by category</h3>
      <div className="chart" data-testid="category-chart" data-bars={rows.length}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows}>
            <CartesianGrid strokeDasharray="3 3" stroke="#334155" />
            <XAxis dataKey="category" stroke="#94a3b8" />
            <YAxis stroke="#94a3b8" />
            <Tooltip
              contentStyle={{ backgroundColor: '#1e293b', borderColor: '#334155', color: '#fff' }}
              formatter={formatMoney}
            />
            <Bar dataKey="revenue" fill="#3b82f6" isAnimationActive={false} shape={CategoryBar} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th>Category</th>
            <th className="num">Revenue</th>
            <th className="num">Orders</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr
              key={row.category}
              data-testid={`category-row-${row.category}`}
              data-revenue={cents(row.revenue)}
              data-orders={row.orders}
            >
              <td>{row.category}</td>
              <td className="num">{formatMoney(row.revenue)}</td>
              <td className="num">{formatCount(row.orders)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
