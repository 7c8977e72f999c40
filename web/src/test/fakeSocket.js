// A stand-in for a socket.io-client Socket and its Manager: records listeners so tests can
// fire server events and check that cleanup removed every one.

class FakeEmitter {
  constructor() {
    this.listeners = new Map();
  }

  on(event, handler) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push(handler);
    return this;
  }

  off(event, handler) {
    const handlers = this.listeners.get(event) ?? [];
    const index = handlers.indexOf(handler);
    if (index !== -1) handlers.splice(index, 1);
    if (handlers.length === 0) this.listeners.delete(event);
    return this;
  }

  emit(event, ...args) {
    for (const handler of [...(this.listeners.get(event) ?? [])]) handler(...args);
  }

  listenerCount() {
    let count = 0;
    for (const handlers of this.listeners.values()) count += handlers.length;
    return count;
  }
}

export function createFakeSocket() {
  const socket = new FakeEmitter();
  socket.io = new FakeEmitter();
  socket.active = true;
  socket.disconnected = false;
  socket.disconnectCalls = 0;
  socket.disconnect = () => {
    socket.disconnectCalls += 1;
    socket.active = false;
    socket.disconnected = true;
    return socket;
  };
  return socket;
}
