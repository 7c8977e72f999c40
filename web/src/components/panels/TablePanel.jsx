import { formatClock } from '../../lib/format.js';
import { formatValue } from '../../lib/panelFormat.js';

const TIME_COLUMNS = new Set(['committedAt', 'publishedAt']);

function cell(row, column, timeField) {
  const value = row[column];
  if (value === null || value === undefined) return '';
  if (column === timeField || TIME_COLUMNS.has(column)) return formatClock(value);
  if (typeof value === 'number') return formatValue(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The stream's recent rows, newest at the top, in the columns the stream file lists. */
export default function TablePanel({ panel, description, recent }) {
  const rows = [...recent].reverse();
  const columns = panel.columns ?? [];
  const key = description.key ?? 'id';
  return (
    <section className="card" data-testid="panel-table">
      <h3>{panel.title || 'Recent'}</h3>
      <table className="table">
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column}>{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={row[key] ?? index} data-testid="table-row" data-key={row[key] ?? ''}>
              {columns.map((column) => (
                <td key={column}>{cell(row, column, description.time)}</td>
              ))}
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={Math.max(columns.length, 1)} className="empty">
                Waiting for rows…
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
