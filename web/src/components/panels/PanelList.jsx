import BreakdownPanel from './BreakdownPanel.jsx';
import KpiPanel from './KpiPanel.jsx';
import SeriesPanel from './SeriesPanel.jsx';
import TablePanel from './TablePanel.jsx';

// Consecutive panels of one row kind share a row: KPI tiles side by side, charts in the grid.
function rowKind(kind) {
  if (kind === 'kpi') return 'kpi';
  return kind === 'table' ? 'table' : 'chart';
}

function rowsOf(panels) {
  const rows = [];
  panels.forEach((panel, index) => {
    const kind = rowKind(panel.kind);
    const last = rows[rows.length - 1];
    if (last && last.kind === kind && kind !== 'table') last.panels.push({ panel, index });
    else rows.push({ kind, panels: [{ panel, index }] });
  });
  return rows;
}

function Panel({ panel, description, snapshot, recent }) {
  switch (panel.kind) {
    case 'kpi':
      return <KpiPanel panel={panel} totals={snapshot?.totals} />;
    case 'timeseries':
      return <SeriesPanel panel={panel} series={snapshot?.series} />;
    case 'breakdown':
      return (
        <BreakdownPanel panel={panel} group={description.group} groups={snapshot?.[description.group?.list]} />
      );
    case 'table':
      return <TablePanel panel={panel} description={description} recent={recent} />;
    default:
      return null; // a kind this page does not know yet (a newer gateway): left out
  }
}

/** The description's panels in its order, over the stream's last snapshot and recent rows. */
export default function PanelList({ description, snapshot, recent }) {
  return rowsOf(description.panels ?? []).map((row) => {
    const panels = row.panels.map(({ panel, index }) => (
      <Panel key={index} panel={panel} description={description} snapshot={snapshot} recent={recent} />
    ));
    const first = row.panels[0].index;
    if (row.kind === 'kpi') return <div key={first} className="kpi-row">{panels}</div>;
    if (row.kind === 'chart') return <div key={first} className="grid">{panels}</div>;
    return panels;
  });
}
