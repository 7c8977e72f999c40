import { useDashboards } from '../hooks/useDashboards.js';
import { isOrdersLayout, streamEvents } from '../lib/dashboards.js';
import DashboardSelector from './DashboardSelector.jsx';
import OrdersDashboard from './OrdersDashboard.jsx';
import StreamDashboard from './StreamDashboard.jsx';

/**
 * The dashboard the gateway describes for this token (`loadDashboards`, lib/dashboards.js), with
 * a selector when there are several. Without descriptions (none loaded, or an older gateway)
 * it is today's orders dashboard.
 */
export default function Dashboard({ token, onChangeToken, onAuthRefused, connect, loadDashboards }) {
  const { status, list, selected, select } = useDashboards(token, loadDashboards);
  if (status === 'loading') {
    return <div className="page centered" data-testid="dashboards-loading">Loading…</div>;
  }
  const selector = list && list.length > 1 && (
    <DashboardSelector dashboards={list} selected={selected.name} onSelect={select} />
  );
  const common = { token, onChangeToken, onAuthRefused, connect, selector };
  if (!selected || isOrdersLayout(selected)) {
    return (
      <OrdersDashboard
        key={selected?.name ?? ''}
        {...common}
        stream={selected ? streamEvents(selected) : undefined}
      />
    );
  }
  return <StreamDashboard key={selected.name} description={selected} {...common} />;
}
