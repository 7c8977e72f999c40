// jsdom has no layout: Recharts' ResponsiveContainer needs a ResizeObserver and an element size
// to draw. Call from beforeAll in component tests that render charts.
export function fakeLayout() {
  globalThis.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
  HTMLElement.prototype.getBoundingClientRect = () => ({
    width: 800,
    height: 350,
    top: 0,
    left: 0,
    right: 800,
    bottom: 350,
    x: 0,
    y: 0,
  });
}
