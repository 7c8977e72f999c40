import { describe, expect, it } from 'vitest';
import { reportVisibility, VISIBILITY_EVENT } from './visibility.js';

// A document whose visibility the test sets, and a socket that records what it sent.
function fakeDocument(state = 'visible') {
  const target = new EventTarget();
  target.visibilityState = state;
  target.become = (next) => {
    target.visibilityState = next;
    target.dispatchEvent(new Event('visibilitychange'));
  };
  return target;
}
function fakeSocket() {
  const handlers = new Map();
  return {
    connected: true,
    sent: [],
    on(event, handler) {
      handlers.set(event, handler);
    },
    off(event, handler) {
      if (handlers.get(event) === handler) handlers.delete(event);
    },
    emit(event, payload) {
      this.sent.push([event, payload]);
    },
    fire(event) {
      handlers.get(event)?.();
    },
    handlerCount: () => handlers.size,
  };
}

describe('reportVisibility', () => {
  it('sends hidden and visible as the page changes', () => {
    const doc = fakeDocument();
    const socket = fakeSocket();
    reportVisibility(socket, doc);
    doc.become('hidden');
    doc.become('visible');
    expect(socket.sent).toEqual([
      [VISIBILITY_EVENT, { hidden: true }],
      [VISIBILITY_EVENT, { hidden: false }],
    ]);
  });

  it('sends nothing while disconnected, and hidden again on reconnecting while hidden', () => {
    const doc = fakeDocument();
    const socket = fakeSocket();
    reportVisibility(socket, doc);
    socket.connected = false;
    doc.become('hidden');
    expect(socket.sent).toEqual([]);
    socket.connected = true;
    socket.fire('connect');
    expect(socket.sent).toEqual([[VISIBILITY_EVENT, { hidden: true }]]);
  });

  it('says nothing on connecting while visible: the gateway treats a silent socket as visible', () => {
    const socket = fakeSocket();
    reportVisibility(socket, fakeDocument('visible'));
    socket.fire('connect');
    expect(socket.sent).toEqual([]);
  });

  it('stops reporting once removed', () => {
    const doc = fakeDocument();
    const socket = fakeSocket();
    const stop = reportVisibility(socket, doc);
    stop();
    doc.become('hidden');
    socket.fire('connect');
    expect(socket.sent).toEqual([]);
    expect(socket.handlerCount()).toBe(0);
  });
});
