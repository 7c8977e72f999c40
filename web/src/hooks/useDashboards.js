import { useCallback, useEffect, useState } from 'react';
import { chooseDashboard, hashWithChoice, readChoice } from '../lib/dashboards.js';

/**
 * The dashboards `load(token)` describes (null: none described, draw the orders layout) and the
 * one shown, remembered in the address's hash. Without `load` nothing is fetched.
 */
export function useDashboards(token, load) {
  const [list, setList] = useState(load ? undefined : null);
  const [choice, setChoice] = useState(() => readChoice(window.location.hash));

  useEffect(() => {
    if (!load || !token) return undefined;
    let cancelled = false;
    setList(undefined);
    load(token).then((dashboards) => {
      if (!cancelled) setList(dashboards?.length ? dashboards : null);
    });
    return () => {
      cancelled = true;
    };
  }, [token, load]);

  const select = useCallback((name) => {
    const url = new URL(window.location.href);
    url.hash = hashWithChoice(url.hash, name);
    window.history.replaceState(window.history.state, '', url);
    setChoice(name);
  }, []);

  if (list === undefined) return { status: 'loading', list: null, selected: null, select };
  return { status: 'ready', list, selected: list ? chooseDashboard(list, choice) : null, select };
}
