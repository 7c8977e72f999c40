// Tells the gateway when the dashboard's tab is hidden and when it is visible again (the Page
// Visibility API), with the `pulseboard:visibility` event (docs/gateway.md, "Flow control").
// While hidden the gateway sends no per-order updates and holds back the snapshot, keeping only
// the latest one; on visible it sends that snapshot at once, so the screen is current again
// the moment it can be seen. A socket that never sends the event is treated as visible.

export const VISIBILITY_EVENT = 'pulseboard:visibility';

/** True when the page cannot be seen (a background tab, a minimised window). */
export function isHidden(doc) {
  return doc.visibilityState === 'hidden';
}

/**
 * Reports `doc`'s visibility on `socket`: on every change while connected, and on each connect
 * when hidden (a new session starts visible). Returns the function that stops reporting.
 */
export function reportVisibility(socket, doc = globalThis.document) {
  if (!doc) return () => {};
  // Not queued while disconnected: the state of the moment of reconnecting is what counts.
  const onChange = () => {
    if (socket.connected) socket.emit(VISIBILITY_EVENT, { hidden: isHidden(doc) });
  };
  const onConnect = () => {
    if (isHidden(doc)) socket.emit(VISIBILITY_EVENT, { hidden: true });
  };
  doc.addEventListener('visibilitychange', onChange);
  socket.on('connect', onConnect);
  return () => {
    doc.removeEventListener('visibilitychange', onChange);
    socket.off('connect', onConnect);
  };
}
