import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App.jsx';
import { fetchDashboards } from './lib/dashboards.js';
import './styles.css';

const loadDashboards = (token) => fetchDashboards(token);

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App loadDashboards={loadDashboards} />
  </StrictMode>,
);
