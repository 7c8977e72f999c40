import { cents, formatClock, formatMoney } from '../lib/format.js';

/** The last orders received, newest at the top. */
export default function RecentOrders({ recent }) {
  const rows = [...recent].reverse();
  return (
    <section className="card">
      <h3>Recent orders</h3>
      <table className="table">
        <thead>
          <tr>
            <th>Time</th>
            <th>Order</th>
            <th>Category</th>
            <th className="num">Revenue</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((order) => (
            <tr
              key={order.id}
              data-testid="recent-order"
              data-id={order.id}
              data-revenue={cents(order.revenue)}
            >
              <td>{formatClock(order.time)}</td>
              <td className="mono">{order.id}</td>
              <td>{order.category}</td>
              <td className="num">{formatMoney(order.revenue)}</td>
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={4} className="empty">
                Waiting for orders…
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
