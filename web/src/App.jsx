import Dashboard from './components/Dashboard.jsx';
import TokenPrompt from './components/TokenPrompt.jsx';
import { useAuthToken } from './hooks/useAuthToken.js';

/** `loadDashboards(token)`: the gateway's dashboard descriptions (main.jsx passes the fetch). */
export default function App({ loadDashboards }) {
  const auth = useAuthToken();
  if (auth.status === 'resolving') {
    return <div className="page centered" data-testid="token-resolving">Loading…</div>;
  }
  if (auth.status === 'needed') return <TokenPrompt onSubmit={auth.provide} />;
  return (
    <Dashboard
      token={auth.token}
      onChangeToken={auth.forget}
      onAuthRefused={auth.refused}
      loadDashboards={loadDashboards}
    />
  );
}
