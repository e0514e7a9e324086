/**
 * The dashboard's four trend charts (last 15 minutes, one point per 10 s): plain SVG drawn by the
 * page itself, as the CSP allows no third-party script. Prepended to DASHBOARD_JS.
 */
export const TREND_CHARTS_JS = `const SwitchboardTrends = (() => {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const WIDTH = 300, HEIGHT = 80, WINDOW_MS = 15 * 60 * 1000;
  const COLORS = ['#1a73e8', '#137333', '#b06000', '#8430ce', '#b3261e', '#007b83'];

  function element(name, attributes) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    return node;
  }

  /** Draws named series ({ name: [[at, value], ...] }) on one chart, and a legend with the latest values. */
  function draw(id, series, unit) {
    const svg = document.getElementById(id);
    const legend = document.getElementById(id + '-legend');
    svg.replaceChildren();
    const all = Object.values(series).flat();
    svg.setAttribute('data-points', String(Math.max(0, ...Object.values(series).map((points) => points.length))));
    if (all.length === 0) { legend.textContent = 'no data yet'; return; }
    const end = Math.max(...all.map(([at]) => at));
    const top = Math.max(1, ...all.map(([, value]) => value)) * 1.1;
    const x = (at) => ((at - (end - WINDOW_MS)) / WINDOW_MS) * WIDTH;
    const y = (value) => HEIGHT - (value / top) * HEIGHT;
    svg.appendChild(element('line', { x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5, stroke: '#dde1e7' }));
    const parts = [];
    Object.entries(series).forEach(([name, points], index) => {
      const color = COLORS[index % COLORS.length];
      // One point is a short tick at the right edge, so that a new chart shows something at once.
      const line = points.length === 1
        ? [[x(points[0][0]) - 6, y(points[0][1])], [x(points[0][0]), y(points[0][1])]]
        : points.map(([at, value]) => [x(at), y(value)]);
      if (line.length > 0) {
        svg.appendChild(element('polyline', {
          points: line.map(([px, py]) => px.toFixed(1) + ',' + Math.min(HEIGHT - 1.5, Math.max(1.5, py)).toFixed(1)).join(' '),
          fill: 'none', stroke: color, 'stroke-width': points.length === 1 ? 3 : 1.5, 'vector-effect': 'non-scaling-stroke',
        }));
      }
      const last = points[points.length - 1];
      parts.push(name + ' ' + (last ? last[1] : 0) + unit);
    });
    legend.textContent = parts.join(' · ') + ' (max ' + Math.round(top / 1.1 * 10) / 10 + unit + ')';
  }

  function render(trend) {
    const points = trend.points;
    const at = (point) => point.at;
    draw('trend-events', {
      published: points.map((p) => [at(p), p.publishedPerSecond]),
      delivered: points.map((p) => [at(p), p.deliveredPerSecond]),
    }, '/s');
    draw('trend-latency', { p99: points.filter((p) => p.p99Ms !== null).map((p) => [at(p), p.p99Ms]) }, ' ms');
    const namespaces = [...new Set(points.flatMap((p) => Object.keys(p.connections)))].sort();
    draw('trend-connections', Object.fromEntries(namespaces.map((ns) => [ns, points.map((p) => [at(p), p.connections[ns] || 0])])), '');
    draw('trend-agents', { agents: points.map((p) => [at(p), p.agentsOnline]) }, '');
  }

  return { render };
})();
`;
