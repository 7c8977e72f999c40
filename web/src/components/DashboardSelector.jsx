/** Which described dashboard the page shows. */
export default function DashboardSelector({ dashboards, selected, onSelect }) {
  return (
    <label className="selector">
      <span className="visually-hidden">Dashboard</span>
      <select data-testid="dashboard-select" value={selected} onChange={(e) => onSelect(e.target.value)}>
        {dashboards.map((d) => (
          <option key={d.name} value={d.name}>
            {d.title}
          </option>
        ))}
      </select>
    </label>
  );
}
