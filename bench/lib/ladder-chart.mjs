// SVG charts of the fan-out ladders of one `npm run bench` run: per layout, two panels against
// the offered load (deliveries/s): what was delivered per second, and the p99 latency (log
// scale), one line per arm (bare Socket.IO against Switchboard). Plain SVG text with no
// dependency, so it renders on GitHub and in any browser, and the run stays self-contained.

const WIDTH = 960;
const HEIGHT = 410;
const PANEL = { top: 64, bottom: 70, left: 72, right: 24, gap: 64 };
const COLORS = { bare: '#6b7280', 'switchboard-memory': '#2563eb', 'switchboard-redis': '#dc2626' };
const FALLBACK_COLORS = ['#059669', '#d97706', '#7c3aed'];

/** A rung of a ladder as charted: the last attempt at each offered load (retries replace earlier tries). */
export function rungsOf(steps) {
  const byLoad = new Map();
  for (const step of steps) byLoad.set(step.deliveriesPerSecond, step);
  return [...byLoad.values()]
    .sort((a, b) => a.deliveriesPerSecond - b.deliveriesPerSecond)
    .map((step) => ({
      offered: step.deliveriesPerSecond,
      delivered: step.deliveriesPerSecond * (step.completion ?? 0),
      p99: step.p99,
      ok: step.ok === true,
    }));
}

/** Every layout's chart of a results object (bench/results/<date>.json), by layout key ("5000x100"). */
export function ladderCharts(results) {
  const layouts = new Map();
  for (const [arm, data] of Object.entries(results.arms ?? {})) {
    for (const [key, ladder] of Object.entries(data.fanOut ?? {})) {
      if (!ladder?.steps?.length) continue;
      if (!layouts.has(key)) layouts.set(key, []);
      layouts.get(key).push({ arm, rungs: rungsOf(ladder.steps), best: ladder.best });
    }
  }
  const charts = new Map();
  for (const [key, arms] of layouts) charts.set(key, ladderSvg(key, arms, results.date));
  return charts;
}

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const round = (value) => Math.round(value * 10) / 10;
const compact = (value) =>
  value >= 1_000_000 ? `${round(value / 1_000_000)}M` : value >= 1000 ? `${round(value / 1000)}k` : String(round(value));

/** One layout: `arms` is [{ arm, rungs, best }]. */
export function ladderSvg(key, arms, date = '') {
  const panelWidth = (WIDTH - PANEL.left * 2 - PANEL.right - PANEL.gap) / 2;
  const plotHeight = HEIGHT - PANEL.top - PANEL.bottom;
  const all = arms.flatMap((arm) => arm.rungs);
  const maxLoad = Math.max(...all.map((rung) => rung.offered));
  const latencies = all.map((rung) => rung.p99).filter((value) => typeof value === 'number' && value > 0);
  const minLog = Math.floor(Math.log10(Math.max(1, Math.min(...latencies))));
  const maxLog = Math.ceil(Math.log10(Math.max(10, ...latencies)));
  const x = (left, load) => left + (load / maxLoad) * panelWidth;
  const yLinear = (value) => PANEL.top + plotHeight - (value / maxLoad) * plotHeight;
  const yLog = (ms) => PANEL.top + plotHeight - ((Math.log10(Math.max(ms, 10 ** minLog)) - minLog) / (maxLog - minLog)) * plotHeight;
  const leftA = PANEL.left;
  const leftB = PANEL.left * 2 + panelWidth + PANEL.gap;
  const parts = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>Fan-out ladder ${escape(key)}: delivered/s and p99 against offered load, bare Socket.IO against Switchboard</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PANEL.left}" y="22" font-size="15" font-weight="600">Fan-out ${escape(key)} (clients x rooms)${date ? ` · ${escape(date.slice(0, 10))}` : ''}</text>`,
  );
  // Axes and grid.
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((share) => share * maxLoad);
  for (const left of [leftA, leftB]) {
    parts.push(
      `<line x1="${left}" y1="${PANEL.top + plotHeight}" x2="${left + panelWidth}" y2="${PANEL.top + plotHeight}" stroke="#111827"/>`,
    );
    parts.push(`<line x1="${left}" y1="${PANEL.top}" x2="${left}" y2="${PANEL.top + plotHeight}" stroke="#111827"/>`);
    for (const tick of ticks) {
      parts.push(
        `<text x="${x(left, tick)}" y="${PANEL.top + plotHeight + 16}" text-anchor="middle" fill="#374151">${compact(tick)}</text>`,
      );
    }
    parts.push(
      `<text x="${left + panelWidth / 2}" y="${PANEL.top + plotHeight + 34}" text-anchor="middle" fill="#111827">offered deliveries/s</text>`,
    );
  }
  for (const tick of ticks) {
    const y = yLinear(tick);
    parts.push(`<line x1="${leftA}" y1="${y}" x2="${leftA + panelWidth}" y2="${y}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${leftA - 6}" y="${y + 4}" text-anchor="end" fill="#374151">${compact(tick)}</text>`);
  }
  for (let power = minLog; power <= maxLog; power++) {
    const y = yLog(10 ** power);
    parts.push(`<line x1="${leftB}" y1="${y}" x2="${leftB + panelWidth}" y2="${y}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${leftB - 6}" y="${y + 4}" text-anchor="end" fill="#374151">${compact(10 ** power)} ms</text>`);
  }
  parts.push(`<text x="${leftA}" y="${PANEL.top - 10}" font-weight="600">delivered/s</text>`);
  parts.push(`<text x="${leftB}" y="${PANEL.top - 10}" font-weight="600">p99 publish-to-receive (log)</text>`);
  // One line per arm; a rung that failed (incomplete or over the latency bound) is a hollow dot.
  arms.forEach(({ arm, rungs, best }, index) => {
    const color = COLORS[arm] ?? FALLBACK_COLORS[index % FALLBACK_COLORS.length];
    const line = (points) =>
      `<polyline data-arm="${escape(arm)}" fill="none" stroke="${color}" stroke-width="2" points="${points.map(([px, py]) => `${round(px)},${round(py)}`).join(' ')}"/>`;
    const delivered = rungs.map((rung) => [x(leftA, rung.offered), yLinear(rung.delivered)]);
    const timed = rungs.filter((rung) => typeof rung.p99 === 'number').map((rung) => [x(leftB, rung.offered), yLog(rung.p99), rung.ok]);
    parts.push(line(delivered), line(timed));
    for (const [[px, py], rung] of delivered.map((point, i) => [point, rungs[i]])) {
      parts.push(`<circle cx="${round(px)}" cy="${round(py)}" r="3" fill="${rung.ok ? color : '#ffffff'}" stroke="${color}"/>`);
    }
    for (const [px, py, ok] of timed)
      parts.push(`<circle cx="${round(px)}" cy="${round(py)}" r="3" fill="${ok ? color : '#ffffff'}" stroke="${color}"/>`);
    const legendY = PANEL.top + 14 + index * 16;
    parts.push(`<rect x="${leftA + 10}" y="${legendY - 9}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${leftA + 28}" y="${legendY - 4}" fill="#111827">${escape(arm)}: best ${compact(best ?? 0)}/s</text>`);
  });
  parts.push(
    `<text x="${PANEL.left}" y="${HEIGHT - 10}" fill="#6b7280">Hollow dot: the rung failed (events lost, or p99 over the bound). Each rung is the last attempt at that load.</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
